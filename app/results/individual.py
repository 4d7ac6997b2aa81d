"""One respondent's own scores, for their personal report.

Computed with the same scoring rules as everyone's (:mod:`app.analysis.scoring`: reverse
coding, item weights, the half-answered minimum, overall scores per kind), from the
respondent's own answers only. Nobody but the respondent sees them; the group averages they
are compared with come from the campaign's results, anonymity applied.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from app.analysis import (
    apply_reverse_coding,
    dimension_scores,
    maturity_level,
    overall_scores_by_kind,
)
from app.models import Response
from app.platform.lazy import lazy_module
from app.questionnaire import Questionnaire

#: Imported with the first computation: commands that compute nothing never load it.
np = lazy_module("numpy")


@dataclass(frozen=True)
class OwnScore:
    """A respondent's score on one dimension (or overall on one kind) and its level."""

    #: None when too few of the items were answered to score.
    score: float | None
    level: int | None


@dataclass(frozen=True)
class RespondentScores:
    """A respondent's answers and scores."""

    #: Scale answers by item id, as given (None: not applicable).
    answers: Mapping[str, int | None]
    #: By dimension id, in questionnaire order.
    dimensions: Mapping[str, OwnScore]
    #: By dimension kind, e.g. ``capability``.
    overall: Mapping[str, OwnScore]


def response_answers(response: Response) -> dict[str, int | None]:
    """A response's scale answers by item id (None for "not applicable"; open text left out)."""
    return {answer.item_id: answer.value for answer in response.answers if answer.text is None}


def respondent_scores(
    questionnaire: Questionnaire,
    answers: Mapping[str, int | None],
    role_key: str | None = None,
) -> RespondentScores:
    """The scores of one respondent's ``answers`` (scale answers by item id, as given).

    ``role_key`` is the respondent's role: the half-answered rule counts the items that role
    was asked (an item's ``audience``).
    """
    scale = questionnaire.scale
    scores: dict[str, np.ndarray] = {}
    for dimension in questionnaire.dimensions:
        asked = [[item.asks(role_key) for item in dimension.items]]
        row = [
            np.nan if answers.get(item.id) is None else float(answers[item.id])
            for item in dimension.items
        ]
        matrix = apply_reverse_coding(
            [row], [item.reverse for item in dimension.items], scale.min, scale.max
        )
        scores[dimension.id] = dimension_scores(
            matrix, [item.weight for item in dimension.items], asked
        )
    overall = overall_scores_by_kind(scores, {d.id: d.kind for d in questionnaire.dimensions})

    def own(values: np.ndarray) -> OwnScore:
        value = float(values[0])
        score = None if math.isnan(value) else value
        return OwnScore(score, maturity_level(score, scale.min, scale.max))

    return RespondentScores(
        answers=dict(answers),
        dimensions={key: own(values) for key, values in scores.items()},
        overall={kind: own(values) for kind, values in overall.items()},
    )
