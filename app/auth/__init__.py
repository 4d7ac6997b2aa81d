"""Login, logout and accounts.

The blueprint is made in :mod:`app.auth.routes`; :mod:`app.auth.two_factor` adds the
two-factor login pages to it.
"""

from app.auth import two_factor
from app.auth.routes import bp

__all__ = ["bp", "two_factor"]
