"""Load and fault tests: simulated respondents against gunicorn on loopback.

Usage: python scripts/loadtest.py [--respondents N] [--drafts D] [--concurrency C]
                                  [--scenarios a,b,...]

Scenarios (default: all, in this order):
  sqlite            N respondents, SQLite database, no faults
  postgres          N respondents, PostgreSQL database, no faults
  sqlite-faults     SQLite, gunicorn workers SIGKILLed twice while respondents save
  postgres-faults   PostgreSQL, workers SIGKILLed and the PostgreSQL server restarted mid-run
  redis-batch       report batches on the RQ worker while Redis is stopped (and the worker
                    killed), then resumed through the web; run it alone with
                    --scenarios redis-batch

Each of the N respondents opens their personal link, starts, answers every page, reviews and
submits. On top of them, D more respondents (default: one for every ten) stop after two pages
and stay drafts; they are spread evenly through the run. Failed requests (connection errors,
429, 502, 503, 504) are retried like a browser's user would (saves and submits are
idempotent), and every retry is counted and reported per scenario with its cause. A scenario
without injected faults passes only with no error and no retry at all; a fault scenario may
retry, but no respondent may fail. Afterwards the database is checked answer by answer: all N
responses submitted, present once with exactly the answers sent, every draft intact. The
server logs are searched for the personal link tokens and for "database is locked" (either
fails the scenario). Results go to bench-results/loadtest.json.

Traffic goes only to 127.0.0.1. The PostgreSQL and Redis of this machine are restarted by
the fault scenarios and always left running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

OUT = ROOT / "bench-results"
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "cx_loadtest"
REDIS_URL = "redis://127.0.0.1:6379/14"
RETRY_STATUSES = {429, 502, 503, 504}
#: What the server logs when SQLite refuses a write lock; must never appear.
DATABASE_LOCKED = "database is locked"
MAX_ATTEMPTS = 10
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
RADIO_RE = re.compile(r'<input type="radio" id="[^"]*" name="(q_[^"]+)" value="([^"]+)"')
TEXTAREA_RE = re.compile(r'<textarea id="[^"]*" name="(q_[^"]+)"')


def _pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def pg_restart() -> float:
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "restart"],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False)  # noqa: S607


def redis_start() -> None:
    subprocess.run(
        [  # noqa: S607
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/ci.log",
        ],
        check=True,
    )
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True).returncode == 0:  # noqa: S607
            return
        time.sleep(0.1)


def ensure_services() -> None:
    """Leave PostgreSQL and Redis running whatever happened."""
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:  # noqa: S607
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", "start"],  # noqa: S607
            check=False,
        )
    if subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True).returncode != 0:  # noqa: S607
        redis_start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- set-up


@dataclass
class Fixture:
    url: str
    campaign_id: int
    #: (participant id, personal token) per simulated respondent.
    people: list[tuple[int, str]]


def fresh_database(kind: str, scratch: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{scratch / 'loadtest.sqlite3'}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DATABASE


def seed(url: str, respondents: int, secret_key: str) -> Fixture:
    """Migrate the database and create an open campaign with ``respondents`` invitations."""
    from flask_migrate import upgrade

    from app import create_app
    from app.operations.campaigns import create_campaign, open_campaign
    from app.operations.organizations import add_department, create_organization
    from app.operations.participants import invite_participant
    from app.platform.extensions import db
    from app.platform.migrations import init_migrations
    from app.queries.questionnaires import get_questionnaire

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "LOG_LEVEL": "WARNING"}
    )
    with app.app_context():
        init_migrations(app)
        upgrade()
        org = create_organization("loadtest", "負荷試験株式会社")
        departments = [add_department(org, f"部門{i:02d}") for i in range(1, 9)]
        campaign = create_campaign(org, get_questionnaire("cx-five-capabilities"), "負荷試験")
        open_campaign(campaign)
        people = []
        for i in range(respondents):
            participant, token = invite_participant(
                campaign, departments[i % len(departments)], org.roles[i % len(org.roles)]
            )
            people.append((participant.id, token))
        db.session.commit()
        fixture = Fixture(url, campaign.id, people)
        db.session.remove()
        db.engine.dispose()
    return fixture


class Server:
    """``gunicorn --config gunicorn.conf.py wsgi:app`` on a loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not become ready; see {self.log_path}")

    def workers(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --------------------------------------------------------------------------- respondents


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    retry_causes: dict[str, int] = field(default_factory=dict)
    #: Every retry: when (UTC, to compare with the server log), why and which request.
    retry_log: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: int = 0


class RespondentFailed(Exception):
    pass


async def _request(
    client: httpx.AsyncClient, stats: Stats, method: str, url: str, expect: set[int], **kwargs: Any
) -> httpx.Response:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            cause = type(exc).__name__
            detail = str(exc)[:120]
        else:
            stats.latencies.append(time.perf_counter() - started)
            stats.requests += 1
            if response.status_code in expect:
                return response
            if response.status_code not in RETRY_STATUSES:
                raise RespondentFailed(f"{method} {url.split('?')[0]}: {response.status_code}")
            cause = str(response.status_code)
            detail = ""
        stats.retries += 1
        stats.retry_causes[cause] = stats.retry_causes.get(cause, 0) + 1
        stats.retry_log.append(
            {
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request": f"{method} {'/r/<token>' if url.startswith('/r/') else url}",
                "attempt": attempt,
                "cause": cause,
                "detail": detail,
            }
        )
        await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
    raise RespondentFailed(f"{method} {url.split('?')[0]}: gave up after {MAX_ATTEMPTS} attempts")


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RespondentFailed("no CSRF token on the page")
    return match.group(1)


def _answers_for(html: str, index: int, page: int) -> dict[str, str]:
    """Deterministic answers for every question on a page (a varied but known pattern)."""
    options: dict[str, list[str]] = {}
    for name, value in RADIO_RE.findall(html):
        options.setdefault(name, []).append(value)
    answers = {}
    for position, (name, values) in enumerate(sorted(options.items())):
        answers[name] = values[(index + page + position) % len(values)]
    for name in TEXTAREA_RE.findall(html):
        answers[name] = f"回答者{index}の自由記述（{name}）"
    return answers


async def respondent(
    index: int, token: str, base_url: str, stats: Stats, draft_only: bool
) -> tuple[str, dict[str, str]]:
    """Run one respondent; returns (final state, answers sent)."""
    sent: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await _request(client, stats, "GET", f"/r/{token}", {302})
        welcome = await _request(client, stats, "GET", "/survey/welcome", {200})
        await _request(
            client, stats, "POST", "/survey/start", {302}, data={"csrf_token": _csrf(welcome.text)}
        )
        page = 1
        while True:
            html = (await _request(client, stats, "GET", f"/survey/page?n={page}", {200})).text
            answers = _answers_for(html, index, page)
            moved = await _request(
                client,
                stats,
                "POST",
                f"/survey/page?n={page}",
                {302},
                data={**answers, "csrf_token": _csrf(html), "action": "next"},
            )
            sent.update(answers)
            if draft_only and page == 2:
                return "draft", sent
            if "/survey/review" in moved.headers["location"]:
                break
            page += 1
        review = await _request(client, stats, "GET", "/survey/review", {200})
        await _request(
            client, stats, "POST", "/survey/submit", {302}, data={"csrf_token": _csrf(review.text)}
        )
        await _request(client, stats, "GET", "/survey/thanks", {200})
    return "submitted", sent


def draft_positions(total: int, drafts: int) -> set[int]:
    """``drafts`` indices spread evenly over ``0 .. total - 1`` (the drafts among everyone)."""
    if not 0 <= drafts <= total:
        raise ValueError(f"{drafts} drafts among {total} respondents")
    return {(2 * k + 1) * total // (2 * drafts) for k in range(drafts)}


async def run_respondents(
    fixture: Fixture,
    base_url: str,
    concurrency: int,
    time_limit: float,
    faults: list[tuple[float, str]],
    server: Server,
    drafts: int = 0,
) -> tuple[Stats, dict[int, tuple[str, dict[str, str]]], list[dict[str, Any]], float]:
    """Run everyone of ``fixture``: ``drafts`` of them (spread evenly) stop as drafts, the
    others submit."""
    stats = Stats()
    outcomes: dict[int, tuple[str, dict[str, str]]] = {}
    gate = asyncio.Semaphore(concurrency)
    total = len(fixture.people)
    stopping = draft_positions(total, drafts)

    async def one(index: int, participant_id: int, token: str) -> None:
        async with gate:
            try:
                outcomes[participant_id] = await respondent(
                    index, token, base_url, stats, draft_only=index in stopping
                )
            except RespondentFailed as exc:
                stats.errors.append(f"respondent {index}: {exc}")
            finally:
                stats.done += 1

    fault_log: list[dict[str, Any]] = []

    async def inject() -> None:
        for at, fault in sorted(faults):
            while stats.done < at * total:
                await asyncio.sleep(0.05)
            event: dict[str, Any] = {"fault": fault, "at_respondent": stats.done}
            if fault == "worker-kill":
                victims = server.workers()
                if victims:
                    os.kill(victims[0], signal.SIGKILL)
                    event["killed_pid"] = victims[0]
            elif fault == "pg-restart":
                event["restart_seconds"] = round(await asyncio.to_thread(pg_restart), 2)
            fault_log.append(event)
            print(f"  fault injected: {event}", flush=True)

    started = time.perf_counter()
    tasks = [one(i, pid, token) for i, (pid, token) in enumerate(fixture.people)]
    await asyncio.wait_for(asyncio.gather(inject(), *tasks), timeout=time_limit)
    return stats, outcomes, fault_log, time.perf_counter() - started


# --------------------------------------------------------------------------- checks


def verify(fixture: Fixture, outcomes: dict[int, tuple[str, dict[str, str]]]) -> dict[str, Any]:
    """Compare the database with what the respondents sent, answer by answer."""
    engine = create_engine(fixture.url)
    with engine.connect() as conn:
        responses = conn.execute(
            text(
                "SELECT participant_id, status, count(*) OVER (PARTITION BY participant_id) "
                "FROM response WHERE campaign_id = :c"
            ),
            {"c": fixture.campaign_id},
        ).all()
        stored: dict[int, dict[str, str]] = {}
        rows = conn.execute(
            text(
                "SELECT r.participant_id, a.item_id, a.value, a.not_applicable, a.text "
                "FROM answer a JOIN response r ON r.id = a.response_id WHERE r.campaign_id = :c"
            ),
            {"c": fixture.campaign_id},
        ).all()
        duplicates = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT response_id, item_id FROM answer "
                "GROUP BY response_id, item_id HAVING count(*) > 1) d"
            )
        ).scalar()
    engine.dispose()
    for participant_id, item_id, value, not_applicable, free_text in rows:
        shown = "na" if not_applicable else (free_text if free_text is not None else str(value))
        stored.setdefault(participant_id, {})[f"q_{item_id}"] = shown
    status = {pid: st for pid, st, _ in responses}
    result = {
        "submitted_expected": sum(1 for s, _ in outcomes.values() if s == "submitted"),
        "submitted_found": sum(1 for s in status.values() if s == "submitted"),
        "drafts_expected": sum(1 for s, _ in outcomes.values() if s == "draft"),
        "drafts_found": sum(1 for s in status.values() if s == "draft"),
        "responses_duplicated": sum(1 for _, _, n in responses if n > 1),
        "answer_rows_duplicated": duplicates,
        "answers_expected": sum(len(sent) for _, sent in outcomes.values()),
        "answers_found": len(rows),
        "answers_missing": 0,
        "answers_wrong": 0,
        "responses_in_wrong_state": 0,
    }
    for participant_id, (state, sent) in outcomes.items():
        if status.get(participant_id) != state:
            result["responses_in_wrong_state"] += 1
        have = stored.get(participant_id, {})
        for name, value in sent.items():
            if name not in have:
                result["answers_missing"] += 1
            elif have[name] != value:
                result["answers_wrong"] += 1
    result["ok"] = (
        result["submitted_found"] == result["submitted_expected"]
        and result["drafts_found"] == result["drafts_expected"]
        and result["answers_found"] == result["answers_expected"]
        and not result["answers_missing"]
        and not result["answers_wrong"]
        and not result["responses_duplicated"]
        and not result["answer_rows_duplicated"]
        and not result["responses_in_wrong_state"]
    )
    return result


