"""Participant imports at scale: a CSV file of 100,000 rows into an empty campaign.

For each database (a fresh SQLite file; PostgreSQL in a fresh schema when reachable at
``BENCH_POSTGRES_URL``, by default postgresql+psycopg://postgres@127.0.0.1:5432/test, dropped
afterwards), every repeat imports the same file into a new campaign of the same organisation,
and the medians of ``REPEATS`` repeats taken in turn are reported:

- ``job_s``: the browser's background job end to end (``run_import_job``: the kept file
  decoded, every row checked, the emails checked again in bounded ``IN`` lists, bulk INSERTs,
  the outcome committed with the participants);
- ``cli_s``: the CLI's import (the same, plus a personal link per participant);
- ``raw_insert_s``: the baseline: one executemany INSERT of the same 100,000 participants,
  already resolved, without reading or checking anything.

``ratio`` (job_s / raw_insert_s) is the figure tracked: what reading and checking the file
cost next to the writes it cannot avoid. ``target_s`` is the limit a 100,000-row import must
stay under on this machine, and ``within_target`` whether ``job_s`` and ``cli_s`` did.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = 100_000
REPEATS = 3
TARGET_S = 20.0
DEPARTMENTS = ("経営企画部", "営業本部", "事務統括部", "デジタル推進部", "お客さまサポートセンター")
ROLES = ("executive", "ミドルマネジメント", "frontline")
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def participants_file(rows: int = ROWS) -> bytes:
    """A UTF-8 participants file of ``rows`` valid rows with names, as Excel users write it."""
    lines = ["name,email,department,role"]
    for n in range(1, rows + 1):
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        role = ROLES[0] if n % 50 == 0 else ROLES[1 + n % 2]
        lines.append(f"参加者 {n},person.{n:06d}@example.co.jp,{department},{role}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@contextlib.contextmanager
def _database(backend: str) -> Iterator[tuple[str, dict[str, Any]] | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cx-bench-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite3", {}
        return
    schema = f"bench_imports_{secrets.token_hex(4)}"
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:  # no PostgreSQL here: report it rather than fail the other results
        yield None
        return
    try:
        yield POSTGRES_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def _medians(measures: list[Callable[[], Any]], repeats: int) -> list[float]:
    """Median time of each measure, run in turn ``repeats`` times."""
    times: list[list[float]] = [[] for _ in measures]
    for _ in range(repeats):
        for measure, found in zip(measures, times, strict=True):
            start = time.perf_counter()
            measure()
            found.append(time.perf_counter() - start)
    return [statistics.median(found) for found in times]


def _measure(backend: str) -> dict[str, Any]:
    from app import create_app
    from app.models import Base, Campaign, Organization, Participant
    from app.operations.campaigns import create_campaign
    from app.operations.import_jobs import run_import_job, save_preview
    from app.operations.organizations import create_organization
    from app.operations.participant_import import apply_import, parse_participants
    from app.platform.extensions import db
    from app.queries.questionnaires import get_questionnaire

    data = participants_file()
    with _database(backend) as database:
        if database is None:
            return {"skipped": f"PostgreSQL not reachable at {POSTGRES_URL}"}
        url, options = database
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": secrets.token_hex(32),
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": options,
                "CX_QUESTIONNAIRE_DIR": str(ROOT / "questionnaires"),
                "CX_REPORTS_DIR": str(ROOT / "reports"),
            }
        )
        with app.app_context():
            Base.metadata.create_all(db.engine)
            org = create_organization("bench", "ベンチマーク銀行", list(DEPARTMENTS))
            questionnaire = get_questionnaire("cx-five-capabilities")
            db.session.commit()
            org_id = org.id
            rounds = iter(range(1, 10 * REPEATS + 10))

            def new_campaign() -> Campaign:
                organization = db.session.get(Organization, org_id)
                campaign = create_campaign(organization, questionnaire, f"round {next(rounds)}")
                db.session.commit()
                return campaign

            def job() -> None:
                campaign = new_campaign()
                record = save_preview(campaign, data, filename="bench.csv", rows=ROWS, user=None)
                record.status = "queued"
                db.session.commit()
                record_id, campaign_id = record.id, campaign.id
                db.session.remove()
                run_import_job(record_id)
                assert _count(db, Participant, campaign_id) == ROWS

            def cli() -> None:
                campaign = new_campaign()
                preview = parse_participants(campaign, data)
                assert preview.ok, preview.problems[:3]
                db.session.commit()
                imported = apply_import(campaign, preview, with_links=True)
                db.session.commit()
                assert len(imported) == ROWS

            resolved: dict[str, Any] = {}

            def raw_insert() -> None:
                campaign = new_campaign()
                if not resolved:
                    preview = parse_participants(campaign, data)
                    resolved["rows"] = [
                        (row.name, row.email, row.department.id, row.role.id)
                        for row in preview.rows
                    ]
                start = time.perf_counter()
                db.session.execute(
                    insert(Participant),
                    [
                        {
                            "campaign_id": campaign.id,
                            "name": name,
                            "email": email,
                            "department_id": department_id,
                            "role_id": role_id,
                            "status": "invited",
                        }
                        for name, email, department_id, role_id in resolved["rows"]
                    ],
                )
                db.session.commit()
                resolved.setdefault("first_s", time.perf_counter() - start)

            raw_insert()  # warm-up: imports, the resolved rows, the connection
            job_s, cli_s, raw_s = _medians([job, cli, raw_insert], REPEATS)
            db.session.remove()
            db.engine.dispose()
    return {
        "rows": ROWS,
        "file_bytes": len(data),
        "repeats": REPEATS,
        "job_s": round(job_s, 3),
        "cli_s": round(cli_s, 3),
        "raw_insert_s": round(raw_s, 3),
        "ratio": round(job_s / raw_s, 2),
        "ratio_cli": round(cli_s / raw_s, 2),
        "target_s": TARGET_S,
        "within_target": job_s < TARGET_S and cli_s < TARGET_S,
    }


def _count(db: Any, model: Any, campaign_id: int) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.campaign_id == campaign_id))


def run() -> dict[str, Any]:
    """Measure on every database; see the module docstring for the figures."""
    return {backend: _measure(backend) for backend in ("sqlite", "postgresql")}
