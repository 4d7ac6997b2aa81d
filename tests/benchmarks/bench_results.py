"""The results computation at scale: 1,000 and 20,000 respondents x 40 items.

For each database (a fresh SQLite file; PostgreSQL in a fresh schema when reachable at
``BENCH_POSTGRES_URL``, by default postgresql+psycopg://postgres@127.0.0.1:5432/test, dropped
afterwards) and each size, the benchmark bulk-loads a closed campaign of the
cx-five-capabilities questionnaire grown to 40 items (executemany on SQLite, COPY on
PostgreSQL; 3% of answers "not applicable", a few skipped), then measures in the same run,
as medians of 11 repeats (5 at 20,000 respondents) taken in turn, so that the machine's
changes of pace fall on every figure alike:

- ``results_s``: the full, uncached ``campaign_results`` (every breakdown, anonymity, gaps,
  reliability, findings);
- ``cached_s``: the same call answered from the cache (data-version check only);
- ``raw_item_group_by_s``: one raw ``SELECT item_id, value, COUNT(*) ... GROUP BY`` over the
  campaign's answers;
- ``raw_respondent_group_by_s``: one raw ``SELECT response_id, <dimension>, SUM, COUNT ...
  GROUP BY`` over the same answers, the per-respondent sums every score is made of.

``ratio`` (results_s / raw_respondent_group_by_s) is the figure tracked: how much the whole
computation costs next to the one aggregate it cannot avoid. ``ratio_item`` is given too.
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

import numpy as np
from sqlalchemy import case, create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent.parent
SIZES = (1_000, 20_000)
#: Repeats per size: the small campaign's figures move more from run to run, and cost little.
REPEATS = {1_000: 11, 20_000: 5}
NOT_APPLICABLE_SHARE = 0.03
SKIPPED_SHARE = 0.01
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: (name, parent index or None): a two-level hierarchy like a real client's.
DEPARTMENTS = [
    ("経営企画部", None),
    ("営業本部", None),
    ("個人営業部", 1),
    ("法人営業部", 1),
    ("事務統括部", None),
    ("デジタル推進部", None),
    ("お客さまサポートセンター", None),
    ("人事部", None),
    ("システム部", None),
    ("リスク管理部", None),
    ("東日本支店群", 1),
    ("西日本支店群", 1),
]


#: Items per respondent in the benchmark campaigns.
ITEMS = 40


def benchmark_questionnaire(base: Any) -> Any:
    """The five-capabilities questionnaire grown to ``ITEMS`` items.

    Its 36 items plus copies of the first items of the first dimensions (new ids, same text
    and levels), so the campaign has the 40 items per respondent the benchmark is specified
    with while keeping the real questionnaire's dimensions, reverse items and scale.
    """
    from app.questionnaire import Questionnaire

    content = base.content_dict()
    missing = ITEMS - sum(len(d["items"]) for d in content["dimensions"])
    for index in range(max(0, missing)):
        dimension = content["dimensions"][index % len(content["dimensions"])]
        copy = dict(dimension["items"][0])
        copy["id"] = f"{copy['id']}_bench{index + 1}"
        dimension["items"].append(copy)
    content["version"] = f"{content['version']}-bench{ITEMS}"
    return Questionnaire.from_dict(content)


def _median(measure: Callable[[], Any], repeats: int) -> float:
    return _medians([measure], repeats)[0]


def _medians(measures: list[Callable[[], Any]], repeats: int) -> list[float]:
    """Median time of each measure, run in turn ``repeats`` times."""
    times: list[list[float]] = [[] for _ in measures]
    for _ in range(repeats):
        for measure, found in zip(measures, times, strict=True):
            start = time.perf_counter()
            measure()
            found.append(time.perf_counter() - start)
    return [statistics.median(found) for found in times]


@contextlib.contextmanager
def _database(backend: str) -> Iterator[tuple[str, dict[str, Any]] | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cx-bench-") as directory:
            yield f"sqlite:///{directory}/bench.sqlite3", {}
        return
    schema = f"bench_results_{secrets.token_hex(4)}"
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:  # no PostgreSQL here: report it rather than fail the other results
        yield None
        return
    try:
        # No statement timeout: the bulk load is one COPY of up to 720,000 answers, which a
        # busy machine can take longer than the application's limit for a request over.
        options = f"-csearch_path={schema} -c statement_timeout=0"
        yield POSTGRES_URL, {"connect_args": {"options": options}}
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def _load(db: Any, n_respondents: int, is_postgres: bool) -> tuple[int, int]:
    """Bulk-load one closed campaign; returns (campaign id, number of answer rows)."""
    from app.models import Answer, Campaign, Department, Organization, Response, Role, utcnow
    from app.models.organization import DEFAULT_ROLES
    from app.questionnaire import load_questionnaire

    questionnaire = benchmark_questionnaire(
        load_questionnaire(ROOT / "questionnaires/cx-five-capabilities.yaml")
    )
    now = utcnow()
    organization = Organization(name="ベンチマーク銀行", slug="bench")
    db.session.add(organization)
    db.session.flush()
    departments: list[Department] = []
    for position, (name, parent) in enumerate(DEPARTMENTS):
        department = Department(
            organization_id=organization.id,
            name=name,
            position=position,
            parent_id=None if parent is None else departments[parent].id,
        )
        db.session.add(department)
        db.session.flush()
        departments.append(department)
    roles = []
    for rank, (key, labels) in enumerate(DEFAULT_ROLES):
        role = Role(organization_id=organization.id, key=key, labels=dict(labels), rank=rank)
        db.session.add(role)
        roles.append(role)
    campaign = Campaign(
        organization_id=organization.id,
        name="benchmark",
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.content_hash,
        questionnaire_content=questionnaire.to_dict(),
        status="closed",
        anonymity_threshold=5,
        targets={"digital": 4, "org_behavior": 3.5},
    )
    db.session.add(campaign)
    db.session.flush()

    rng = np.random.default_rng(20261121)
    role_of = rng.choice([r.id for r in roles], size=n_respondents, p=[0.1, 0.3, 0.6])
    department_of = rng.choice([d.id for d in departments], size=n_respondents)
    db.session.execute(
        insert(Response),
        [
            {
                "campaign_id": campaign.id,
                "department_id": int(department_of[i]),
                "role_id": int(role_of[i]),
                "status": "submitted",
                "source": "import",
                "current_page": 0,
                "created_at": now,
                "updated_at": now,
                "submitted_at": now,
            }
            for i in range(n_respondents)
        ],
    )
    response_ids = db.session.scalars(
        select(Response.id).where(Response.campaign_id == campaign.id).order_by(Response.id)
    ).all()
    items = [item.id for item in questionnaire.items]
    person = rng.normal(3.0, 0.6, size=n_respondents)
    noise = rng.normal(0.0, 0.7, size=(n_respondents, len(items)))
    values = np.clip(np.rint(person[:, None] + noise), 1, 5).astype(int)
    roll = rng.random(size=(n_respondents, len(items)))

    def answer_rows() -> Iterator[tuple[int, str, int | None, bool]]:
        for r, response_id in enumerate(response_ids):
            for i, item in enumerate(items):
                if roll[r, i] < SKIPPED_SHARE:
                    continue
                if roll[r, i] < SKIPPED_SHARE + NOT_APPLICABLE_SHARE:
                    yield (response_id, item, None, True)
                else:
                    yield (response_id, item, int(values[r, i]), False)

    if is_postgres:
        # Streamed: millions of answers need not sit in memory as Python tuples first.
        connection = db.session.connection().connection.driver_connection
        loaded = 0
        with connection.cursor() as cursor:
            copy_sql = (
                "COPY answer (response_id, item_id, value, not_applicable, updated_at) FROM STDIN"
            )
            with cursor.copy(copy_sql) as copy:
                for response_id, item, value, na in answer_rows():
                    copy.write_row((response_id, item, value, na, now))
                    loaded += 1
        db.session.commit()
        # Fresh bulk loads have no planner statistics until autovacuum runs.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return campaign.id, loaded
    rows = list(answer_rows())
    db.session.execute(
        insert(Answer),
        [
            {
                "response_id": response_id,
                "item_id": item,
                "value": value,
                "not_applicable": na,
                "updated_at": now,
            }
            for response_id, item, value, na in rows
        ],
    )
    db.session.commit()
    return campaign.id, len(rows)


def uncached_results(db: Any, campaign_id: int, respondents: int) -> Callable[[], None]:
    """The full uncached results of the campaign as a timed call, once run (the imports,
    report files and connection it needs are then ready), and the raw query beside it."""
    from app.models import Campaign
    from app.results import campaign_results

    def full() -> None:
        db.session.expire_all()
        results = campaign_results(db.session.get(Campaign, campaign_id), cache=False)
        assert results.organization.n == respondents

    full()
    _raw_queries(db, campaign_id)[1]()
    return full


def _raw_queries(db: Any, campaign_id: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    from app.models import Answer, Campaign, Response

    questionnaire = db.session.get(Campaign, campaign_id).questionnaire
    submitted = (Response.campaign_id == campaign_id, Response.status == "submitted")
    item_query = (
        select(Answer.item_id, Answer.value, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*submitted)
        .group_by(Answer.item_id, Answer.value)
    )
    dimension = case(
        {item.id: index for index, d in enumerate(questionnaire.dimensions) for item in d.items},
        value=Answer.item_id,
    ).label("dimension")
    respondent_query = (
        select(Answer.response_id, dimension, func.sum(Answer.value), func.count(Answer.value))
        .join(Response, Response.id == Answer.response_id)
        .where(*submitted, Answer.value.is_not(None))
        .group_by(Answer.response_id, text("2"))
    )
    return (
        lambda: db.session.execute(item_query).all(),
        lambda: db.session.execute(respondent_query).all(),
    )


def _measure(backend: str, n_respondents: int) -> dict[str, Any]:
    from app import create_app
    from app.models import Base, Campaign
    from app.platform.extensions import db
    from app.results import campaign_results, clear_cache

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
            start = time.perf_counter()
            campaign_id, answers = _load(db, n_respondents, backend == "postgresql")
            load_s = time.perf_counter() - start
            raw_items, raw_respondents = _raw_queries(db, campaign_id)
            full = uncached_results(db, campaign_id, n_respondents)
            raw_items()
            # Interleaved, so that the machine's changes of pace fall on all three alike.
            results_s, item_s, respondent_s = _medians(
                [full, raw_items, raw_respondents], REPEATS[n_respondents]
            )
            clear_cache()
            campaign = db.session.get(Campaign, campaign_id)
            campaign_results(campaign)
            cached_s = _median(lambda: campaign_results(campaign), REPEATS[n_respondents])
            db.session.remove()
            db.engine.dispose()
    return {
        "respondents": n_respondents,
        "answers": answers,
        "load_s": round(load_s, 3),
        "results_s": round(results_s, 4),
        "cached_s": round(cached_s, 4),
        "raw_item_group_by_s": round(item_s, 4),
        "raw_respondent_group_by_s": round(respondent_s, 4),
        "ratio": round(results_s / respondent_s, 2),
        "ratio_item": round(results_s / item_s, 2),
    }


def run() -> dict[str, Any]:
    """Measure every size on every database; see the module docstring for the figures."""
    report: dict[str, Any] = {"repeats": {str(size): REPEATS[size] for size in SIZES}}
    for backend in ("sqlite", "postgresql"):
        for size in SIZES:
            report[f"{backend}_{size}"] = _measure(backend, size)
    return report