def tokens_in_log(log_path: Path, fixture: Fixture) -> int:
    content = log_path.read_text(encoding="utf-8", errors="replace")
    return sum(1 for _, token in fixture.people if token in content)


def worker_restarts_in_log(log_path: Path) -> int:
    """Gunicorn workers recycled after ``max_requests`` during the run."""
    content = log_path.read_text(encoding="utf-8", errors="replace")
    return content.count("Autorestarting worker")


def database_locked_in_logs(*log_paths: Path) -> int:
    """Lines of the server logs that report SQLite's "database is locked"."""
    found = 0
    for path in log_paths:
        if path.exists():
            with path.open(encoding="utf-8", errors="replace") as lines:
                found += sum(1 for line in lines if DATABASE_LOCKED in line.lower())
    return found


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# --------------------------------------------------------------------------- scenarios


def respondent_scenario(
    name: str, kind: str, faults: list[tuple[float, str]], args: argparse.Namespace
) -> dict[str, Any]:
    drafts = args.respondents // 10 if args.drafts is None else args.drafts
    print(
        f"== {name}: {args.respondents} respondents submitting and {drafts} drafts on {kind}",
        flush=True,
    )
    secret_key = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="cx-loadtest-") as scratch:
        url = fresh_database(kind, Path(scratch))
        seeded = time.perf_counter()
        fixture = seed(url, args.respondents + drafts, secret_key)
        seed_seconds = time.perf_counter() - seeded
        log_path = OUT / f"loadtest-{name}.log"
        env = {
            "DATABASE_URL": url,
            "SECRET_KEY": secret_key,
            "LOG_FORMAT": "json",
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "CX_BASE_URL": "http://127.0.0.1",
        }
        with Server(env, log_path) as server:
            stats, outcomes, fault_log, elapsed = asyncio.run(
                run_respondents(
                    fixture,
                    server.base_url,
                    args.concurrency,
                    args.time_limit,
                    faults,
                    server,
                    drafts=drafts,
                )
            )
            workers_after = len(server.workers())
        check = verify(fixture, outcomes)
        leaked = tokens_in_log(log_path, fixture)
        locked = database_locked_in_logs(log_path)
        restarts = worker_restarts_in_log(log_path)
    everyone_submitted = (
        check["submitted_expected"] == check["submitted_found"] == args.respondents
        and check["drafts_expected"] == check["drafts_found"] == drafts
    )
    # Without injected faults nothing may need a second attempt; with faults, retries are
    # expected (and reported) but no respondent may fail.
    retries_allowed = bool(faults)
    result = {
        "database": kind,
        "respondents": args.respondents,
        "drafts": drafts,
        "concurrency": args.concurrency,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "seconds": round(elapsed, 2),
        "seed_seconds": round(seed_seconds, 2),
        "respondents_per_second": round(len(outcomes) / elapsed, 2),
        "requests": stats.requests,
        "requests_per_second": round(stats.requests / elapsed, 1),
        "latency_ms": {
            "p50": round(_percentile(stats.latencies, 50) * 1000, 1),
            "p95": round(_percentile(stats.latencies, 95) * 1000, 1),
            "p99": round(_percentile(stats.latencies, 99) * 1000, 1),
            "max": round(max(stats.latencies, default=0) * 1000, 1),
        },
        "retries": stats.retries,
        "retry_causes": stats.retry_causes,
        "retries_allowed": retries_allowed,
        "retry_samples": stats.retry_log[:50],
        "worker_recycled_after_max_requests": restarts,
        "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "faults": fault_log,
        "workers_alive_after": workers_after,
        "database_check": check,
        "all_respondents_submitted": everyone_submitted,
        "tokens_found_in_server_log": leaked,
        "database_locked_in_server_log": locked,
        "ok": not stats.errors
        and (retries_allowed or stats.retries == 0)
        and check["ok"]
        and everyone_submitted
        and leaked == 0
        and locked == 0,
    }
    summary = (
        "seconds",
        "latency_ms",
        "errors",
        "retries",
        "retry_causes",
        "database_locked_in_server_log",
        "ok",
    )
    summary_line = {"scenario": name, **{key: result[key] for key in summary}}
    summary_line["submitted"] = check["submitted_found"]
    summary_line["drafts"] = check["drafts_found"]
    summary_line["answers"] = f"{check['answers_found']}/{check['answers_expected']}"
    print(json.dumps(summary_line), flush=True)
    return result


