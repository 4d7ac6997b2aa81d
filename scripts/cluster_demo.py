"""A two-node cluster on one machine, and a smoke test across it.

Usage: python scripts/cluster_demo.py [--keep]

Starts two gunicorn web nodes on loopback ports (A and B), one RQ worker, a fresh PostgreSQL
database (``cx_cluster_demo`` on 127.0.0.1:5432) and Redis on 127.0.0.1:6379, all sharing
one SECRET_KEY, exactly as N machines behind a proxy would. Then:

1. a consultant logs in on node A and keeps working on node B with the same cookie;
2. a respondent saves a page on node A and resumes on node B, answers intact;
3. a report batch is started through node A, run by the worker, and followed on node B.

Everything is stopped at the end (``--keep`` leaves the database for inspection).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(SCRIPTS.parent))

import httpx  # noqa: E402
from loadtest import OUT, PG_ADMIN_URL, ROOT, Server, ensure_services  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

DATABASE = "cx_cluster_demo"
REDIS_URL = "redis://127.0.0.1:6379/13"
# A throwaway account in a database the demo creates and drops.
PASSWORD = "Cluster-Demo-Lantern-4471"  # noqa: S105
EMAIL = "consultant@cluster.example"
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
RADIO_RE = re.compile(r'<input type="radio" id="[^"]*" name="(q_[^"]+)" value="([^"]+)"')


def _admin_execute(statement: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def prepare(url: str, secret_key: str) -> tuple[int, str]:
    """Migrate, then create a consultant, an open campaign with 6 submitted answers and a link."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.accounts import create_user, grant_access
    from app.operations.campaigns import create_campaign, open_campaign
    from app.operations.organizations import add_department, create_organization
    from app.operations.participants import invite_participant
    from app.operations.responses import begin, save_page, submit
    from app.platform.extensions import db
    from app.platform.migrations import init_migrations
    from app.queries.questionnaires import get_questionnaire

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret_key})
    with app.app_context():
        init_migrations(app)
        upgrade()
        org = create_organization("cluster-demo", "クラスタ検証株式会社")
        department = add_department(org, "営業本部")
        questionnaire = get_questionnaire("cx-five-capabilities")
        campaign = create_campaign(org, questionnaire, "クラスタ検証")
        open_campaign(campaign)
        user = create_user(EMAIL, PASSWORD)
        grant_access(user, org, "consultant")
        # Enough submitted responses for the organisation report to have numbers.
        items = [item.id for item in questionnaire.items]
        for index in range(6):
            participant, _ = invite_participant(campaign, department, org.roles[index % 3])
            begin(participant)
            save_page(
                participant, questionnaire, {i: 1 + (index + n) % 5 for n, i in enumerate(items)}
            )
            submit(participant)
        participant, token = invite_participant(campaign, department, org.roles[1])
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    return campaign_id, token


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def check(label: str, condition: bool, detail: str = "") -> bool:
    print(f"  [{'ok' if condition else 'FAIL'}] {label}{(': ' + detail) if detail else ''}")
    return condition


def smoke(node_a: str, node_b: str, campaign_id: int, token: str) -> bool:
    results = []
    # 1. Staff session: log in on A, continue on B.
    with httpx.Client(timeout=30) as staff:
        csrf = _csrf(staff.get(f"{node_a}/login").text)
        login = staff.post(
            f"{node_a}/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf}
        )
        results.append(check("login on node A", login.status_code == 302))
        on_b = staff.get(f"{node_b}/workspace/")
        results.append(
            check("same cookie accepted on node B", on_b.status_code == 200, str(on_b.status_code))
        )

        # 3. A report batch started through A, run by the worker, followed on B.
        page = staff.get(f"{node_a}/account").text
        started = staff.post(
            f"{node_a}/reports/campaigns/{campaign_id}/batch",
            data={"csrf_token": _csrf(page), "lang": "ja"},
        )
        location = started.headers.get("location", "")
        results.append(check("batch enqueued through node A", started.status_code == 302, location))
        job_url = f"{node_b}{location}.json" if location.startswith("/") else None
        status: dict = {}
        deadline = time.monotonic() + 300
        while job_url and time.monotonic() < deadline:
            status = staff.get(job_url).json()
            if status.get("status") in ("done", "failed"):
                break
            time.sleep(1)
        results.append(
            check(
                "worker completed the job, seen from node B",
                status.get("status") == "done",
                f"{status.get('status')} {status.get('completed')}/{status.get('total')}",
            )
        )

    # 2. Respondent: save on A, resume on B.
    with httpx.Client(timeout=30) as respondent:
        results.append(
            check(
                "personal link on node A", respondent.get(f"{node_a}/r/{token}").status_code == 302
            )
        )
        welcome = respondent.get(f"{node_a}/survey/welcome").text
        respondent.post(f"{node_a}/survey/start", data={"csrf_token": _csrf(welcome)})
        first = respondent.get(f"{node_a}/survey/page?n=1").text
        answers = {}
        for name, value in RADIO_RE.findall(first):
            answers.setdefault(name, value)
        saved = respondent.post(
            f"{node_a}/survey/page?n=1",
            data={**answers, "csrf_token": _csrf(first), "action": "next"},
        )
        results.append(check("page 1 saved on node A", saved.status_code == 302))
        resume = respondent.get(f"{node_b}/survey/")
        results.append(
            check(
                "node B resumes at page 2",
                resume.status_code == 302 and "n=2" in resume.headers.get("location", ""),
                resume.headers.get("location", ""),
            )
        )
        again = respondent.get(f"{node_b}/survey/page?n=1").text
        kept = all(
            re.search(rf'name="{re.escape(n)}" value="{re.escape(v)}" checked', again)
            for n, v in answers.items()
        )
        results.append(check(f"node B shows the {len(answers)} answers saved on A", kept))
    return all(results)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the demo database")
    args = parser.parse_args(argv)
    ensure_services()
    OUT.mkdir(exist_ok=True)
    secret_key = secrets.token_hex(32)
    _admin_execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{DATABASE}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE
    print(f"database {url}, redis {REDIS_URL}")
    campaign_id, token = prepare(url, secret_key)
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": secret_key,
        "REDIS_URL": REDIS_URL,
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "LOG_FORMAT": "json",
    }
    worker_log = (OUT / "cluster-worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.platform.worker"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    ok = False
    try:
        with (
            Server(env, OUT / "cluster-node-a.log") as node_a,
            Server(env, OUT / "cluster-node-b.log") as node_b,
        ):
            print(f"node A {node_a.base_url}, node B {node_b.base_url}, worker pid {worker.pid}")
            ok = smoke(node_a.base_url, node_b.base_url, campaign_id, token)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        worker_log.close()
        if not args.keep:
            _admin_execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        ensure_services()
    print("cluster demo: " + ("all checks passed" if ok else "FAILED (logs in bench-results/)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
