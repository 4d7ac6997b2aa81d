"""Login, logout and accounts.

The blueprint is made in :mod:`app.auth.routes`.
"""

from app.auth.routes import bp

__all__ = ["bp"]
