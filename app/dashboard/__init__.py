"""The executive's results views (the blueprint is made in :mod:`app.dashboard.routes`)."""

from app.dashboard.routes import bp

__all__ = ["bp"]
