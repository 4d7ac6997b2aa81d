"""Settings read from the environment, with safe defaults for the embedded SQLite mode."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from limits import parse_many

from app.platform.rate_limit_store import FILE_SCHEME

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

#: Environment variables holding identity providers' client secrets (see OIDC_CLIENT_SECRETS).
OIDC_SECRET_PREFIX = "CX_OIDC_SECRET_"  # noqa: S105 - a variable name, not a secret
#: The shortest SECRET_KEY accepted outside debug and testing.
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """Raised when the app is started with settings it must refuse."""


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    """The environment variable ``name`` as on/off (1, true, yes, on), or ``default``."""
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int | None = None) -> int:
    """The environment variable ``name`` as a whole number, or ``default`` when unset."""
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    """The environment variable ``name`` as a number, or ``default`` when unset."""
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None


def _str(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """The environment variable ``name``, or ``default`` when unset or empty."""
    return env.get(name) or default


def log_format(env: Mapping[str, str] | None = None) -> str:
    """``LOG_FORMAT``: ``json`` or ``text`` (the default).

    Also read on its own by gunicorn's logger class, which is set up before any app exists.
    """
    env = os.environ if env is None else env
    return (_str(env, "LOG_FORMAT") or "text").lower()


def font_paths(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """``CX_FONT_PATH`` and ``CX_FONT_BOLD_PATH``: the report's font files (None: fontconfig).

    Also read on its own when charts or PDFs are drawn outside an application context.
    """
    env = os.environ if env is None else env
    return _str(env, "CX_FONT_PATH"), _str(env, "CX_FONT_BOLD_PATH")


def _cache_dir(env: Mapping[str, str], instance_path: str) -> str | None:
    configured = _str(env, "CX_CACHE_DIR", str(Path(instance_path) / "cache"))
    return None if configured is None or configured.lower() == "none" else configured


def _results_wait_ms(env: Mapping[str, str]) -> int | None:
    value = env.get("CX_RESULTS_WAIT_MS", "")
    if value.strip().lower() == "none":
        return None
    return _int(env, "CX_RESULTS_WAIT_MS", 300, minimum=0)


def from_environment(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the configuration mapping from environment variables (``env``: os.environ)."""
    env = os.environ if env is None else env
    default_db = "sqlite:///" + str(Path(instance_path) / "cx.sqlite3")
    font_regular, font_bold = font_paths(env)
    rate_limit_file = str(
        Path(
            _str(env, "CX_RATE_LIMIT_FILE") or Path(instance_path) / "rate-limits.sqlite3"
        ).resolve()
    )
    return {
        # Identity providers' client secrets by provider key, from CX_OIDC_SECRET_<KEY>
        # (the key upper-cased, hyphens as underscores): for secrets kept out of the database.
        "OIDC_CLIENT_SECRETS": {
            name.removeprefix(OIDC_SECRET_PREFIX): value
            for name, value in env.items()
            if name.startswith(OIDC_SECRET_PREFIX) and value
        },
        "SECRET_KEY": _str(env, "SECRET_KEY") or _read_secret_file(Path(instance_path)),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(_str(env, "DATABASE_URL", default_db)),
        "CX_QUESTIONNAIRE_DIR": _str(
            env, "CX_QUESTIONNAIRE_DIR", str(PROJECT_ROOT / "questionnaires")
        ),
        "CX_PROFILE_FILE": _str(
            env,
            "CX_PROFILE_FILE",
            str(PROJECT_ROOT / "questionnaires" / "profile" / "cx-profile.yaml"),
        ),
        "CX_REPORTS_DIR": _str(env, "CX_REPORTS_DIR", str(PROJECT_ROOT / "reports")),
        # Clean parses of the questionnaires and report rules, kept between processes
        # (app.platform.cache.ParseStore); "none" keeps them in memory only.
        "CX_CACHE_DIR": _cache_dir(env, instance_path),
        # The dashboard of a campaign whose figures took longer than this to compute is shown
        # them while the answers received since are counted in the background (one process
        # at a time); "none": every page waits for the current figures.
        "CX_RESULTS_WAIT_MS": _results_wait_ms(env),
        "CX_BASE_URL": env.get("CX_BASE_URL", "http://127.0.0.1:5000"),
        "REDIS_URL": _str(env, "REDIS_URL"),
        "DEBUG": _bool(env, "FLASK_DEBUG"),
        "TESTING": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "CX_LOCALES": ("ja", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        # Pages are served with Referrer-Policy: no-referrer (respondent links carry tokens),
        # so browsers send no Referer: Flask-WTF's HTTPS referrer check would refuse every
        # form. The CSRF token and the SameSite=Lax session cookie protect the forms.
        "WTF_CSRF_SSL_STRICT": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE"),
        # Webhook deliveries to loopback, private, link-local and reserved addresses are
        # refused (a consultant's endpoint must not reach the app's own network) unless on.
        "CX_WEBHOOKS_ALLOW_PRIVATE": _bool(env, "CX_WEBHOOKS_ALLOW_PRIVATE"),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 8 * 1024 * 1024),
        # Werkzeug's form parser limits: the longest questionnaire page has ~60 fields.
        "MAX_FORM_PARTS": _int(env, "MAX_FORM_PARTS", 500),
        "MAX_FORM_MEMORY_SIZE": _int(env, "MAX_FORM_MEMORY_SIZE", 1024 * 1024),
        "CX_MAX_CSV_BYTES": _int(env, "CX_MAX_CSV_BYTES", 2 * 1024 * 1024),
        # A participants file with more rows than this is imported as a background job
        # (progress and outcome on a page of its own) instead of within the request.
        "CX_IMPORT_BACKGROUND_ROWS": _int(env, "CX_IMPORT_BACKGROUND_ROWS", 5000, minimum=0),
        # One PDF render: seconds before it is stopped, and its address space in MB (0: no
        # cap), whether rendered for a web request, in a batch or by a worker.
        "CX_PDF_TIMEOUT_S": _int(env, "CX_PDF_TIMEOUT_S", 120, minimum=1),
        "CX_PDF_MEMORY_MB": _int(env, "CX_PDF_MEMORY_MB", 1536, minimum=0),
        # Report batches rendered at once by a node without Redis (a local process pool).
        "CX_REPORT_WORKERS": _int(env, "CX_REPORT_WORKERS", 1, minimum=1),
        # A queued or running report batch without progress for this long is shown as
        # interrupted (its worker died, or Redis lost it) and can be resumed.
        "CX_REPORT_JOB_STALE_S": _int(env, "CX_REPORT_JOB_STALE_S", 600, minimum=1),
        # Where report batches keep their PDFs and zips; unset: the instance folder's
        # reports/ (app.reporting.filenames.archive_dir). Share it between web nodes and workers.
        "CX_REPORT_ARCHIVE_DIR": _str(env, "CX_REPORT_ARCHIVE_DIR"),
        # Font files of charts and PDFs; unset: fontconfig's Noto Sans CJK JP.
        "CX_FONT_PATH": font_regular,
        "CX_FONT_BOLD_PATH": font_bold,
        # The response rate a campaign aims for, marked on its progress page.
        "CX_RESPONSE_RATE_TARGET": _float(env, "CX_RESPONSE_RATE_TARGET", 0.7),
        # Failed logins allowed per email and address, per address, and per email (the last
        # only logs a warning: app.auth.throttle), in the notation of the limits library.
        "LOGIN_PAIR_LIMIT": _str(env, "LOGIN_PAIR_LIMIT", "5/minute"),
        "LOGIN_ADDRESS_LIMIT": _str(env, "LOGIN_ADDRESS_LIMIT", "20/hour"),
        "LOGIN_ACCOUNT_LIMIT": _str(env, "LOGIN_ACCOUNT_LIMIT", "50/hour"),
        # Wrong two-factor codes allowed per account before its second step waits (the
        # password is already known there, so the account itself is what is limited).
        "LOGIN_MFA_LIMIT": _str(env, "LOGIN_MFA_LIMIT", "5/15 minutes"),
        # Two-factor login required for every consultant and admin (executives: per account,
        # with ``flask user mfa EMAIL --require``).
        "CX_MFA_REQUIRED": _bool(env, "CX_MFA_REQUIRED"),
        "LOG_FORMAT": log_format(env),
        "LOG_LEVEL": (_str(env, "LOG_LEVEL") or "INFO").upper(),
        # Number of trusted proxies in front of the app (X-Forwarded-* honoured only then).
        "PROXY_FIX": _int(env, "PROXY_FIX", 0, minimum=0),
        "DB_STATEMENT_TIMEOUT_MS": _int(env, "DB_STATEMENT_TIMEOUT_MS", 30_000, minimum=0),
        "DB_CONNECT_TIMEOUT_S": _int(env, "DB_CONNECT_TIMEOUT_S", 5, minimum=1),
        # One connection per gunicorn thread, plus a little headroom for bursts.
        "DB_POOL_SIZE": _int(
            env, "DB_POOL_SIZE", _int(env, "GUNICORN_THREADS", 2, minimum=1), minimum=1
        ),
        "DB_MAX_OVERFLOW": _int(env, "DB_MAX_OVERFLOW", 2, minimum=0),
        # Staff sessions end after 8 hours without a request (refreshed on every request).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        # Rate-limit counters: Redis when there is one, else a file that every worker of this
        # machine shares (per-process memory would let each worker allow the whole limit).
        "CX_RATE_LIMIT_FILE": rate_limit_file,
        "RATELIMIT_STORAGE_URI": _str(env, "REDIS_URL") or f"{FILE_SCHEME}://{rate_limit_file}",
        # Registrations through a campaign's open link, per client address (all campaigns)
        # and per campaign (all addresses); ";" separates limits that all apply.
        "CX_OPEN_LINK_ADDRESS_LIMIT": _str(env, "CX_OPEN_LINK_ADDRESS_LIMIT", "20/minute;100/hour"),
        "CX_OPEN_LINK_CAMPAIGN_LIMIT": _str(
            env, "CX_OPEN_LINK_CAMPAIGN_LIMIT", "60/minute;1000/hour"
        ),
        # Outgoing mail; without MAIL_SERVER messages are written to MAIL_OUTBOX_DIR as .eml
        # (unset: the instance folder's outbox/).
        "MAIL_SERVER": _str(env, "MAIL_SERVER"),
        "MAIL_PORT": _int(env, "MAIL_PORT", 587, minimum=1),
        "MAIL_USERNAME": _str(env, "MAIL_USERNAME"),
        "MAIL_PASSWORD": _str(env, "MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool(env, "MAIL_USE_TLS", default=True),
        "MAIL_FROM": _str(env, "MAIL_FROM", "cx-assessment@localhost"),
        "MAIL_OUTBOX_DIR": _str(env, "MAIL_OUTBOX_DIR"),
    }


#: Settings holding rate limits ("10/minute;100/hour"), checked at start-up.
RATE_LIMIT_SETTINGS = (
    "CX_OPEN_LINK_ADDRESS_LIMIT",
    "CX_OPEN_LINK_CAMPAIGN_LIMIT",
    "LOGIN_MFA_LIMIT",
)


def check_rate_limits(config: dict[str, Any]) -> None:
    """Refuse to start with a rate limit that cannot be read, rather than fail on a request."""
    for name in RATE_LIMIT_SETTINGS:
        try:
            parse_many(str(config.get(name) or ""))
        except ValueError:
            raise ConfigError(
                f"{name} must be limits such as '20/minute;100/hour', got {config.get(name)!r}"
            ) from None


def isolate_test_rate_limits(config: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Tests count in a fresh in-memory store per app unless they name a store themselves:
    the machine's file would carry counts from one test, or test run, to the next."""
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "")
    named = "RATELIMIT_STORAGE_URI" in overrides
    if config.get("TESTING") and not named and uri.startswith(f"{FILE_SCHEME}://"):
        config["RATELIMIT_STORAGE_URI"] = "memory://"


def _read_secret_file(instance_path: Path) -> str | None:
    """The key that ``make run`` generated into the instance folder, if any."""
    path = instance_path / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip() or None
    return None


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_secret_key(config: dict[str, Any]) -> None:
    """Refuse to run in production without a real secret key."""
    key = config.get("SECRET_KEY")
    if config.get("DEBUG") or config.get("TESTING"):
        if not key:
            # A per-process random key keeps debug sessions working without a shared default.
            config["SECRET_KEY"] = secrets.token_hex(32)
        return
    if not key or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY must be set to a random string of at least {MIN_SECRET_KEY_LENGTH} "
            "characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )


def apply_engine_defaults(config: dict[str, Any]) -> None:
    """Complete ``SQLALCHEMY_ENGINE_OPTIONS`` for the configured database, keeping overrides.

    PostgreSQL gets a pool sized for one web process (``DB_POOL_SIZE`` connections, normally
    one per gunicorn thread), a connect timeout and a statement timeout, so that no request
    waits forever on the database. Statement parameters are kept out of error messages and
    logs because they carry answers and password hashes.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)
    options.setdefault("hide_parameters", True)
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if url.startswith("postgresql"):
        options.setdefault("pool_size", int(config["DB_POOL_SIZE"]))
        options.setdefault("max_overflow", int(config["DB_MAX_OVERFLOW"]))
        # Waiting longer for a pooled connection than a client waits for a page helps nobody.
        options.setdefault("pool_timeout", 10)
        options.setdefault("pool_recycle", 1800)
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(config["DB_CONNECT_TIMEOUT_S"]))
        timeout_ms = int(config["DB_STATEMENT_TIMEOUT_MS"])
        pg_options = str(connect_args.get("options") or "")
        if timeout_ms > 0 and "statement_timeout" not in pg_options:
            connect_args["options"] = f"{pg_options} -c statement_timeout={timeout_ms}".strip()
        options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


#: The variables sizing the thread pools of numpy's linear algebra (OpenBLAS, or OpenMP and
#: MKL builds), read when numpy loads.
MATHS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_maths() -> None:
    """One thread for numpy's linear algebra, unless the environment sets its own.

    The app's matrices are small, and its processes (web workers, a batch's workers) already
    share the cores: a pool of threads per process only competes with them, and would keep a
    batch run from the command line from starting its workers as copies of itself
    (:mod:`app.platform.children`). Called before numpy can load (:mod:`app.platform.lazy`).
    """
    for variable in MATHS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
