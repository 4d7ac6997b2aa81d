"""One respondent's own scores, by the same scoring rules as every group's."""

from __future__ import annotations

import numpy as np

from app.analysis import apply_reverse_coding, dimension_scores, overall_scores_by_kind
from app.questionnaire import Questionnaire


def respondent_scores(
    questionnaire: Questionnaire, answers: dict[str, int | None]
) -> dict[str, float]:
    """The respondent's score on every dimension and overall per kind (NaN when none).

    ``answers`` maps item ids to the answers as given (None: not applicable); overall scores
    are keyed ``overall:<kind>``.
    """
    scale = questionnaire.scale
    scores: dict[str, np.ndarray] = {}
    for dimension in questionnaire.dimensions:
        row = [
            np.nan if answers.get(item.id) is None else float(answers[item.id])
            for item in dimension.items
        ]
        matrix = apply_reverse_coding(
            [row], [item.reverse for item in dimension.items], scale.min, scale.max
        )
        scores[dimension.id] = dimension_scores(matrix, [item.weight for item in dimension.items])
    kinds = {d.id: d.kind for d in questionnaire.dimensions}
    overall = overall_scores_by_kind(scores, kinds)
    found = {key: float(values[0]) for key, values in scores.items()}
    found.update({f"overall:{kind}": float(values[0]) for kind, values in overall.items()})
    return found
