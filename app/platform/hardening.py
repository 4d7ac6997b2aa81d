"""Security headers, size and resource limits, and error pages that say what went wrong.

``register_hardening(app)`` installs the headers on every response, trusts ``X-Forwarded-*``
only when ``PROXY_FIX`` says how many proxies sit in front, and renders every refusal (400,
403, 404, 405, 413, 429, 500, 503) as a page in the visitor's language, or as JSON for the API.
A database that is down or restarting becomes a 503 with ``Retry-After`` instead of a hang or
a 500. ``check_upload_size`` and ``run_limited`` are the limits other modules call.
"""

from __future__ import annotations

import logging
import os
import resource
from collections.abc import Callable
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from app.platform.children import exit_with_parent, forkserver_context, stop_children_at_exit
from app.platform.extensions import db
from app.platform.form_limits import FormTooLarge, LimitedRequest, parse_urlencoded_form
from app.platform.queue import queue_unreachable

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"
#: Seconds a client is told to wait when the database is unavailable.
RETRY_AFTER_S = 5
HANDLED_STATUSES = (400, 403, 404, 405, 413, 429, 500, 503)


class UploadTooLarge(RequestEntityTooLarge):
    """An uploaded file is larger than the configured limit."""

    def __init__(self, filename: str, size: int, limit: int) -> None:
        super().__init__(f"{filename}: {size} bytes, limit {limit} bytes")
        self.filename = filename
        self.size = size
        self.limit = limit


class ResourceLimitExceeded(RuntimeError):
    """A limited child process ran out of time or memory, or died."""

    def __init__(self, kind: str, timeout: float, memory_mb: int, detail: str = "") -> None:
        super().__init__(f"{kind} limit exceeded (timeout {timeout}s, memory {memory_mb} MB)")
        #: ``timeout``, ``memory`` or ``crashed``.
        self.kind = kind
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.detail = detail


class LimitedCallFailed(RuntimeError):
    """The function run by ``run_limited`` raised; the message names the original error."""


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is ``Secure`` whenever the request came over HTTPS.

    ``SESSION_COOKIE_SECURE`` forces the flag everywhere; without it, a request served over
    HTTPS (directly, or behind a proxy trusted through ``PROXY_FIX``) still gets a Secure
    cookie, and plain-HTTP development keeps working.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


