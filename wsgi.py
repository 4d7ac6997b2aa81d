"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import sys

from app import create_app
from app.platform.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a setting is missing or wrong: say which, without a traceback
    sys.exit(f"error: {exc}")
