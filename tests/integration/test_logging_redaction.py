"""No secret reaches a log line: link tokens, passwords, API tokens, CSRF tokens, cookies,
answers. Every log record of a realistic session is captured (pytest's capture, our JSON and
text formatters, SQL echo, and gunicorn's access log line for each request) and searched."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config as GunicornConfig

from app import create_app
from app.auth.accounts import create_user, grant_access
from app.auth.tokens import create_api_token
from app.platform.observability import (
    GunicornLogger,
    JsonFormatter,
    TextFormatter,
    access_fields,
    current_request_id,
    redact,
)
from app.survey.questions import survey_for
from tests.conftest import make_config
from tests.integration.survey_fixtures import csrf_from, setup_survey

PASSWORD = "Kaizen-Lantern-7731-Harbor"
ANSWER_TEXT = "ZZ-secret-free-text-answer-4412"


@pytest.mark.parametrize(
    ("raw", "leaked"),
    [
        ("GET /r/AbC_123-xyz HTTP/1.1", "AbC_123-xyz"),
        ("https://cx.example/o/OpenTok3n?lang=en", "OpenTok3n"),
        ("/r/tok9999/extra", "tok9999"),
        ("Authorization: Bearer abc.def-123", "abc.def-123"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
        ("headers={'cookie': 'session=eyJhbGciOi.xyz'}", "eyJhbGciOi"),
        ("email=a%40b.jp&password=hunter2hunter2&next=/", "hunter2hunter2"),
        ("csrf_token=IjY0ZjQ5.Zx&x=1", "IjY0ZjQ5"),
        ('{"token": "t0k3n-value", "name": "x"}', "t0k3n-value"),
        ("new_password: Swordfish-99", "Swordfish-99"),
        ("/api/v1/campaigns?access_token=qwerty123", "qwerty123"),
    ],
)
def test_redact_removes_the_secret(raw, leaked):
    cleaned = redact(raw)
    assert leaked not in cleaned
    assert "[redacted]" in cleaned


def test_redact_leaves_ordinary_text_alone():
    text = "GET /survey/page?n=3 200 campaign=12 /workspace/orgs/hikari"
    assert redact(text) == text


def _record(message: str, *args, **extra) -> logging.LogRecord:
    logger = logging.getLogger("tests.logging")
    return logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, message, args, None, None, extra
    )


def test_json_formatter_writes_one_object_per_line_with_extras():
    line = JsonFormatter().format(_record("saved %s", "/r/secrettoken", status=200))
    document = json.loads(line)
    assert document["message"] == "saved /r/[redacted]"
    assert document["level"] == "INFO"
    assert document["status"] == 200
    assert "\n" not in line


def test_text_formatter_is_readable():
    line = TextFormatter().format(_record("hello %s", "world", path="/r/abc"))
    assert "INFO [-] tests.logging: hello world path=/r/[redacted]" in line


def test_request_id_is_on_every_record_logged_during_the_request(app, client, caplog):
    seen: list[str | None] = []

    @app.get("/_ops/log")
    def _log() -> str:
        seen.append(current_request_id())
        logging.getLogger("tests.logging").warning("inside the view")
        return "ok"

    caplog.set_level(logging.INFO)
    response = client.get("/_ops/log", headers={"X-Request-ID": "lb-req-00000001"})
    assert seen == ["lb-req-00000001"]
    record = next(r for r in caplog.records if r.getMessage() == "inside the view")
    assert record.request_id == "lb-req-00000001"
    assert response.headers["X-Request-ID"] == "lb-req-00000001"
    assert current_request_id() is None


class _Capture:
    """WSGI middleware keeping what gunicorn would see of each request and response."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app
        self.exchanges: list[tuple[dict, str, list]] = []

    def __call__(self, environ, start_response):
        def capture(status, headers, exc_info=None):
            self.exchanges.append((dict(environ), status, list(headers)))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, capture)


