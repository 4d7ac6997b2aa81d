"""The respondent flow under load: 200 simulated respondents against gunicorn (2 workers).

For each database (a fresh SQLite file; PostgreSQL in a fresh schema when reachable at
``BENCH_POSTGRES_URL``, by default postgresql+psycopg://postgres@127.0.0.1:5432/test), the
benchmark seeds 200 participants, serves the app with gunicorn on loopback, signs every
respondent in through their personal link, then measures three kinds of request, each sent by
all respondents at once for a fixed number of rounds:

- ``healthz``: the bare ``/healthz`` endpoint of the same app, the baseline;
- ``page_view``: GET of a questionnaire page (session, response, answers, template);
- ``page_save``: POST of a page with its answers (locking, validation, upsert, redirect).

It reports requests/s and p50/p95 latency for each, their ratios to the baseline, the CPU time
the gunicorn workers spent per request (what a request costs the server, whatever the load
generator beside it costs), and checks that no request failed and that every saved answer is
in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent.parent
RESPONDENTS = 200
ROUNDS = 5
WORKERS = 2
PHASE_TIMEOUT_S = 120
SETUP_CONCURRENCY = 50
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Seeded:
    tokens: list[str]
    participant_ids: list[int]
    #: Per respondent, the (form field, item id) pairs of each page of their survey, page 1
    #: first: items asked of some roles only appear on those roles' pages.
    pages: list[list[list[tuple[str, str]]]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _value(respondent: int, index: int) -> int:
    return (respondent + index) % 5 + 1


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-survey-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh schema and a login role whose search_path points at it, dropped afterwards.

    A role's own search_path survives whatever connection options the app adds.
    """
    suffix = secrets.token_hex(4)
    schema, role = f"bench_survey_{suffix}", f"bench_survey_{suffix}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"'))
        conn.execute(text(f'ALTER ROLE "{role}" SET search_path = "{schema}"'))
    admin.dispose()
    url = create_engine(POSTGRES_URL).url.set(username=role, password=None)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _drop_postgres(schema, role)


def _drop_postgres(schema: str, role: str) -> None:
    """Drop the benchmark's schema and role, on a fresh connection (the run may be long)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = :role AND pid <> pg_backend_pid()"
                ),
                {"role": role},
            )
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    finally:
        admin.dispose()


def _app(url: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(32),
            "CX_QUESTIONNAIRE_DIR": str(ROOT / "questionnaires"),
        }
    )


def seed(url: str) -> Seeded:
    from app.models import Base
    from app.operations.campaigns import create_campaign, open_campaign
    from app.operations.organizations import add_department, create_organization
    from app.operations.participants import invite_participant
    from app.platform.extensions import db
    from app.queries.questionnaires import get_questionnaire
    from app.survey.questions import survey_for

    app = _app(url)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        org = create_organization("bench", "ベンチマーク株式会社")
        departments = [add_department(org, f"部署{n}") for n in range(8)]
        campaign = create_campaign(org, get_questionnaire("cx-five-capabilities"), "bench")
        open_campaign(campaign)
        tokens, ids = [], []
        for n in range(RESPONDENTS):
            participant, token = invite_participant(
                campaign, departments[n % 8], org.roles[n % 3], email=f"r{n}@example.jp"
            )
            tokens.append(token)
            ids.append(participant.id)
        by_role = {}
        for role in org.roles:
            survey = survey_for(campaign, role.key)
            by_role[role.key] = [
                [(q.field_name, q.id) for q in survey.page(number).questions]
                for number in range(1, survey.page_count + 1)
            ]
        pages = [by_role[org.roles[n % 3].key] for n in range(RESPONDENTS)]
        db.session.commit()
        db.engine.dispose()
    return Seeded(tokens, ids, pages)


def stored_answers(url: str, participant_ids: list[int]) -> dict[int, dict[str, int]]:
    from app.models import Answer, Response
    from app.platform.extensions import db

    app = _app(url)
    found: dict[int, dict[str, int]] = {pid: {} for pid in participant_ids}
    with app.app_context():
        rows = db.session.execute(
            db.select(Response.participant_id, Answer.item_id, Answer.value).join(
                Answer, Answer.response_id == Response.id
            )
        ).all()
        db.session.rollback()
        db.engine.dispose()
    for participant_id, item_id, value in rows:
        found[participant_id][item_id] = value
    return found


# --------------------------------------------------------------------------- server


def _server_cpu_s(master: int) -> float:
    """User and system CPU seconds of gunicorn's master and its workers, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            line = stat.read_text()
        except OSError:
            continue
        fields = line[line.rindex(")") + 2 :].split()
        if int(stat.parent.name) == master or int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@contextlib.contextmanager
def gunicorn(url: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as folder:
        config = Path(folder) / "gunicorn.conf.py"
        config.write_text("# the benchmark's settings are all on the command line\n")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FLASK_", "GUNICORN_"))
        }
        env.update(
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_hex(32),
            CX_QUESTIONNAIRE_DIR=str(ROOT / "questionnaires"),
        )
        log = (Path(folder) / "gunicorn.log").open("w")
        process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--config",
                str(config),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--backlog",
                "1024",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        "gunicorn exited: " + (Path(folder) / "gunicorn.log").read_text()
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer /healthz within 30 s")
                time.sleep(0.2)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            log.close()


# --------------------------------------------------------------------------- load


@dataclass
class Respondent:
    index: int
    client: httpx.AsyncClient
    csrf: str = ""