#: Staff account the redis-batch scenario starts and resumes its batches with.
BATCH_EMAIL = "consultant@loadtest.example"
#: The web's staleness limit in the redis-batch scenario: a batch without progress for this
#: long is shown as interrupted (production default: 600 s).
BATCH_STALE_S = 30


def redis_up() -> bool:
    ping = subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True)  # noqa: S607
    return ping.stdout.strip() == "PONG"


def kill_tree(pid: int) -> list[int]:
    """SIGKILL ``pid`` and every process below it (an RQ worker and its work horse, which
    runs in a process group of its own); returns the pids killed."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        children = Path(f"/proc/{current}/task/{current}/children")
        if children.exists():
            found.extend(int(child) for child in children.read_text().split())
        index += 1
    for victim in reversed(found):
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    return found


def add_consultant(url: str, secret_key: str, password: str) -> None:
    """A consultant of the seeded organisation, to start batches through the web."""
    from app import create_app
    from app.auth.accounts import create_user, grant_access
    from app.models import Organization
    from app.platform.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key, "LOG_LEVEL": "WARNING"}
    )
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.slug == "loadtest"))
        grant_access(create_user(BATCH_EMAIL, password), org, "consultant")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


class Staff:
    """A logged-in consultant's browser: pages, progress and downloads over HTTP."""

    def __init__(self, base_url: str, password: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        login = self.client.get("/login").text
        answer = self.client.post(
            "/login",
            data={"email": BATCH_EMAIL, "password": password, "csrf_token": _csrf(login)},
        )
        if answer.status_code != 302:
            raise RuntimeError(f"consultant login answered {answer.status_code}")

    def post(self, path: str, page: str, data: dict[str, str] | None = None) -> httpx.Response:
        """POST ``path`` with the CSRF token of ``page``."""
        token = _csrf(self.client.get(page).text)
        return self.client.post(path, data={**(data or {}), "csrf_token": token})

    def status(self, job_id: int) -> dict[str, Any]:
        return self.client.get(f"/reports/jobs/{job_id}.json").json()

    def wait(self, job_id: int, until: Any, limit: float) -> dict[str, Any]:
        deadline = time.monotonic() + limit
        while True:
            state = self.status(job_id)
            if until(state) or time.monotonic() > deadline:
                return state
            time.sleep(1)

    def archive(self, job_id: int) -> list[zipfile.ZipInfo]:
        """The entries of the job's zip (every PDF checked to be a whole PDF)."""
        state = self.status(job_id)
        if not state.get("download"):
            return []
        download = self.client.get(state["download"])
        with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
            entries = bundle.infolist()
            for entry in entries:
                data = bundle.read(entry)
                if entry.filename.endswith(".pdf") and not (
                    data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
                ):
                    raise RuntimeError(f"{entry.filename} in the zip is not a whole PDF")
        return entries


FINISHED = ("done", "failed")


def _entry_time(entry: zipfile.ZipInfo) -> float:
    """The modification time a zip entry keeps of its file (local time, 2 s steps)."""
    return time.mktime((*entry.date_time, 0, 0, -1))


def _job_id(response: httpx.Response) -> int:
    location = response.headers.get("location", "")
    if response.status_code != 302 or "/reports/jobs/" not in location:
        raise RuntimeError(f"starting a batch answered {response.status_code} {location}")
    return int(location.rstrip("/").rsplit("/", 1)[-1])


def redis_batch_scenario(args: argparse.Namespace) -> dict[str, Any]:
    """Report batches on the RQ worker while Redis is stopped, then resumed through the web.

    Batch A runs on the worker when Redis is stopped; while it is down a second batch B is
    started (the queue is unreachable) and the worker dies with its job. After Redis is back
    (and the worker restarted, as systemd would), A must show as interrupted and B as failed
    with the reason, both resumable; resuming renders only what is missing and ends in a zip
    with every report.
    """
    print("== redis-batch: report batches with Redis stopped mid-run", flush=True)
    secret_key = secrets.token_hex(32)
    password = secrets.token_urlsafe(16)
    respondents = min(args.respondents, 200)
    events: list[dict[str, Any]] = []
    checks: dict[str, bool] = {}
    result: dict[str, Any] = {"events": events, "checks": checks}

    def event(name: str, **details: Any) -> None:
        entry = {"event": name, **details}
        events.append(entry)
        print(f"  {json.dumps(entry, ensure_ascii=False, default=str)}", flush=True)

    with tempfile.TemporaryDirectory(prefix="cx-loadtest-") as scratch:
        url = fresh_database("postgres", Path(scratch))
        fixture = seed(url, respondents, secret_key)
        add_consultant(url, secret_key, password)
        archive = Path(scratch) / "archive"
        env = {
            "DATABASE_URL": url,
            "SECRET_KEY": secret_key,
            "LOG_FORMAT": "json",
            "REDIS_URL": REDIS_URL,
            "CX_REPORT_ARCHIVE_DIR": str(archive),
            "CX_REPORT_JOB_STALE_S": str(BATCH_STALE_S),
            "CX_BASE_URL": "http://127.0.0.1",
        }
        worker_env = {**os.environ, **env, "LOG_LEVEL": "INFO"}
        worker_log = (OUT / "loadtest-redis-batch-worker.log").open("wb")

        def start_worker() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "app.platform.worker"],
                cwd=ROOT,
                env=worker_env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        worker = start_worker()
        try:
            with Server(env, OUT / "loadtest-redis-batch-web.log") as server:
                stats, outcomes, _, _ = asyncio.run(
                    run_respondents(
                        fixture, server.base_url, args.concurrency, args.time_limit, [], server
                    )
                )
                result["respondents_submitted_before_batch"] = sum(
                    1 for state, _ in outcomes.values() if state == "submitted"
                )
                result["respondent_errors"] = len(stats.errors)
                result["respondent_retries"] = stats.retries
                result["respondent_retry_causes"] = stats.retry_causes
                staff = Staff(server.base_url, password)
                index = f"/reports/campaigns/{fixture.campaign_id}"
                a = _job_id(staff.post(f"{index}/batch", index, {"lang": "ja"}))
                first = staff.wait(a, lambda state: state["completed"] >= 1, 300)
                event("batch A running", job=a, completed=first["completed"], total=first["total"])
                try:
                    redis_stop()
                    event("redis stopped", redis_answers=redis_up())
                    started_b = staff.post(f"{index}/batch", index, {"lang": "ja"})
                    b = _job_id(started_b)
                    page_b = staff.client.get(f"/reports/jobs/{b}").text
                    state_b = staff.status(b)
                    event(
                        "batch B started while redis down",
                        job=b,
                        http_status=started_b.status_code,
                        status=state_b["status"],
                        resumable=state_b["resumable"],
                    )
                    checks["B answered with a redirect, not an error"] = (
                        started_b.status_code == 302
                    )
                    checks["B failed: the job queue is unavailable"] = (
                        state_b["status"] == "failed"
                        and state_b["resumable"]
                        and "ジョブキューが利用できない" in page_b
                    )
                    time.sleep(8)
                    during = staff.status(a)
                    event(
                        "8 s later, redis still down",
                        batch_a_completed=during["completed"],
                        worker_alive=worker.poll() is None,
                    )
                    killed = kill_tree(worker.pid)
                    worker.wait()
                    event("worker and its work horse killed", pids=killed)
                finally:
                    redis_start()
                event("redis restarted", redis_answers=redis_up())
                worker = start_worker()
                state_a = staff.wait(a, lambda state: state["resumable"], BATCH_STALE_S + 90)
                event(
                    "batch A after the outage",
                    status=state_a["status"],
                    interrupted=state_a["interrupted"],
                    resumable=state_a["resumable"],
                    completed=state_a["completed"],
                    failed=state_a["failed"],
                    total=state_a["total"],
                )
                page_a = staff.client.get(f"/reports/jobs/{a}").text
                checks["A reported as interrupted or failed, resumable"] = state_a[
                    "resumable"
                ] and ('data-state="interrupted"' in page_a or state_a["status"] == "failed")
                kept_before = state_a["completed"]
                resumed_at = time.time()
                for job in (a, b):
                    answer = staff.post(f"/reports/jobs/{job}/resume", f"/reports/jobs/{job}")
                    if answer.status_code != 302:
                        raise RuntimeError(f"resuming batch {job} answered {answer.status_code}")
                event("batches A and B resumed")
                finals = {}
                for name, job in (("A", a), ("B", b)):
                    final = staff.wait(job, lambda state: state["status"] in FINISHED, 600)
                    entries = staff.archive(job)
                    pdfs = [entry for entry in entries if entry.filename.endswith(".pdf")]
                    # A zip entry keeps its file's time: reports older than the resume were kept.
                    reused = sum(1 for entry in pdfs if _entry_time(entry) < resumed_at - 2)
                    finals[name] = {
                        "status": final["status"],
                        "completed": final["completed"],
                        "failed": final["failed"],
                        "total": final["total"],
                        "pdfs_in_zip": len(pdfs),
                        "reused_from_before_the_outage": reused,
                    }
                    checks[f"{name} resumed to a zip with every report"] = (
                        final["status"] == "done"
                        and final["failed"] == 0
                        and len(pdfs) == final["total"] > 0
                    )
                event("after resume", **finals)
                checks["A rendered only what was missing"] = (
                    finals["A"]["reused_from_before_the_outage"] == kept_before
                )
                result["batches"] = finals
        finally:
            if not redis_up():
                redis_start()
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    kill_tree(worker.pid)
                    worker.wait()
            worker_log.close()
    locked = database_locked_in_logs(
        OUT / "loadtest-redis-batch-web.log", OUT / "loadtest-redis-batch-worker.log"
    )
    result["database_locked_in_server_log"] = locked
    checks['no "database is locked" in the web and worker logs'] = locked == 0
    checks["redis answers PONG at the end"] = redis_up()
    result["ok"] = bool(checks) and all(checks.values())
    print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return result


