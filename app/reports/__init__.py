"""Report downloads, HTML previews and batch jobs: the web face of :mod:`app.reporting`.

The blueprint is made in :mod:`app.reports.routes`.
"""

from app.reports.routes import bp

__all__ = ["bp"]
