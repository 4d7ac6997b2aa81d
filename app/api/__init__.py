"""JSON API v1: bearer-token authentication, no cookies, so CSRF protection does not apply.

The blueprint is made in :mod:`app.api.routes`.
"""

from app.api.routes import bp

__all__ = ["bp"]
