"""Questionnaire definitions: YAML loading, validation and the immutable model.

This package is pure Python (no Flask, no SQLAlchemy) so it can be used by the web app, the
CLI, background jobs and tests alike.
"""

from .loader import (
    QuestionnaireError,
    check_file,
    discover,
    latest,
    left_out_notice,
    lineage_problems,
    load_questionnaire,
    parse_questionnaire,
    validate_file,
    version_key,
)
from .model import (
    AUDIENCE_ROLES,
    DIMENSION_KINDS,
    MAX_OUTCOME_POINTS,
    OUTCOME_KIND,
    Dimension,
    Item,
    LocalizedText,
    OpenQuestion,
    OutcomeDimension,
    OutcomeItem,
    Questionnaire,
    Scale,
    canonical_json,
    compute_content_hash,
)
from .timing import Estimate, estimate
from .yamlcheck import Problem

__all__ = [
    "AUDIENCE_ROLES",
    "DIMENSION_KINDS",
    "MAX_OUTCOME_POINTS",
    "OUTCOME_KIND",
    "Dimension",
    "Estimate",
    "Item",
    "LocalizedText",
    "OpenQuestion",
    "OutcomeDimension",
    "OutcomeItem",
    "Problem",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "canonical_json",
    "check_file",
    "compute_content_hash",
    "discover",
    "estimate",
    "latest",
    "left_out_notice",
    "lineage_problems",
    "load_questionnaire",
    "parse_questionnaire",
    "validate_file",
    "version_key",
]
