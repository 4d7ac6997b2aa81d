"""The respondent's flow: personal links, the questionnaire pages, autosave and submit."""

from flask import Blueprint

bp = Blueprint("survey", __name__, template_folder="templates")

from app.survey import routes  # noqa: E402, F401  (routes attach themselves to bp)
