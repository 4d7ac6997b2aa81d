"""JSON API v1: bearer-token authentication, no cookies, so CSRF protection does not apply."""

from flask import Blueprint

from app.platform.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Requests carry a personal token in the Authorization header, never the session cookie, so a
# third-party page cannot make a browser send an authenticated request.
csrf.exempt(bp)

from app.api import routes  # noqa: E402, F401  (routes attach themselves to bp)
