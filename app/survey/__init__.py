"""The respondent's flow: personal links, the questionnaire pages, autosave and submit.

The blueprint is made in :mod:`app.survey.routes`.
"""

from app.survey.routes import bp

__all__ = ["bp"]