def register_hardening(app: Flask) -> None:
    """Proxy handling, security headers, error pages and the database-unavailable handler."""
    hops = int(app.config["PROXY_FIX"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.session_interface = HttpsAwareSessionInterface()
    app.request_class = LimitedRequest
    app.before_request(parse_urlencoded_form)
    app.after_request(_security_headers)
    for status in HANDLED_STATUSES:
        app.register_error_handler(status, _http_error)
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeoutError, _database_error)
    app.register_error_handler(ResourceLimitExceeded, _resource_limit_error)
    # Redis errors cannot be named here without importing Redis at start-up.
    app.register_error_handler(Exception, _redis_or_unexpected_error)
    app.register_error_handler(StorageError, _redis_error)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (reverse order).
    app.teardown_appcontext(_close_session_quietly)


def _close_session_quietly(_error: BaseException | None) -> None:
    """End the request's session; a database that died after the response was built must not
    turn that finished response into a 500 (the ROLLBACK at the end fails then)."""
    try:
        db.session.remove()
    except DBAPIError as exc:
        log.warning("session closed on a lost connection: %s", type(exc.orig or exc).__name__)
        try:
            db.session.registry().invalidate()
        except DBAPIError:
            log.debug("invalidating the lost connection failed", exc_info=True)
        db.session.registry.clear()


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # Every dynamic page is personal (answers, results, CSRF tokens): never store it
    # in a browser's back-forward cache or a shared proxy. Static assets keep their caching.
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"


def _too_large_limit(error: HTTPException | None) -> str:
    """The setting that refused a 413: ``CX_MAX_CSV_BYTES`` for an uploaded file, the one a
    url-encoded form went over, ``MAX_FORM_PARTS/MAX_FORM_MEMORY_SIZE`` for a multipart form
    within the body size
    (Werkzeug's form parser raises the same error for too many fields and for a field too
    large), ``MAX_CONTENT_LENGTH`` otherwise."""
    if isinstance(error, UploadTooLarge):
        return "CX_MAX_CSV_BYTES"
    if isinstance(error, FormTooLarge):
        return error.limit
    body_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if (
        request.mimetype == "multipart/form-data"
        and length is not None
        and (not body_limit or length <= body_limit)
    ):
        return "MAX_FORM_PARTS/MAX_FORM_MEMORY_SIZE"
    return "MAX_CONTENT_LENGTH"


def _message(status: int, error: HTTPException | None) -> tuple[str, str]:
    if status == 400:
        if isinstance(error, CSRFError):
            return _("The form has expired"), _(
                "The page was open too long or was opened in another window. Reload the page "
                "and send it again; everything saved before is kept."
            )
        return _("Bad request"), _(
            "The request could not be understood. Reload the page and try again."
        )
    if status == 403:
        return _("Access denied"), _("You do not have access to this page.")
    if status == 404:
        return _("Page not found"), _(
            "This page does not exist, or the link is no longer valid. If you received a "
            "personal link, ask the person who sent it for a new one."
        )
    if status == 405:
        return _("Not allowed"), _("This page cannot be used this way.")
    if status == 413:
        if isinstance(error, UploadTooLarge):
            return _("File too large"), _(
                "The file %(name)s is %(size)s; files of at most %(limit)s are accepted.",
                name=error.filename,
                size=_human_size(error.size),
                limit=_human_size(error.limit),
            )
        if isinstance(error, FormTooLarge) and error.limit == "MAX_FORM_PARTS":
            return _("Too much data"), _(
                "The form has more fields than this site accepts: at most %(fields)s fields "
                "(MAX_FORM_PARTS). Nothing was saved from this request.",
                fields=error.maximum,
            )
        if isinstance(error, FormTooLarge):
            return _("Too much data"), _(
                "A form field holds more text than this site accepts: at most %(size)s in one "
                "field (MAX_FORM_MEMORY_SIZE). Nothing was saved from this request.",
                size=_human_size(error.maximum),
            )
        if _too_large_limit(error) == "MAX_CONTENT_LENGTH":
            return _("Too much data"), _(
                "What was sent is larger than this site accepts (at most %(limit)s). Nothing "
                "was saved from this request.",
                limit=_human_size(int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)),
            )
        return _("Too much data"), _(
            "The form holds more than this site accepts: at most %(fields)s form fields, and "
            "at most %(size)s of text in one field. Nothing was saved from this request.",
            fields=current_app.config["MAX_FORM_PARTS"],
            size=_human_size(int(current_app.config.get("MAX_FORM_MEMORY_SIZE") or 0)),
        )
    if status == 429:
        return _("Too many requests"), _("Please wait a moment and try again.")
    if status == 503:
        return _("Temporarily unavailable"), _(
            "The service cannot reach its database right now. Please try again in a minute; "
            "answers saved before are safe."
        )
    return _("Something went wrong"), _(
        "An unexpected error occurred and has been logged. Please try again later."
    )