def _summary(latencies: list[float], errors: int, wall: float) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(wall, 3),
        "requests_per_s": round(len(latencies) / wall, 1) if wall else None,
        "p50_ms": round(statistics.median(ordered) * 1000, 2) if ordered else None,
        "p95_ms": round(pct(0.95), 2) if ordered else None,
    }


async def _sign_in(base: str, seeded: Seeded) -> list[Respondent]:
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def one(index: int, token: str) -> Respondent:
        client = httpx.AsyncClient(base_url=base, timeout=60, limits=limits)
        async with limit:
            first = await client.get(f"/r/{token}")
            assert first.status_code == 302, first.status_code
            welcome = await client.get("/survey/welcome")
            csrf = CSRF_RE.search(welcome.text)
            assert csrf, "no CSRF token on the welcome page"
            started = await client.post("/survey/start", data={"csrf_token": csrf.group(1)})
            assert started.status_code == 302, started.status_code
        return Respondent(index, client, csrf.group(1))

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(seeded.tokens))))


async def _phase(
    respondents: list[Respondent], request: Any, expected_status: int, server: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0

    async def worker(respondent: Respondent) -> None:
        nonlocal errors
        for round_ in range(ROUNDS):
            started = time.perf_counter()
            try:
                response = await request(respondent, round_)
                ok = response.status_code == expected_status
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    cpu = _server_cpu_s(server)
    started = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(worker(r) for r in respondents)), timeout=PHASE_TIMEOUT_S
    )
    summary = _summary(latencies, errors, time.perf_counter() - started)
    summary["server_cpu_ms_per_request"] = round(
        (_server_cpu_s(server) - cpu) * 1000 / max(len(latencies), 1), 2
    )
    return summary


async def _load(base: str, server: int, seeded: Seeded) -> dict[str, Any]:
    respondents = await _sign_in(base, seeded)
    try:

        async def healthz(r: Respondent, round_: int) -> httpx.Response:
            return await r.client.get("/healthz")

        async def view(r: Respondent, round_: int) -> httpx.Response:
            return await r.client.get(f"/survey/page?n={round_ % len(seeded.pages[r.index]) + 1}")

        async def save(r: Respondent, round_: int) -> httpx.Response:
            pages = seeded.pages[r.index]
            number = round_ % len(pages) + 1
            data = {
                field: str(_value(r.index, i)) for i, (field, _item) in enumerate(pages[number - 1])
            }
            return await r.client.post(
                f"/survey/page?n={number}",
                data={"csrf_token": r.csrf, "action": "next", **data},
            )

        return {
            "healthz": await _phase(respondents, healthz, 200, server),
            "page_view": await _phase(respondents, view, 200, server),
            "page_save": await _phase(respondents, save, 302, server),
        }
    finally:
        await asyncio.gather(*(r.client.aclose() for r in respondents))


def _verify(url: str, seeded: Seeded) -> dict[str, Any]:
    found = stored_answers(url, seeded.participant_ids)
    lost = expected = 0
    for index, participant_id in enumerate(seeded.participant_ids):
        stored = found[participant_id]
        for page in seeded.pages[index][:ROUNDS]:
            for i, (_field, item) in enumerate(page):
                expected += 1
                if stored.get(item) != _value(index, i):
                    lost += 1
    return {"answers_expected": expected, "answers_missing_or_wrong": lost}


def _ratios(results: dict[str, Any]) -> dict[str, Any]:
    base = results["healthz"]
    ratios = {}
    for name in ("page_view", "page_save"):
        phase = results[name]
        ratios[name] = {
            "throughput_vs_healthz": round(phase["requests_per_s"] / base["requests_per_s"], 3),
            "p50_vs_healthz": round(phase["p50_ms"] / base["p50_ms"], 2),
            "p95_vs_healthz": round(phase["p95_ms"] / base["p95_ms"], 2),
            "server_cpu_vs_healthz": round(
                phase["server_cpu_ms_per_request"] / base["server_cpu_ms_per_request"], 2
            ),
        }
    return ratios


def run_backend(database: Any) -> dict[str, Any]:
    with database() as url:
        seeded = seed(url)
        # The app's logging set-up (seeding ran it in this process) would log every request.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        with gunicorn(url) as (base, server):
            results = asyncio.run(_load(base, server, seeded))
        results["ratios"] = _ratios(results)
        results["verification"] = _verify(url, seeded)
    errors = sum(results[p]["errors"] for p in ("healthz", "page_view", "page_save"))
    results["ok"] = errors == 0 and results["verification"]["answers_missing_or_wrong"] == 0
    return results


def run() -> dict[str, Any]:
    document: dict[str, Any] = {
        "setup": {
            "respondents": RESPONDENTS,
            "rounds_per_respondent": ROUNDS,
            "server": f"gunicorn, {WORKERS} sync workers, loopback",
            "questionnaire": (
                "cx-five-capabilities: the first 5 pages of each role's survey (6 to 11 items)"
            ),
        },
    }
    document["sqlite"] = _guarded(sqlite_database)
    if postgres_reachable():
        document["postgresql"] = _guarded(postgres_database)
    else:
        document["postgresql"] = {"skipped": f"not reachable at {POSTGRES_URL}"}
    failures = [name for name in ("sqlite", "postgresql") if "error" in document[name]]
    # Errors or lost answers under load fail the benchmark run (make bench exits non-zero).
    failures += [
        name
        for name in ("sqlite", "postgresql")
        if "ok" in document[name] and not document[name]["ok"]
    ]
    if failures:
        raise RuntimeError(f"bench_survey failed on {', '.join(failures)}: {document}")
    return document


def _guarded(database: Any) -> dict[str, Any]:
    """One backend's results, or its error, so that one failure does not hide the other."""
    try:
        return run_backend(database)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
