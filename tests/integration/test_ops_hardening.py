"""Security headers, proxy handling, request limits, error pages and resource-limited calls."""

from __future__ import annotations

import io
import logging
import re
import runpy
import time
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from app import create_app
from app.platform.extensions import db
from app.platform.hardening import (
    CONTENT_SECURITY_POLICY,
    LimitedCallFailed,
    ResourceLimitExceeded,
    UploadTooLarge,
    check_upload_size,
    run_limited,
)
from tests.conftest import REPO_ROOT, make_config

EN = {"Accept-Language": "en"}


# Module-level so that run_limited can hand them to a child process by name.
def _add(a: int, b: int) -> int:
    return a + b


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def _allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def _fail() -> None:
    raise ValueError("bad report rule on line 3")


def _refusals(caplog, message: str) -> list[logging.LogRecord]:
    """The log records with ``message`` (the log line support finds by the page's reference)."""
    return [record for record in caplog.records if record.getMessage() == message]


def _logged_for(response, caplog, message: str) -> logging.LogRecord:
    """The one ``message`` record of ``response``'s request, found by its request id."""
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)  # the reference on the page
    records = [
        r for r in _refusals(caplog, message) if getattr(r, "request_id", None) == request_id
    ]
    assert len(records) == 1, [(r.getMessage(), r.__dict__.get("request_id")) for r in records]
    return records[0]


def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/healthz", "/no-such-page"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in response.headers


