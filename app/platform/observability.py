"""Structured logs with a request id on every line, and secrets redacted before any output.

``LOG_FORMAT=json`` writes one JSON object per line (for a log shipper), anything else a
readable text line. Redaction happens when a log record is created, so every handler (the
console, gunicorn's access log, pytest's capture, a shipper) sees the same redacted text:
personal link tokens in ``/r/<token>`` and ``/o/<token>`` paths, bearer tokens and
``Authorization``/``Cookie`` headers, and ``password``/``token``/``csrf_token``-like fields.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from gunicorn import glogging

from app.platform.config import log_format

#: Incoming request ids are accepted only if they look like this (no spaces, quotes, CRLF).
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
REQUEST_ID_HEADER = "X-Request-ID"
REDACTED = "[redacted]"

_request_id: ContextVar[str | None] = ContextVar("cx_request_id", default=None)

#: URL path prefixes whose next segment is a secret token (personal and open links).
TOKEN_PATH_PREFIXES = ("r", "o")

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # /r/<token>, /o/<token> anywhere in a message (paths, URLs, request lines).
    (
        re.compile(r"(/(?:" + "|".join(TOKEN_PATH_PREFIXES) + r")/)[^/?#\s\"'<>]+"),
        r"\1" + REDACTED,
    ),
    # Header lines and dict/repr forms: "Authorization: Bearer x", 'cookie': 'session=...'.
    (
        re.compile(
            r"(?i)((?:proxy-)?authorization|cookie|set-cookie|x-api-key)(['\"]?\s*[:=]\s*['\"]?)"
            r"[^'\"\r\n]+"
        ),
        r"\1\2" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # Form fields, query strings and JSON keys: password=..., csrf_token=..., "token": "...".
    (
        re.compile(
            r"(?i)([A-Za-z_]*(?:password|passwd|token|secret))(['\"]?\s*[:=]\s*['\"]?)"
            r"[^&\s'\",;}]+"
        ),
        r"\1\2" + REDACTED,
    ),
)


def redact(text: str) -> str:
    """``text`` with link tokens, credentials and secret fields replaced by ``[redacted]``."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id() -> str | None:
    """The id of the request being handled in this thread, if any."""
    return _request_id.get()


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call must still be logged, just unformatted
        message = str(record.msg)
    cleaned = redact(message)
    if cleaned != message:
        record.msg = cleaned
        record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    request_id = _request_id.get()
    if request_id is not None:
        # Only when known: callers outside a request may pass request_id as an extra field.
        record.request_id = request_id


def install_record_factory() -> None:
    """Redact every log record at creation, once per process."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_cx_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    factory._cx_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


#: LogRecord attributes that are not "extra" fields given by the caller.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            document["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                document[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info or record.exc_text:
            document["exception"] = redact(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(document, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-01-31 12:00:00,123 INFO [request-id] logger: message key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
        )
        # The record is shared with other handlers: show "-" without storing it there.
        missing = not getattr(record, "request_id", None)
        previous = record.__dict__.get("request_id")
        if missing:
            record.request_id = "-"
        try:
            text = super().format(record)
        finally:
            if missing:
                if previous is None and "request_id" in record.__dict__:
                    del record.__dict__["request_id"]
                else:
                    record.request_id = previous
        if extras:
            first, _, rest = text.partition("\n")
            text = f"{first} {extras}" + (f"\n{rest}" if rest else "")
        return redact(text)


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``LOG_FORMAT`` (``json`` or ``text``)."""
    return JsonFormatter() if log_format.lower() == "json" else TextFormatter()


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    _cx_handler = True

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Send the root logger to stderr in the chosen format; safe to call again."""
    install_record_factory()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_cx_handler", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(make_formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO whenever an app is created.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_observability(app: Flask) -> None:
    """Logging set-up and the request id: accepted or generated, echoed in the response."""
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        g.request_id = request_id
        g._request_id_token = _request_id.set(request_id)

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    @app.teardown_request
    def _forget_request_id(_error: BaseException | None) -> None:
        token = g.pop("_request_id_token", None)
        if token is not None:
            _request_id.reset(token)


class GunicornLogger(glogging.Logger):
    """Gunicorn's logger with our formatter and a structured, redacted access line.

    Selected with ``logger_class`` in ``gunicorn.conf.py``; the format follows ``LOG_FORMAT``
    like the application's own lines, so one parser reads both.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        install_record_factory()
        formatter = make_formatter(log_format())
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        try:
            fields = access_fields(resp, req, environ, request_time)
            self.access_log.info(
                "%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields
            )
        except Exception:
            self.error(traceback.format_exc())


def access_fields(resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
    """The fields of one access-log line, path and referrer redacted."""
    status = resp.status
    if isinstance(status, str):
        status = status.split(None, 1)[0]
    headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
    request_id = next(
        (value for name, value in headers if name.lower() == REQUEST_ID_HEADER.lower()), None
    )
    path = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
    fields: dict[str, Any] = {
        "method": environ.get("REQUEST_METHOD"),
        "path": redact(path),
        "status": int(status) if str(status).isdigit() else status,
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "bytes": getattr(resp, "sent", None),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
        "pid": os.getpid(),
    }
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        fields["forwarded_for"] = forwarded
    referrer = environ.get("HTTP_REFERER")
    if referrer:
        fields["referrer"] = redact(referrer)
    if request_id:
        fields["request_id"] = request_id
    return fields