def test_no_secret_in_any_log_of_a_full_session(db, database_url, caplog, capsys):
    # A second app without a pushed context: each request gets its own context (and its own
    # CSRF token and user), as in production; the fixture app's context is for the set-up.
    app = create_app(make_config(*database_url))
    client = app.test_client()
    setup = setup_survey(db)
    user = create_user("consultant@hikari.example", PASSWORD)
    grant_access(user, setup.campaign.organization, "consultant")
    api_token = create_api_token(user, "ci")
    db.session.commit()
    survey = survey_for(setup.campaign)

    capture = _Capture(app.wsgi_app)
    app.wsgi_app = capture
    streams = {"json": io.StringIO(), "text": io.StringIO()}
    handlers = []
    for kind, formatter in (("json", JsonFormatter()), ("text", TextFormatter())):
        handler = logging.StreamHandler(streams[kind])
        handler.setFormatter(formatter)
        logging.getLogger().addHandler(handler)
        handlers.append(handler)
    caplog.set_level(logging.DEBUG)
    # SQL echo too: statements must never carry their parameters (answers, hashes).
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    secrets_seen: set[str] = {setup.token, PASSWORD, api_token, ANSWER_TEXT}
    try:
        # Staff: a failed then a successful login, then a page.
        login_form = client.get("/login").get_data(as_text=True)
        csrf = csrf_from(login_form)
        secrets_seen.add(csrf)
        client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD + "x", "csrf_token": csrf},
        )
        client.post(
            "/login?next=/workspace/",
            data={"email": user.email, "password": PASSWORD, "csrf_token": csrf},
        )
        client.get("/workspace/")
        cookie = client.get_cookie("session")
        assert cookie is not None
        secrets_seen.add(cookie.value)
        # The API, with the token in the header and (wrongly) in the query string.
        client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {api_token}"})
        client.get(f"/api/v1/campaigns?token={api_token}")
        client.post("/logout", data={"csrf_token": csrf})

        # A respondent: personal link, start, a page of answers, the open question, submit.
        respondent = app.test_client()
        assert respondent.get(f"/r/{setup.token}").status_code == 302
        welcome = respondent.get("/survey/welcome").get_data(as_text=True)
        started = respondent.post("/survey/start", data={"csrf_token": csrf_from(welcome)})
        assert started.status_code == 302
        first = survey.page(1)
        page_html = respondent.get("/survey/page?n=1").get_data(as_text=True)
        answers = {q.field_name: "3" for q in first.questions}
        respondent.post("/survey/page?n=1", data={**answers, "csrf_token": csrf_from(page_html)})
        last = survey.page(survey.page_count)
        text_question = next(q for q in last.questions if q.kind == "open_text")
        last_html = respondent.get(f"/survey/page?n={last.number}").get_data(as_text=True)
        saved = respondent.post(
            f"/survey/autosave?n={last.number}",
            data={text_question.field_name: ANSWER_TEXT, "csrf_token": csrf_from(last_html)},
        )
        assert saved.status_code == 200, saved.get_data(as_text=True)
        review = respondent.get("/survey/review").get_data(as_text=True)
        respondent.post("/survey/submit", data={"csrf_token": csrf_from(review)})
        # A revisit of the (now used) link, as a browser history would do.
        respondent.get(f"/r/{setup.token}?lang=en")
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        app.wsgi_app = capture.wsgi_app
        with app.app_context():
            db.engine.dispose()

    # Gunicorn's access line for every request, through the production logger class.
    config = GunicornConfig()
    config.set("accesslog", "-")
    gunicorn_logger = GunicornLogger(config)
    for environ, status, headers in capture.exchanges:
        environ.setdefault("RAW_URI", environ["PATH_INFO"] + "?" + environ["QUERY_STRING"])
        response = SimpleNamespace(status=status, headers=headers, sent=100)
        gunicorn_logger.access(response, None, environ, timedelta(milliseconds=12))
    access_output = capsys.readouterr()

    everything = "\n".join(
        [
            caplog.text,
            streams["json"].getvalue(),
            streams["text"].getvalue(),
            access_output.out,
            access_output.err,
            "\n".join(
                json.dumps(
                    access_fields(
                        SimpleNamespace(status=s, headers=h, sent=1), None, e, timedelta(0)
                    )
                )
                for e, s, h in capture.exchanges
            ),
        ]
    )
    # The capture really saw the session: requests, SQL and the redacted link.
    assert len(capture.exchanges) >= 15
    assert "/r/[redacted]" in everything
    assert "SELECT" in everything
    assert "/survey/autosave" in everything
    leaks = sorted(secret for secret in secrets_seen if secret and secret in everything)
    assert leaks == []


def test_formatters_do_not_leak_into_each_other():
    record = _record("no request here")
    TextFormatter().format(record)
    assert "request_id" not in json.loads(JsonFormatter().format(record))
