"""The demo's data for the tests that read or extend it, seeded once per test process.

Seeding the demo (four rounds, several hundred respondents, their answers, the agreed actions)
takes seconds. A test that needs the demo as the seed leaves it, and does not test the seed
itself, calls :func:`seeded_demo`: the first call in a process seeds it and keeps a copy of
every row written; the next ones (after the tables were emptied between tests) insert those
rows again, one statement per table, with the same ids, hashes and times. The tests of the
seed itself (``test_demo_seed.py``) still run it every time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, update

from app.models import Base, Campaign, Organization
from app.operations.demo import SeedResult, seed_demo
from app.platform.extensions import db


@dataclass(frozen=True)
class _Copy:
    rows: dict[str, list[dict[str, Any]]]
    result: SeedResult
    organization_id: int
    campaign_ids: tuple[int, ...]


_copies: dict[str, _Copy] = {}


def _take(result: SeedResult) -> _Copy:
    rows: dict[str, list[dict[str, Any]]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            found = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            rows[table.name] = [dict(row) for row in found]
    return _Copy(
        rows=rows,
        result=result,
        organization_id=result.organization.id,
        campaign_ids=tuple(campaign.id for campaign in result.campaigns),
    )


def _restore(copy: _Copy) -> SeedResult:
    tables = Base.metadata.tables
    with db.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            rows = copy.rows[table.name]
            if not rows:
                continue
            # A row may point to a later row of its own table (a campaign to its companion):
            # those references are set once every row is in.
            own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            conn.execute(table.insert(), [{**row, **dict.fromkeys(own)} for row in rows])
            for column in own:
                links = [
                    {"row_id": row["id"], "row_link": row[column]}
                    for row in rows
                    if row[column] is not None
                ]
                if links:
                    conn.execute(
                        update(table)
                        .where(table.c.id == bindparam("row_id"))
                        .values({column: bindparam("row_link")}),
                        links,
                    )
        # The answers' triggers raised each response's revision as its answers went in: set
        # back to what the seed left.
        response = tables["response"]
        revisions = [
            {"row_id": row["id"], "row_revision": row["revision"]} for row in copy.rows["response"]
        ]
        if revisions:
            conn.execute(
                update(response)
                .where(response.c.id == bindparam("row_id"))
                .values(revision=bindparam("row_revision")),
                revisions,
            )
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn, copy)
    campaigns = {
        campaign.id: campaign
        for campaign in db.session.scalars(
            select(Campaign).where(Campaign.id.in_(copy.campaign_ids))
        )
    }
    return replace(
        copy.result,
        organization=db.session.get(Organization, copy.organization_id),
        campaigns=[campaigns[campaign_id] for campaign_id in copy.campaign_ids],
    )


def _advance_sequences(conn: Connection, copy: _Copy) -> None:
    """Move each id sequence past the ids put back (a schema other than the one the copy
    was taken in starts its sequences at 1)."""
    for table in Base.metadata.sorted_tables:
        rows = copy.rows[table.name]
        if not rows or "id" not in table.c:
            continue
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        if sequence is None:
            continue
        highest = max(row["id"] for row in rows)
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        if not called or last < highest:
            conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": max(highest, last)})


def seeded_demo() -> SeedResult:
    """The demo, seeded and committed in the current app's (empty) database."""
    key = db.engine.url.render_as_string(hide_password=False)
    copy = _copies.get(key)
    if copy is None:
        result = seed_demo()
        db.session.commit()
        _copies[key] = _take(result)
        return result
    db.session.commit()
    return _restore(copy)
