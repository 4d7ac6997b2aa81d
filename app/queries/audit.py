"""Reads of the audit log: a campaign's activity, the admins' log and export, verification."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from app.models import AuditEvent, Campaign, Organization, User
from app.models.audit import canonical_json, chain_hash, iso_utc
from app.operations.audit import action_label
from app.platform.extensions import db
from app.platform.spreadsheet import csv_writer

#: Rows fetched per round trip when walking or exporting the whole log.
BATCH_ROWS = 1000
#: The audit log CSV's columns.
CSV_COLUMNS = (
    "id",
    "time_utc",
    "organisation",
    "seq",
    "campaign_id",
    "user_email",
    "action",
    "action_label",
    "detail",
    "previous_hash",
    "hash",
)
#: Characters written before a chunk of the CSV is handed on.
CSV_CHUNK_CHARS = 64 * 1024


def campaign_events(campaign: Campaign, *, limit: int = 200) -> list[tuple[AuditEvent, str | None]]:
    """The campaign's events, newest first, with the acting user's email (None for the CLI)."""
    rows = db.session.execute(
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.campaign_id == campaign.id,
            AuditEvent.organization_id == campaign.organization_id,
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [(event, email) for event, email in rows]


def _log_query(organization: Organization | None) -> Any:
    query = (
        select(AuditEvent, Organization.slug, User.email)
        .join(Organization, Organization.id == AuditEvent.organization_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
    )
    if organization is not None:
        query = query.where(AuditEvent.organization_id == organization.id)
    return query


def recent_events(
    organization: Organization | None = None, *, limit: int = 200
) -> list[tuple[AuditEvent, str, str | None]]:
    """The newest events of every organisation (or one): (event, organisation slug, email)."""
    rows = db.session.execute(
        _log_query(organization).order_by(AuditEvent.id.desc()).limit(limit)
    ).all()
    return [(event, slug, email) for event, slug, email in rows]


def all_events(organization: Organization | None = None) -> Iterator[Row[Any]]:
    """Every event (of one organisation, or all) in the order recorded, fetched in batches of
    ``BATCH_ROWS``: rows with the event's columns, ``slug`` and ``email`` (None for the CLI)."""
    query = (
        select(
            AuditEvent.id,
            AuditEvent.created_at,
            Organization.slug,
            AuditEvent.seq,
            AuditEvent.campaign_id,
            User.email,
            AuditEvent.action,
            AuditEvent.detail,
            AuditEvent.previous_hash,
            AuditEvent.hash,
        )
        .join(Organization, Organization.id == AuditEvent.organization_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id)
    )
    if organization is not None:
        query = query.where(AuditEvent.organization_id == organization.id)
    yield from db.session.execute(query, execution_options={"yield_per": BATCH_ROWS})


def stream_csv(organization: Organization | None = None) -> Iterator[bytes]:
    """The audit log (of one organisation, or all) as CSV in UTF-8 chunks, with a byte-order
    mark so Excel reads it; action labels in the current language, every text cell safe."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for row in all_events(organization):
        writer.writerow(
            (
                row.id,
                iso_utc(row.created_at),
                row.slug,
                row.seq,
                row.campaign_id if row.campaign_id is not None else "",
                row.email or "",
                row.action,
                action_label(row.action),
                canonical_json(row.detail),
                row.previous_hash or "",
                row.hash,
            )
        )
        if buffer.tell() >= CSV_CHUNK_CHARS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


#: What a broken link of a chain can be.
OWN_HASH = "hash"
LINK = "link"
GAP = "gap"


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a chain that does not hold, and why."""

    event_id: int
    organization: str
    seq: int
    action: str
    created_at: datetime
    #: ``hash`` (its fields changed), ``link`` (the previous event changed) or ``gap``.
    reason: str
    #: The sequence number expected here (for a gap: the first one missing).
    expected_seq: int
    #: The previous event in the chain as stored (None for the first).
    previous_id: int | None


@dataclass(frozen=True)
class ChainCheck:
    """One organisation's chain, walked."""

    organization: str
    events: int
    #: The hash of the last event: a later check must still find it in the chain.
    head_hash: str | None
    broken: ChainBreak | None


_CHAIN_COLUMNS = (
    AuditEvent.id,
    AuditEvent.seq,
    AuditEvent.campaign_id,
    AuditEvent.user_id,
    AuditEvent.action,
    AuditEvent.created_at,
    AuditEvent.detail,
    AuditEvent.previous_hash,
    AuditEvent.hash,
)


def check_chain(organization_id: int, slug: str) -> ChainCheck:
    """Walk one organisation's chain in sequence order, recomputing every hash; stop at the
    first event that does not hold."""
    rows = db.session.execute(
        select(*_CHAIN_COLUMNS)
        .where(AuditEvent.organization_id == organization_id)
        .order_by(AuditEvent.seq),
        execution_options={"yield_per": BATCH_ROWS},
    )
    count, expected_seq, previous_id, previous_hash = 0, 1, None, None
    for row in rows:
        count += 1
        reason = None
        if row.seq != expected_seq:
            reason = GAP
        elif row.hash != _recomputed(organization_id, row):
            reason = OWN_HASH
        elif row.previous_hash != previous_hash:
            reason = LINK
        if reason is not None:
            rows.close()
            broken = ChainBreak(
                event_id=row.id,
                organization=slug,
                seq=row.seq,
                action=row.action,
                created_at=row.created_at,
                reason=reason,
                expected_seq=expected_seq,
                previous_id=previous_id,
            )
            return ChainCheck(slug, count, None, broken)
        expected_seq, previous_id, previous_hash = row.seq + 1, row.id, row.hash
    return ChainCheck(slug, count, previous_hash, None)


def _recomputed(organization_id: int, row: Row[Any]) -> str:
    return chain_hash(
        organization_id=organization_id,
        seq=row.seq,
        campaign_id=row.campaign_id,
        user_id=row.user_id,
        action=row.action,
        created_at=row.created_at,
        detail=row.detail,
        previous_hash=row.previous_hash,
    )


def check_chains(organization: Organization | None = None) -> list[ChainCheck]:
    """Every organisation's chain (or one's), walked; organisations without events left out."""
    query = (
        select(Organization.id, Organization.slug)
        .where(select(AuditEvent.id).where(AuditEvent.organization_id == Organization.id).exists())
        .order_by(Organization.slug)
    )
    if organization is not None:
        query = query.where(Organization.id == organization.id)
    return [check_chain(org_id, slug) for org_id, slug in db.session.execute(query).all()]
