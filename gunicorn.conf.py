"""Gunicorn settings, all from the environment: ``gunicorn --config gunicorn.conf.py wsgi:app``.

Defaults suit a 2-core machine: 3 worker processes x 2 threads. Each worker keeps its own
database pool (``DB_POOL_SIZE``, by default one connection per thread), so one node holds at
most WEB_CONCURRENCY x (DB_POOL_SIZE + DB_MAX_OVERFLOW) PostgreSQL connections.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", 3)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread"
# A request that takes a minute is a bug or a stuck database: kill and replace the worker.
# PDFs are rendered by the background worker, not inside web requests.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak can never take a node down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# Each worker builds its own app and engine after the fork: no shared database connections.
preload_app = False
# The heartbeat file on tmpfs: a slow disk must not make the arbiter kill healthy workers.
# gunicorn creates its own unlinked file there; the shared directory is the point.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Clients' headers are bounded by gunicorn; keep its defaults explicit.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# X-Forwarded-* are handled by the app only when PROXY_FIX says a proxy is in front;
# gunicorn itself must never switch to https on a header a client can send.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {}

# Both logs to stdout/stderr in the app's format (LOG_FORMAT=json|text), paths redacted.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "app.platform.observability.GunicornLogger"
proc_name = os.environ.get("GUNICORN_PROC_NAME", "cx-maturity")
