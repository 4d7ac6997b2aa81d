"""The workspace blueprint, which every view module of the package attaches itself to."""

from flask import Blueprint

bp = Blueprint("workspace", __name__, template_folder="templates", url_prefix="/workspace")
