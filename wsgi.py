"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import gc
import sys

# Start-up allocates a few hundred thousand objects that live as long as the process: the
# cyclic collector's passes over them while they are made are wasted (a sixth of start-up).
gc.disable()
try:
    from app import create_app
    from app.platform.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:  # a setting is missing or wrong: say which, without a traceback
        sys.exit(f"error: {exc}")
finally:
    gc.enable()
# They leave the collector's generations for good: later passes skip them.
gc.freeze()