SCENARIOS = {
    "sqlite": ("sqlite", []),
    "postgres": ("postgres", []),
    "sqlite-faults": ("sqlite", [(0.25, "worker-kill"), (0.6, "worker-kill")]),
    "postgres-faults": (
        "postgres",
        [(0.2, "worker-kill"), (0.45, "pg-restart"), (0.7, "worker-kill")],
    ),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--respondents", type=int, default=1000, help="respondents who complete and submit"
    )
    parser.add_argument(
        "--drafts",
        type=int,
        default=None,
        help="extra respondents who stop after two pages (default: respondents / 10)",
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=1800, help="seconds per scenario")
    parser.add_argument(
        "--scenarios", default=",".join([*SCENARIOS, "redis-batch"]), help="comma-separated"
    )
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    document: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count()},
        "scenarios": {},
    }
    failed = False
    try:
        for name in args.scenarios.split(","):
            try:
                if name == "redis-batch":
                    result = redis_batch_scenario(args)
                else:
                    kind, faults = SCENARIOS[name]
                    result = respondent_scenario(name, kind, faults, args)
            except Exception as exc:  # one broken scenario must not hide the others
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            finally:
                ensure_services()
            failed = failed or not result.get("ok")
            document["scenarios"][name] = result
    finally:
        ensure_services()
        text_out = json.dumps(document, indent=2, ensure_ascii=False, default=str)
        (OUT / "loadtest.json").write_text(text_out + "\n", encoding="utf-8")
    print(f"written {OUT / 'loadtest.json'}; {'FAILED' if failed else 'all scenarios ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
