"""Landing page and health probe.

The blueprint is made in :mod:`app.main.routes`.
"""

from app.main.routes import bp

__all__ = ["bp"]