def render_error(
    status: int,
    title: str,
    message: str,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    """An error page (or a JSON error for the API) carrying the request id for support;
    ``details`` are added to the JSON error (the page says them in ``message``)."""
    request_id = g.get("request_id")
    if _wants_json():
        response = jsonify(
            {
                "error": {
                    "status": status,
                    "code": code or title,
                    "message": message,
                    "request_id": request_id,
                    **(details or {}),
                }
            }
        )
    else:
        response = Response(
            render_template(
                "errors/error.html",
                status=status,
                title=title,
                message=message,
                request_id=request_id,
            ),
            mimetype="text/html",
        )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 413:
        limit = _too_large_limit(error)
        extra: dict[str, Any] = {
            "path": request.path,
            "content_length": request.content_length,
            "limit": limit,
        }
        if isinstance(error, UploadTooLarge):
            extra.update(size=error.size, max_bytes=error.limit)
        elif limit == "MAX_CONTENT_LENGTH":
            extra["max_bytes"] = current_app.config.get("MAX_CONTENT_LENGTH")
        else:
            extra["max_form_parts"] = current_app.config.get("MAX_FORM_PARTS")
            extra["max_form_memory_size"] = current_app.config.get("MAX_FORM_MEMORY_SIZE")
        log.warning("request refused: too large", extra=extra)
    elif status in (400, 429):
        log.info("request refused", extra={"status": status, "path": request.path})
    title, message = _message(status, error)
    headers = {}
    if status == 429 and error.get_headers():
        headers = {k: v for k, v in error.get_headers() if k.lower() == "retry-after"}
    details = None
    if isinstance(error, FormTooLarge):
        details = {"limit": error.limit, "max": error.maximum}
    response = render_error(
        status, title, message, code=type(error).__name__, headers=headers, details=details
    )
    if status == 405:
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or dropped the connection.

    Integrity and programming errors are bugs or bad data (500 / handled by the views); only
    lost connections, refused connections, timeouts and locks are worth a retry.
    """
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _database_error(error: Exception) -> Response:
    if not is_database_unavailable(error):
        raise error
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the session is discarded at teardown anyway
        log.debug("rollback after a database error failed", exc_info=True)
    original = getattr(error, "orig", None)
    log.error(
        "database unavailable: %s",
        type(original or error).__name__,
        extra={
            "path": request.path,
            "method": request.method,
            "invalidated": bool(getattr(error, "connection_invalidated", False)),
            "detail": str(original or error).splitlines()[0][:200]
            if str(original or error)
            else "",
        },
    )
    title, message = _message(503, None)
    return render_error(
        503,
        title,
        message,
        code="database_unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _redis_or_unexpected_error(error: Exception) -> Response:
    """Redis failing to answer is a 503 (:func:`_redis_error`); anything else is raised again
    for Flask's own handling of an unexpected error (a 500 page, or the exception itself when
    exceptions propagate, as in tests)."""
    if queue_unreachable(error):
        return _redis_error(error)
    raise error


def _redis_error(error: Exception) -> Response:
    # Rate limits and the job queue live in Redis: without it those requests cannot be
    # answered safely (a login must not skip its throttle), so say so instead of a 500.
    log.error(
        "redis unavailable: %s",
        type(error).__name__,
        extra={"path": request.path, "method": request.method},
    )
    return render_error(
        503,
        _("Temporarily unavailable"),
        _(
            "A service this page needs is not reachable right now. Please try again in a "
            "minute; answers saved before are safe."
        ),
        code="service_unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _resource_limit_error(error: ResourceLimitExceeded) -> Response:
    log.error(
        "resource limit exceeded",
        extra={"kind": error.kind, "timeout_s": error.timeout, "memory_mb": error.memory_mb},
    )
    if error.kind == "timeout":
        message = _(
            "The document could not be produced within %(seconds)s seconds. Try a smaller "
            "selection, or try again later.",
            seconds=f"{error.timeout:g}",
        )
    else:
        message = _(
            "The document could not be produced within the memory limit of %(megabytes)s MB. "
            "Try a smaller selection.",
            megabytes=error.memory_mb,
        )
    return render_error(
        503, _("The document could not be produced"), message, code=f"limit_{error.kind}"
    )


def check_upload_size(file_storage: FileStorage, limit: int | None = None) -> int:
    """The size of an uploaded file in bytes; raises ``UploadTooLarge`` (413) over ``limit``.

    ``limit`` defaults to ``CX_MAX_CSV_BYTES``. The stream is left at its start, so the
    caller can read it afterwards.
    """
    limit = int(limit if limit is not None else current_app.config["CX_MAX_CSV_BYTES"])
    stream = file_storage.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size > limit:
        name = file_storage.filename or "upload"
        log.warning("upload refused: too large", extra={"size": size, "limit": limit})
        raise UploadTooLarge(name, size, limit)
    return size


def _limited_child(
    conn: Any,
    parent_pid: int,
    memory_mb: int,
    func: Callable[..., Any],
    args: tuple,
    kwargs: dict,
) -> None:
    exit_with_parent(parent_pid)
    try:
        if memory_mb > 0:
            limit = memory_mb * 1024 * 1024
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        result = func(*args, **kwargs)
        conn.send(("ok", result))
    except MemoryError:
        conn.send(("memory", ""))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_limited(
    func: Callable[..., Any], *args: Any, timeout: float, memory_mb: int, **kwargs: Any
) -> Any:
    """Run ``func(*args, **kwargs)`` in a child process with a time limit and a memory cap.

    The child starts from a clean server process (``forkserver``), never from a copy of a
    multi-threaded web worker, and its address space is capped with ``RLIMIT_AS``; it is
    killed when ``timeout`` seconds pass, and it ends when this process ends
    (``app.platform.children``). ``func`` and its arguments and result must be picklable (a
    module-level function). Raises ``ResourceLimitExceeded`` on a limit and
    ``LimitedCallFailed`` when ``func`` raised.
    """
    context = forkserver_context()
    receiver, sender = context.Pipe(duplex=False)
    stop_children_at_exit()
    process = context.Process(
        target=_limited_child,
        args=(sender, os.getpid(), memory_mb, func, args, kwargs),
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            log.error("limited call timed out", extra={"timeout_s": timeout})
            raise ResourceLimitExceeded("timeout", timeout, memory_mb)
        try:
            status, payload = receiver.recv()
        except EOFError:
            process.join(5)
            detail = f"exit code {process.exitcode}"
            log.error("limited call died", extra={"detail": detail, "memory_mb": memory_mb})
            raise ResourceLimitExceeded("crashed", timeout, memory_mb, detail) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if status == "ok":
        return payload
    if status == "memory":
        log.error("limited call ran out of memory", extra={"memory_mb": memory_mb})
        raise ResourceLimitExceeded("memory", timeout, memory_mb)
    raise LimitedCallFailed(payload)