def test_static_files_keep_their_caching(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_hsts_only_over_https_and_forwarded_proto_only_behind_a_proxy(app, database_url):
    plain = app.test_client()
    assert "Strict-Transport-Security" not in plain.get("/healthz").headers
    https = plain.get("/healthz", base_url="https://localhost")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")
    # Without PROXY_FIX a client cannot claim https (or another address) by header.
    spoofed = plain.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers

    url, options = database_url
    proxied = create_app(make_config(url, options, PROXY_FIX=1))
    behind = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert behind.headers["Strict-Transport-Security"].startswith("max-age=")
    with proxied.app_context():
        db.engine.dispose()


def test_request_id_is_accepted_when_safe_and_replaced_otherwise(client):
    assert client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"}).headers[
        "X-Request-ID"
    ] == ("edge-1234abcd")
    for bad in ("short", "has space in it", "x" * 200, "<script>alert(1)</script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad
        assert len(echoed) == 32
    first = client.get("/healthz").headers["X-Request-ID"]
    assert first != client.get("/healthz").headers["X-Request-ID"]


def test_not_found_page_in_both_languages(client):
    en = client.get("/no-such-page", headers=EN)
    assert en.status_code == 404
    assert "Page not found" in en.get_data(as_text=True)
    assert en.headers["X-Request-ID"] in en.get_data(as_text=True)
    json = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert json.get_json()["error"]["status"] == 404


def test_error_pages_default_to_japanese(client):
    # The first request of this app context: the locale is not cached yet.
    ja = client.get("/no-such-page")
    assert ja.status_code == 404
    assert "ページが見つかりません" in ja.get_data(as_text=True)


def test_body_over_max_content_length_is_refused_with_a_page_and_a_log(client, app, caplog):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")
    response = client.post("/login", data={"email": "x" * 4000}, headers=EN)
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Too much data" in text
    assert "at most 1 KB)" in text
    record = _logged_for(response, caplog, "request refused: too large")
    assert record.levelno == logging.WARNING
    assert record.limit == "MAX_CONTENT_LENGTH"
    assert record.max_bytes == 1024
    assert record.content_length > 4000
    assert record.path == "/login"


def test_too_many_form_fields_are_refused_with_a_page_and_a_log(client, app, caplog):
    app.config["MAX_FORM_PARTS"] = 50
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")
    fields = {f"f{i}": "1" for i in range(200)}
    response = client.post("/login", data=fields, content_type="multipart/form-data", headers=EN)
    assert response.status_code == 413
    assert "at most 50 form fields" in response.get_data(as_text=True)
    record = _logged_for(response, caplog, "request refused: too large")
    assert record.limit == "MAX_FORM_PARTS/MAX_FORM_MEMORY_SIZE"
    assert record.max_form_parts == 50
    assert record.path == "/login"
    # Fewer fields than the limit pass the parser (the login form answers, no 413).
    few = {f"f{i}": "1" for i in range(40)}
    assert client.post("/login", data=few, content_type="multipart/form-data").status_code != 413


def test_form_data_over_max_form_memory_size_is_refused_with_a_page_and_a_log(
    database_url, monkeypatch, caplog
):
    # From the environment, as in production; the body stays far below MAX_CONTENT_LENGTH.
    monkeypatch.setenv("MAX_FORM_MEMORY_SIZE", "2048")
    url, options = database_url
    limited = create_app(make_config(url, options))
    assert limited.config["MAX_FORM_MEMORY_SIZE"] == 2048
    assert limited.config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")
    client = limited.test_client()
    multipart = "multipart/form-data"

    response = client.post("/login", data={"email": "x" * 5000}, content_type=multipart, headers=EN)
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Too much data" in text
    assert "at most 2 KB of text in one field" in text
    record = _logged_for(response, caplog, "request refused: too large")
    assert record.levelno == logging.WARNING
    assert record.limit == "MAX_FORM_PARTS/MAX_FORM_MEMORY_SIZE"
    assert record.max_form_memory_size == 2048
    assert 5000 < record.content_length < 8 * 1024 * 1024

    japanese = client.post("/login", data={"email": "x" * 5000}, content_type=multipart)
    assert japanese.status_code == 413
    assert "1項目のテキストは 2 KB まで" in japanese.get_data(as_text=True)
    # The same form with a field under the limit is parsed (no 413).
    small = client.post("/login", data={"email": "x" * 1000}, content_type=multipart)
    assert small.status_code != 413
    with limited.app_context():
        db.engine.dispose()


def test_check_upload_size_returns_the_size_and_rewinds(app):
    upload = FileStorage(io.BytesIO(b"a,b\n1,2\n"), filename="people.csv")
    assert check_upload_size(upload) == 8
    assert upload.stream.read() == b"a,b\n1,2\n"


def test_check_upload_size_refuses_big_files_with_a_clear_page(app, caplog):
    app.config["CX_MAX_CSV_BYTES"] = 10
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")
    big = FileStorage(io.BytesIO(b"x" * 2048), filename="名簿.csv")
    with pytest.raises(UploadTooLarge) as caught:
        check_upload_size(big)
    assert caught.value.code == 413
    assert (caught.value.size, caught.value.limit) == (2048, 10)
    app.config["WTF_CSRF_ENABLED"] = False

    @app.post("/_ops/upload")
    def _upload() -> str:
        from flask import request

        check_upload_size(request.files["file"])
        return "ok"

    response = app.test_client().post(
        "/_ops/upload",
        data={"file": (io.BytesIO(b"x" * 2048), "名簿.csv")},
        headers=EN,
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "名簿.csv is 2 KB; files of at most 10 B are accepted" in text
    upload = _logged_for(response, caplog, "upload refused: too large")
    assert (upload.size, upload.limit) == (2048, 10)
    refusal = _logged_for(response, caplog, "request refused: too large")
    assert refusal.limit == "CX_MAX_CSV_BYTES"
    assert (refusal.size, refusal.max_bytes) == (2048, 10)
    assert refusal.path == "/_ops/upload"


def test_run_limited_returns_the_result():
    assert run_limited(_add, 2, b=40, timeout=30, memory_mb=1024) == 42


def test_run_limited_stops_a_call_that_takes_too_long():
    started = time.monotonic()
    with pytest.raises(ResourceLimitExceeded) as caught:
        run_limited(_sleep, 30, timeout=1, memory_mb=0)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 10


def test_run_limited_caps_memory():
    # The cap is on the child's whole address space, which already holds the app's libraries
    # (about 0.5 GB of it, mostly reserved, not used): 1 GB leaves room for a small allocation.
    with pytest.raises(ResourceLimitExceeded) as caught:
        run_limited(_allocate, 2048, timeout=30, memory_mb=1024)
    assert caught.value.kind == "memory"
    # The same call within its cap succeeds: the cap, not the function, failed it.
    assert run_limited(_allocate, 16, timeout=30, memory_mb=1024) == 16 * 1024 * 1024


def test_run_limited_reports_the_functions_own_error():
    with pytest.raises(LimitedCallFailed, match="ValueError: bad report rule on line 3"):
        run_limited(_fail, timeout=30, memory_mb=0)


def test_resource_limit_has_an_error_page_and_a_log(app, caplog):
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")

    @app.get("/_ops/report")
    def _report() -> str:
        return run_limited(_sleep, 30, timeout=0.5, memory_mb=0)

    response = app.test_client().get("/_ops/report", headers=EN)
    assert response.status_code == 503
    assert "within 0.5 seconds" in response.get_data(as_text=True)
    assert "could not be produced" in response.get_data(as_text=True)
    record = _logged_for(response, caplog, "resource limit exceeded")
    assert record.levelno == logging.ERROR
    assert (record.kind, record.timeout_s) == ("timeout", 0.5)
    timed_out = _logged_for(response, caplog, "limited call timed out")
    assert timed_out.timeout_s == 0.5


def test_memory_limit_has_an_error_page_and_a_log(app, caplog):
    caplog.set_level(logging.WARNING, logger="app.platform.hardening")

    @app.get("/_ops/big-report")
    def _big_report() -> str:
        return str(run_limited(_allocate, 2048, timeout=30, memory_mb=512))

    response = app.test_client().get("/_ops/big-report", headers=EN)
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "could not be produced within the memory limit of 512 MB" in text
    record = _logged_for(response, caplog, "resource limit exceeded")
    assert (record.kind, record.memory_mb) == ("memory", 512)
    assert _logged_for(response, caplog, "limited call ran out of memory").memory_mb == 512


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"workers": 3, "threads": 2, "bind": "127.0.0.1:8000"}),
        (
            {"WEB_CONCURRENCY": "5", "GUNICORN_THREADS": "4", "PORT": "9001"},
            {"workers": 5, "threads": 4, "bind": "127.0.0.1:9001"},
        ),
        ({"BIND": "unix:/run/cx/web.sock"}, {"bind": "unix:/run/cx/web.sock"}),
    ],
)
def test_gunicorn_settings_come_from_the_environment(monkeypatch, env, expected):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT", "BIND", "HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = runpy.run_path(str(Path(REPO_ROOT) / "gunicorn.conf.py"))
    for key, value in expected.items():
        assert settings[key] == value
    assert settings["worker_class"] == "gthread"
    assert settings["logger_class"] == "app.platform.observability.GunicornLogger"
    assert settings["secure_scheme_headers"] == {}


INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"|javascript:", re.IGNORECASE
)


def test_served_templates_have_no_inline_script_or_style():
    # The Content-Security-Policy blocks them; e-mail templates are not served and may inline.
    offenders = []
    for path in sorted((Path(REPO_ROOT) / "app").rglob("templates/**/*.html")):
        if "email" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE_CODE.search(line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:80]}")
    assert offenders == []
