"""The OpenAPI 3 description of API v1, written by hand next to the views it describes."""

from __future__ import annotations

from typing import Any

from app.analysis.actions import HORIZONS

API_VERSION = "1.0.0"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": {"$ref": "#/components/responses/NotFound"},
}


#: The 403 of a write reserved to consultants.
_WRITE_403 = (
    "A read-only token (code insufficient_scope: writes need the write scope), or the "
    "token's user is not a consultant of the organisation (code forbidden)."
)


def _department_parameter(what: str) -> dict[str, Any]:
    """The optional ``department`` query parameter, giving ``what`` for one department."""
    return {
        "name": "department",
        "in": "query",
        "required": False,
        "description": (
            f"A department id of the campaign's organisation: {what}. Left out: the whole "
            "organisation. Not a whole number: 400; a department of another organisation or "
            "none: 404."
        ),
        "schema": {"type": "integer", "minimum": 1},
    }


def _department_responses(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "200": _json(schema, description),
        "400": _json(_ref("Error"), "Invalid department (not a whole number)."),
        **_ERRORS,
    }


_CAMPAIGN_ID = {
    "name": "campaign_id",
    "in": "path",
    "required": True,
    "description": "The campaign's id.",
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
}

_COUNT = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
#: The fields of an outcome record as sent and as stored.
OUTCOME_INPUT_PROPERTIES: dict[str, Any] = {
    "department": _nullable(
        {"type": "integer", "description": "A department id; null: the whole organisation."}
    ),
    "period": {
        "type": "string",
        "pattern": "^[0-9]{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$",
        "description": "A year (2026), a half (2026-H1), a quarter (2026-Q3) or a month (2026-04).",
    },
    "nps_counts": _nullable(
        {
            "type": "array",
            "items": _COUNT,
            "minItems": 11,
            "maxItems": 11,
            "description": "The customers' answers 0 to 10 to the recommendation question.",
        }
    ),
    "promoters": _nullable({**_COUNT, "description": "Customers answering 9-10."}),
    "passives": _nullable({**_COUNT, "description": "Customers answering 7-8."}),
    "detractors": _nullable({**_COUNT, "description": "Customers answering 0-6."}),
    "csat": _nullable(
        {"type": "number", "minimum": 0, "maximum": 100, "description": "% satisfied."}
    ),
    "ces": _nullable(
        {"type": "number", "minimum": 1, "maximum": 7, "description": "Mean effort, 1-7."}
    ),
    "churn_rate": _nullable(
        {"type": "number", "minimum": 0, "maximum": 1, "description": "Fraction lost (0.05)."}
    ),
    "arpa": _nullable(
        {"type": "number", "minimum": 0, "description": "Average revenue per account."}
    ),
    "gross_margin": _nullable(
        {"type": "number", "minimum": 0, "maximum": 1, "description": "Fraction (0.4)."}
    ),
}

_ACTION_ID = {
    "name": "action_id",
    "in": "path",
    "required": True,
    "description": "The action's id.",
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
}

_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The organisation's slug.",
    "schema": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"},
}

SCHEMAS: dict[str, Any] = {
    "Localized": {
        "type": "object",
        "description": "A text in every report language.",
        "properties": {"ja": {"type": "string"}, "en": {"type": "string"}},
        "required": ["ja", "en"],
        "additionalProperties": {"type": "string"},
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message"],
                "properties": {
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "parameter": {
                        "type": "string",
                        "description": "The query parameter at fault, for 400 responses.",
                    },
                    "allowed": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The values the parameter at fault may take.",
                    },
                    "field": _nullable(
                        {"type": "string", "description": "The field at fault, for 400s."}
                    ),
                    "line": {
                        "type": "integer",
                        "description": (
                            "The position (from 1) of the entry at fault in a list sent, as "
                            "the line of a CSV file is named."
                        ),
                    },
                    "scope": {
                        "type": "string",
                        "description": (
                            "The scope the token lacks, for 403 insufficient_scope: `write`."
                        ),
                    },
                    "problems": {
                        "type": "array",
                        "description": "Every problem found, when a request has several.",
                        "items": {"type": "object"},
                    },
                },
            }
        },
    },
    "CampaignSummary": {
        "type": "object",
        "required": [
            "id",
            "name",
            "name_en",
            "status",
            "organization",
            "questionnaire",
            "anonymity_threshold",
            "comment_minimum",
            "opens_at",
            "closes_at",
            "previous_campaign_id",
            "links",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "description": "The name as entered."},
            "name_en": _nullable(
                {
                    "type": "string",
                    "description": (
                        "The English name English outputs show; null: they show the name "
                        "as entered."
                    ),
                }
            ),
            "status": {"type": "string", "enum": ["draft", "open", "closed"]},
            "organization": {
                "type": "object",
                "required": ["slug", "name", "name_en"],
                "properties": {
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                    "name_en": _nullable({"type": "string"}),
                },
            },
            "questionnaire": {
                "type": "object",
                "required": ["id", "version", "hash"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "string"},
                    "hash": {"type": "string", "description": "SHA-256 of the frozen content."},
                },
            },
            "anonymity_threshold": {"type": "integer", "minimum": 1},
            "comment_minimum": {
                "type": "integer",
                "minimum": 10,
                "description": (
                    "Fewest respondents of a group who answered an open question for the "
                    "group's free-text answers to it and their themes to be shown (the "
                    "anonymity threshold when larger)."
                ),
            },
            "opens_at": _nullable({"type": "string", "format": "date-time"}),
            "closes_at": _nullable({"type": "string", "format": "date-time"}),
            "previous_campaign_id": _nullable({"type": "integer"}),
            "links": {
                "type": "object",
                "required": ["self", "results", "responses_csv"],
                "properties": {
                    "self": {"type": "string"},
                    "results": {"type": "string"},
                    "responses_csv": {"type": "string"},
                },
            },
        },
    },
    "ProfileFact": {
        "type": "object",
        "required": [
            "fact",
            "answer_type",
            "question",
            "value",
            "answer",
            "evidence",
            "answered_at",
        ],
        "properties": {
            "fact": {"type": "string", "description": "The fact's id in the profile definition."},
            "answer_type": {"type": "string", "enum": ["choice", "yes_no", "number", "text"]},
            "question": {"type": "string"},
            "value": _nullable(
                {
                    "type": "string",
                    "description": (
                        "As stored: an option id, `yes` or `no`, a whole number or a short "
                        "text; null when not answered."
                    ),
                }
            ),
            "answer": _nullable({"type": "string", "description": "The value in words."}),
            "evidence": _nullable({"type": "string"}),
            "answered_at": _nullable({"type": "string", "format": "date-time"}),
        },
    },
    "Profile": {
        "type": "object",
        "required": ["campaign_id", "profile", "facts"],
        "properties": {
            "campaign_id": {"type": "integer"},
            "profile": _nullable(
                {
                    "type": "object",
                    "required": ["id", "version", "title"],
                    "properties": {
                        "id": {"type": "string"},
                        "version": {"type": "string"},
                        "title": {"type": "string"},
                    },
                }
            ),
            "facts": {"type": "array", "items": _ref("ProfileFact")},
        },
    },
    "CampaignList": {
        "type": "object",
        "required": ["campaigns"],
        "properties": {"campaigns": {"type": "array", "items": _ref("CampaignSummary")}},
    },
    "Dimension": {
        "type": "object",
        "required": ["id", "kind", "title"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string", "enum": ["capability", "stage"]},
            "title": _ref("Localized"),
        },
    },
    "CampaignDetail": {
        "allOf": [
            _ref("CampaignSummary"),
            {
                "type": "object",
                "required": ["dimensions", "counts"],
                "properties": {
                    "questionnaire": {
                        "type": "object",
                        "required": ["id", "version", "hash", "title", "scale"],
                        "properties": {
                            "title": _ref("Localized"),
                            "scale": {
                                "type": "object",
                                "required": ["min", "max"],
                                "properties": {
                                    "min": {"type": "integer"},
                                    "max": {"type": "integer"},
                                },
                            },
                        },
                    },
                    "dimensions": {"type": "array", "items": _ref("Dimension")},
                    "counts": {
                        "type": "object",
                        "description": "Counts, not scores: shown whatever the group sizes.",
                        "required": ["invited", "started", "submitted", "departments"],
                        "properties": {
                            "invited": {"type": "integer", "minimum": 0},
                            "started": {"type": "integer", "minimum": 0},
                            "submitted": {"type": "integer", "minimum": 0},
                            "departments": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        ]
    },
    "GroupKey": {
        "type": "object",
        "description": (
            "Identifies a group: its role key, its department name, or both. Empty for the "
            'whole organisation; {"rest": true} is everyone outside the other department.'
        ),
        "properties": {
            "role": {"type": "string"},
            "department": {"type": "string"},
            "rest": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
    "ScoreCell": {
        "type": "object",
        "description": (
            "A group's figures on one dimension. A suppressed cell (too few scores, or "
            "withheld so a small cell cannot be derived) has every figure null."
        ),
        "required": ["mean", "sd", "median", "n", "ci95", "rwg", "level", "suppressed"],
        "properties": {
            "mean": _nullable({"type": "number"}),
            "sd": _nullable({"type": "number"}),
            "median": _nullable({"type": "number"}),
            "n": _nullable({"type": "integer", "minimum": 0}),
            "ci95": _nullable(
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
            ),
            "rwg": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "level": _nullable({"type": "integer"}),
            "suppressed": {"type": "boolean"},
        },
    },
    "Group": {
        "type": "object",
        "description": (
            "One group of the breakdown. A suppressed group has n null and no scores; a group "
            "without responses has n 0 and empty scores."
        ),
        "required": ["key", "n", "suppressed", "status"],
        "properties": {
            "key": _ref("GroupKey"),
            "n": _nullable({"type": "integer", "minimum": 0}),
            "suppressed": {"type": "boolean"},
            "status": {"type": "string", "enum": ["ok", "suppressed", "no_data"]},
            "scores": {"type": "object", "additionalProperties": _ref("ScoreCell")},
            "overall": {
                "type": "object",
                "description": "Mean overall score per dimension kind.",
                "additionalProperties": _nullable({"type": "number"}),
            },
            "dont_know": {
                "type": "object",
                "description": (
                    'Per item, its "don\'t know" and "not applicable" answers among the'
                    " group's respondents asked the item (an item limited to some roles counts"
                    " only them); figures null when fewer were asked than the anonymity"
                    " threshold."
                ),
                "additionalProperties": _ref("DontKnowRate"),
            },
        },
    },
    "DontKnowRate": {
        "type": "object",
        "required": ["asked", "dont_know", "not_applicable", "rate", "na_rate", "suppressed"],
        "properties": {
            "asked": _nullable({"type": "integer", "minimum": 0}),
            "dont_know": _nullable({"type": "integer", "minimum": 0}),
            "not_applicable": _nullable({"type": "integer", "minimum": 0}),
            "rate": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "na_rate": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "suppressed": {"type": "boolean"},
        },
    },
    "Gap": {
        "type": "object",
        "description": (
            "A perception gap a - b on one dimension; Holm adjustment across the breakdown."
        ),
        "required": [
            "dimension",
            "a",
            "b",
            "difference",
            "hedges_g",
            "p_value",
            "p_adjusted",
            "significant",
            "notable",
            "direction",
            "ci95",
            "verdict",
        ],
        "properties": {
            "dimension": {"type": "string"},
            "a": _ref("GroupKey"),
            "b": _ref("GroupKey"),
            "difference": {"type": "number"},
            "hedges_g": _nullable({"type": "number"}),
            "p_value": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "p_adjusted": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "significant": {"type": "boolean"},
            "notable": {"type": "boolean"},
            "direction": {
                "type": "string",
                "enum": [
                    "blind_spot_at_the_top",
                    "hidden_strength_below",
                    "aligned",
                    "above_rest",
                    "below_rest",
                ],
            },
            "ci95": _nullable(
                {
                    "type": "array",
                    "items": {"type": "number"},
                    "minItems": 2,
                    "maxItems": 2,
                    "description": (
                        "Welch confidence interval of the difference at the Holm-adjusted level"
                        " (95% for a single test); null when a side has no spread."
                    ),
                }
            ),
            "verdict": {
                "type": "string",
                "enum": ["clear", "possible", "small"],
                "description": (
                    "clear: the interval excludes zero; small: it lies within ±0.3 points;"
                    " possible: neither (too few answers to confirm)."
                ),
            },
        },
    },
    "Trend": {
        "type": "object",
        "description": (
            "A group's change on one dimension since the previous round; across questionnaire"
            " versions, both rounds' scores over the comparable items only."
        ),
        "required": ["dimension", "group", "previous_mean", "current_mean", "change"],
        "properties": {
            "dimension": {"type": "string"},
            "group": _ref("GroupKey"),
            "n_previous": {"type": "integer"},
            "n_current": {"type": "integer"},
            "previous_mean": {"type": "number"},
            "current_mean": {"type": "number"},
            "change": {"type": "number"},
            "hedges_g": _nullable({"type": "number"}),
            "p_adjusted": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "significant": {"type": "boolean"},
            "notable": {"type": "boolean"},
        },
    },
    "TrendComparability": {
        "type": "object",
        "description": (
            "Which items a dimension's trend compares; comparable false: the versions share"
            " none, and the dimension has no trend."
        ),
        "required": ["dimension", "comparable", "items", "recomputed"],
        "properties": {
            "dimension": {"type": "string"},
            "comparable": {"type": "boolean"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["item", "was"],
                    "properties": {"item": {"type": "string"}, "was": {"type": "string"}},
                },
            },
            "recomputed": {"type": "boolean"},
        },
    },
    "Finding": {
        "type": "object",
        "required": ["rule", "severity", "dimension", "text"],
        "properties": {
            "rule": {"type": "string"},
            "severity": {"type": "string", "enum": ["high", "medium", "low"]},
            "dimension": _nullable({"type": "string"}),
            "text": _ref("Localized"),
        },
    },
    "Evidence": {
        "type": "object",
        "description": (
            "One figure a key message rests on: a group's mean on a dimension or an item, "
            "with the number of respondents behind it; 'change' for a change since the "
            "previous round (then 'value' is this round's mean); with 'measure' "
            "'dont_know_rate', 'value' is the share (0 to 1) of the n respondents asked the "
            'item who answered "don\'t know".'
        ),
        "required": ["group", "value", "n"],
        "properties": {
            "dimension": {"type": "string"},
            "item": {"type": "string"},
            "group": {"type": "object"},
            "value": {"type": "number"},
            "n": _nullable({"type": "integer"}),
            "change": {"type": "number"},
            "measure": {"type": "string", "enum": ["dont_know_rate"]},
        },
    },
    "KeyMessage": {
        "type": "object",
        "description": (
            "One of the three to five findings that lead the diagnosis, most important "
            "first: a headline written as an action title, the detail (what the figures show "
            "and why it matters), the figures it rests on and, where one applies, the action "
            "to take (in a department's findings an action of scope 'organisation' asks the "
            "department head to raise the point with management)."
        ),
        "required": ["id", "rule", "severity", "headline", "detail", "evidence", "recommendation"],
        "properties": {
            "id": {"type": "string"},
            "rule": {"type": "string"},
            "severity": {"type": "string", "enum": ["high", "medium", "low"]},
            "headline": _ref("Localized"),
            "detail": _ref("Localized"),
            "evidence": {"type": "array", "items": _ref("Evidence")},
            "recommendation": _nullable({"allOf": [_ref("Action")]}),
        },
    },
    "Action": {
        "type": "object",
        "description": (
            "A recommended action: what to do (an instruction), the owner function (a key "
            "of reports/owners.yaml, with its name in 'owner_label'), the horizon in months, "
            "how progress is measured, and who can act on it ('organisation' or "
            "'department')."
        ),
        "required": ["text", "owner", "owner_label", "horizon", "measure", "scope"],
        "properties": {
            "text": _ref("Localized"),
            "owner": {"type": "string"},
            "owner_label": _ref("Localized"),
            "horizon": {"type": "string", "enum": list(HORIZONS)},
            "measure": _ref("Localized"),
            "scope": {"type": "string", "enum": ["organisation", "department"]},
        },
    },
    "ScopeGap": {
        "type": "object",
        "description": (
            "A perception gap of the scope, on a dimension or on one item ('item' set): "
            "a - b with its confidence interval (Welch, at the Holm-adjusted level) and the "
            "verdict: 'clear' (the interval excludes zero), 'possible' (|g| >= 0.5 but not "
            "confirmed: too few answers to confirm) or 'small' (small or no difference)."
        ),
        "required": ["a", "b", "difference", "ci95", "verdict"],
        "properties": {
            "dimension": {"type": "string"},
            "item": {"type": "string"},
            "a": {"type": "object"},
            "b": {"type": "object"},
            "difference": {"type": "number"},
            "ci95": _nullable({"type": "array", "items": {"type": "number"}}),
            "verdict": {"type": "string", "enum": ["clear", "possible", "small"]},
        },
    },
    "Findings": {
        "type": "object",
        "description": (
            "The diagnosis of the organisation or of one department: what the dashboard "
            "and the report show. 'status' is 'ok', or why a department has no diagnosis "
            "('suppressed' under the anonymity threshold, 'no_data' without answers); no "
            "message ever rests on a suppressed group."
        ),
        "required": ["campaign_id", "scope", "status", "key_messages", "gaps", "bottleneck"],
        "properties": {
            "campaign_id": {"type": "integer"},
            "scope": {
                "type": "object",
                "required": ["department"],
                "properties": {"department": _nullable({"type": "integer"})},
            },
            "status": {"type": "string", "enum": ["ok", "suppressed", "no_data"]},
            "key_messages": {"type": "array", "items": _ref("KeyMessage")},
            "gaps": {"type": "array", "items": _ref("ScopeGap")},
            "bottleneck": {
                "type": "object",
                "required": ["verdict", "stage"],
                "properties": {
                    "verdict": {"type": "string", "enum": ["bottleneck", "flat", "none"]},
                    "stage": _nullable({"type": "string"}),
                },
            },
            "findings": {"type": "array", "items": _ref("Finding")},
        },
    },
    "CommentThemes": {
        "type": "object",
        "description": (
            "The themes of the open answers, per open question, of the organisation or of "
            "one department. A question answered by fewer respondents of the group than "
            "'minimum_group' (the campaign's comment_minimum, or its anonymity threshold "
            "when larger; never fewer than 10) has 'answers' "
            "null and no themes; a role with fewer answerers has null in 'by_role'. Examples "
            "are scrubbed of e-mail addresses, phone numbers, participants' names and the "
            "names of groups below the minimum."
        ),
        "required": ["minimum_group", "departments", "questions"],
        "properties": {
            "minimum_group": {"type": "integer"},
            "departments": {
                "type": "array",
                "description": (
                    "The departments each theme is counted by ('by_department'), in display "
                    "order: the top-level departments, or the sub-departments of the "
                    "department asked for, each with everything below it."
                ),
                "items": {
                    "type": "object",
                    "required": ["id", "label"],
                    "properties": {
                        "id": {"type": "integer"},
                        "label": {
                            "type": "object",
                            "required": ["ja", "en"],
                            "properties": {
                                "ja": {"type": "string"},
                                "en": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["question", "answers", "themes"],
                    "properties": {
                        "question": {"type": "string"},
                        "answers": _nullable({"type": "integer"}),
                        "themes": {"type": "array", "items": _ref("CommentTheme")},
                    },
                },
            },
        },
    },
    "OutcomeRecord": {
        "type": "object",
        "description": (
            "Customer outcomes of the organisation (department null) or of one department over "
            "one period. 'nps' is the Net Promoter Score (% promoters minus % detractors) with "
            "its 95% interval from the multinomial variance, null below 30 customer answers; "
            "'ltv' is ARPA x gross margin / churn rate. Figures not recorded are null."
        ),
        "required": [
            "department",
            "period",
            "nps_counts",
            "promoters",
            "passives",
            "detractors",
            "csat",
            "ces",
            "churn_rate",
            "arpa",
            "gross_margin",
            "nps",
            "nps_ci95",
            "nps_answers",
            "ltv",
        ],
        "properties": {
            **OUTCOME_INPUT_PROPERTIES,
            "nps": _nullable({"type": "number", "minimum": -100, "maximum": 100}),
            "nps_ci95": _nullable(
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
            ),
            "nps_answers": _nullable({"type": "integer", "minimum": 0}),
            "ltv": _nullable({"type": "number", "minimum": 0}),
        },
    },
    "OutcomeInput": {
        "type": "object",
        "description": (
            "One record to write: the figures given replace the stored ones of that department "
            "and period (null clears one), the others are kept. Give the answers 0-10 "
            "('nps_counts') or the three groups. The computed keys of OutcomeRecord may be sent "
            "back and are ignored."
        ),
        "required": ["department", "period"],
        "additionalProperties": False,
        "properties": {
            **OUTCOME_INPUT_PROPERTIES,
            "nps": _nullable({"type": "number"}),
            "nps_ci95": _nullable({"type": "array", "items": {"type": "number"}}),
            "nps_answers": _nullable({"type": "integer"}),
            "ltv": _nullable({"type": "number"}),
        },
    },
    "OutcomeList": {
        "type": "object",
        "required": ["outcomes"],
        "properties": {"outcomes": {"type": "array", "items": _ref("OutcomeRecord")}},
    },
    "ParticipantEntry": {
        "type": "object",
        "description": (
            "One participant, matched to the campaign's by email (case-insensitively). The "
            "entry is the participant's whole record: a name left out or null leaves them "
            "without one."
        ),
        "required": ["email", "department", "role"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "maxLength": 320},
            "name": _nullable({"type": "string", "maxLength": 200}),
            "department": {
                "type": "string",
                "maxLength": 200,
                "description": "The name of an active department of the organisation.",
            },
            "role": {
                "type": "string",
                "maxLength": 200,
                "description": ("A role key (`frontline`) or its label in any language (`現場`)."),
            },
        },
    },
    "ParticipantUpsert": {
        "type": "object",
        "required": ["participants"],
        "additionalProperties": False,
        "properties": {
            "participants": {
                "type": "array",
                "items": _ref("ParticipantEntry"),
                "maxItems": 5000,
            }
        },
    },
    "ParticipantList": {
        "type": "object",
        "required": ["campaign_id", "participants"],
        "properties": {
            "campaign_id": {"type": "integer"},
            "participants": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["email", "name", "department", "role", "status", "revoked"],
                    "properties": {
                        "email": _nullable({"type": "string"}),
                        "name": _nullable({"type": "string"}),
                        "department": {"type": "string"},
                        "role": {"type": "string", "description": "The role's key."},
                        "status": {"type": "string", "enum": ["invited", "started", "submitted"]},
                        "revoked": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "ParticipantUpsertResult": {
        "type": "object",
        "required": ["campaign_id", "added", "updated", "unchanged"],
        "properties": {
            "campaign_id": {"type": "integer"},
            "added": {"type": "integer", "minimum": 0},
            "updated": {"type": "integer", "minimum": 0},
            "unchanged": {"type": "integer", "minimum": 0},
        },
    },
    "OutcomeUpdate": {
        "type": "object",
        "required": ["outcomes"],
        "additionalProperties": False,
        "properties": {
            "outcomes": {"type": "array", "items": _ref("OutcomeInput"), "maxItems": 5000}
        },
    },
    "Drivers": {
        "type": "object",
        "description": (
            "The key drivers of the questionnaire's outcome item (0-10, asked of everyone, "
            "never part of a maturity score): each dimension's relative weight (Johnson's "
            "relative weights; they sum to the model's R²) with its 95% bootstrap interval "
            "and rank, over the respondents with a score on every dimension and an outcome "
            "answer; per role where a role has at least 30 of them. 'drivers' is empty with a "
            "'reason' (too_few_respondents below 30, no_variation, no_outcome_item). "
            "'matrix' places each dimension by importance against the executive / front-line "
            "gap and the distance to target: act_first (important and contested or far from "
            "target), keep, watch, later."
        ),
        "required": ["outcome", "n", "r2", "drivers", "matrix", "by_role"],
        "properties": {
            "outcome": _nullable({"type": "string"}),
            "n": {"type": "integer", "minimum": 0},
            "r2": _nullable({"type": "number"}),
            "reason": {
                "type": "string",
                "enum": ["too_few_respondents", "no_variation", "no_outcome_item"],
            },
            "drivers": {"type": "array", "items": _ref("Driver")},
            "matrix": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["dimension", "importance", "gap", "distance", "quadrant"],
                    "properties": {
                        "dimension": {"type": "string"},
                        "importance": {"type": "number"},
                        "gap": _nullable({"type": "number"}),
                        "distance": _nullable({"type": "number"}),
                        "quadrant": {
                            "type": "string",
                            "enum": ["act_first", "keep", "watch", "later"],
                        },
                    },
                },
            },
            "by_role": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["n", "r2", "drivers"],
                    "properties": {
                        "n": {"type": "integer"},
                        "r2": _nullable({"type": "number"}),
                        "drivers": {"type": "array", "items": _ref("Driver")},
                    },
                },
            },
        },
    },
    "Driver": {
        "type": "object",
        "required": ["dimension", "weight", "ci95", "rank"],
        "properties": {
            "dimension": {"type": "string"},
            "weight": {"type": "number", "minimum": 0},
            "ci95": _nullable(
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
            ),
            "rank": {"type": "integer", "minimum": 1},
        },
    },
    "AgreedAction": {
        "type": "object",
        "description": (
            "An action agreed after a diagnosis. 'progress' is the change of its dimension "
            "(for its department, when set) from the round it was set in ('origin_campaign') "
            "to the campaign asked about, from the same results as everything else: null "
            "where either side is withheld, and for the origin round itself. 'verdict' "
            "(clear, possible, small) is the trend's, when the origin is the round just before."
        ),
        "required": [
            "id",
            "title",
            "dimension",
            "item",
            "department",
            "owner",
            "owner_email",
            "due",
            "status",
            "notes",
            "origin_campaign",
            "overdue",
            "progress",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "dimension": {"type": "string"},
            "item": _nullable({"type": "string"}),
            "department": _nullable({"type": "integer"}),
            "owner": {"type": "string"},
            "owner_email": _nullable({"type": "string", "format": "email", "maxLength": 320}),
            "due": _nullable({"type": "string", "format": "date"}),
            "status": {"type": "string", "enum": ["planned", "in_progress", "done", "dropped"]},
            "notes": _nullable({"type": "string"}),
            "origin_campaign": {"type": "integer"},
            "overdue": {"type": "boolean"},
            "progress": {
                "type": "object",
                "required": ["baseline", "current", "change", "verdict"],
                "properties": {
                    "baseline": _nullable({"type": "number"}),
                    "current": _nullable({"type": "number"}),
                    "change": _nullable({"type": "number"}),
                    "verdict": _nullable(
                        {"type": "string", "enum": ["clear", "possible", "small"]}
                    ),
                },
            },
        },
    },
    "AgreedActionList": {
        "type": "object",
        "required": ["actions"],
        "properties": {"actions": {"type": "array", "items": _ref("AgreedAction")}},
    },
    "AgreedActionInput": {
        "type": "object",
        "required": ["title", "dimension", "owner"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "dimension": {"type": "string"},
            "item": _nullable({"type": "string"}),
            "department": _nullable({"type": "integer"}),
            "owner": {"type": "string", "minLength": 1, "maxLength": 200},
            "owner_email": _nullable({"type": "string", "format": "email", "maxLength": 320}),
            "due": _nullable({"type": "string", "format": "date"}),
            "status": {"type": "string", "enum": ["planned", "in_progress", "done", "dropped"]},
            "notes": _nullable({"type": "string", "maxLength": 4000}),
        },
    },
    "AgreedActionChange": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "status": {"type": "string", "enum": ["planned", "in_progress", "done", "dropped"]},
            "owner": {"type": "string", "minLength": 1, "maxLength": 200},
            "owner_email": _nullable({"type": "string", "format": "email", "maxLength": 320}),
            "due": _nullable({"type": "string", "format": "date"}),
            "notes": _nullable({"type": "string", "maxLength": 4000}),
        },
    },
    "CommentTheme": {
        "type": "object",
        "required": ["id", "label", "terms", "count", "by_role", "by_department", "examples"],
        "properties": {
            "id": {"type": "string"},
            "label": {
                "type": "object",
                "required": ["ja", "en"],
                "properties": {"ja": {"type": "string"}, "en": {"type": "string"}},
            },
            "terms": {"type": "array", "items": {"type": "string"}},
            "count": {"type": "integer"},
            "by_role": {
                "type": "object",
                "additionalProperties": _nullable({"type": "integer"}),
            },
            "by_department": {
                "type": "object",
                "description": (
                    "Answers on the theme by department id (see 'departments'); null for a "
                    "department with fewer answerers than 'minimum_group'."
                ),
                "additionalProperties": _nullable({"type": "integer"}),
            },
            "examples": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
    },
    "Bottleneck": {
        "type": "object",
        "description": (
            "Whether a stage of the CX improvement cycle stands out: 'bottleneck' when the "
            "lowest stage lies at least 0.25 points below the next-lowest and the paired "
            "difference is significant (p < .05); 'flat' when not; 'none' without stages or "
            "with too few respondents. 'stage' is set only for 'bottleneck'; 'margin' (points "
            "between the lowest and the next-lowest stage) and 'p' (paired t-test) are null "
            "for 'none'."
        ),
        "required": ["verdict", "stage", "margin", "p"],
        "properties": {
            "verdict": {"type": "string", "enum": ["bottleneck", "flat", "none"]},
            "stage": _nullable({"type": "string"}),
            "margin": _nullable({"type": "number"}),
            "p": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
        },
    },
    "ItemGap": {
        "type": "object",
        "description": (
            "A perception gap a - b between two roles on one item both were asked; Holm "
            "adjustment across all item gaps. The largest gaps by absolute difference."
        ),
        "required": [
            "item",
            "dimension",
            "a",
            "b",
            "mean_a",
            "mean_b",
            "n_a",
            "n_b",
            "difference",
            "hedges_g",
            "p_adjusted",
            "ci95",
            "verdict",
        ],
        "properties": {
            "item": {"type": "string"},
            "dimension": {"type": "string"},
            "a": _ref("GroupKey"),
            "b": _ref("GroupKey"),
            "mean_a": {"type": "number"},
            "mean_b": {"type": "number"},
            "n_a": {"type": "integer", "minimum": 0},
            "n_b": {"type": "integer", "minimum": 0},
            "difference": {"type": "number"},
            "hedges_g": _nullable({"type": "number"}),
            "p_adjusted": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
            "ci95": _nullable(
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
            ),
            "verdict": {"type": "string", "enum": ["clear", "possible", "small"]},
        },
    },
    "Results": {
        "type": "object",
        "required": [
            "campaign_id",
            "questionnaire",
            "anonymity_threshold",
            "group_by",
            "dimensions",
            "groups",
            "gaps",
            "item_gaps",
            "findings",
            "bottleneck",
        ],
        "properties": {
            "campaign_id": {"type": "integer"},
            "questionnaire": {
                "type": "object",
                "required": ["id", "version"],
                "properties": {"id": {"type": "string"}, "version": {"type": "string"}},
            },
            "anonymity_threshold": {"type": "integer", "minimum": 1},
            "group_by": {
                "type": "array",
                "items": {"type": "string", "enum": ["role", "department"]},
            },
            "dimensions": {"type": "array", "items": _ref("Dimension")},
            "groups": {"type": "array", "items": _ref("Group")},
            "gaps": {"type": "array", "items": _ref("Gap")},
            "item_gaps": {"type": "array", "items": _ref("ItemGap")},
            "trends": {"type": "array", "items": _ref("Trend")},
            "trend_comparability": {"type": "array", "items": _ref("TrendComparability")},
            "findings": {"type": "array", "items": _ref("Finding")},
            "bottleneck": _ref("Bottleneck"),
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document served at ``/api/v1/openapi.json``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CX maturity self-assessment API",
            "version": API_VERSION,
            "description": (
                "Read access to campaigns and their results, and writes for integrators. "
                "Authenticate with a personal API token (`flask user token EMAIL`) sent as "
                "`Authorization: Bearer <token>`; a token sees exactly what its user sees. "
                "Tokens are read-only unless made with the write scope (`flask user token "
                "EMAIL --write`, or the account page): every POST, PUT and PATCH needs it "
                "(403 insufficient_scope otherwise). Results apply the campaign's anonymity "
                "rules: groups below the threshold, and groups withheld so a small one cannot "
                "be derived, carry no figures."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/campaigns": {
                "get": {
                    "operationId": "listCampaigns",
                    "summary": "The campaigns the token's user may see",
                    "responses": {
                        "200": _json(_ref("CampaignList"), "The campaigns, by id."),
                        "401": _ERRORS["401"],
                    },
                }
            },
            "/campaigns/{campaign_id}": {
                "get": {
                    "operationId": "getCampaign",
                    "summary": "One campaign with its dimensions and response counts",
                    "parameters": [_CAMPAIGN_ID],
                    "responses": {
                        "200": _json(_ref("CampaignDetail"), "The campaign."),
                        **_ERRORS,
                    },
                }
            },
            "/campaigns/{campaign_id}/results": {
                "get": {
                    "operationId": "getCampaignResults",
                    "summary": "Scores, gaps and findings of a campaign for one breakdown",
                    "parameters": [
                        _CAMPAIGN_ID,
                        {
                            "name": "group_by",
                            "in": "query",
                            "required": False,
                            "description": (
                                "The breakdown: none (leave the parameter out: the whole "
                                "organisation), `role`, `department` or `role,department` "
                                "(roles within each department; `department,role` is the "
                                "same). Anything else, an empty value included, is a 400."
                            ),
                            "schema": {
                                "type": "string",
                                "enum": [
                                    "role",
                                    "department",
                                    "role,department",
                                    "department,role",
                                ],
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Results"), "The results."),
                        "400": _json(_ref("Error"), "Invalid group_by (not one of its values)."),
                        **_ERRORS,
                    },
                }
            },
            "/campaigns/{campaign_id}/findings": {
                "get": {
                    "operationId": "getCampaignFindings",
                    "summary": "Key messages, gaps and the bottleneck verdict of a campaign",
                    "parameters": [
                        _CAMPAIGN_ID,
                        _department_parameter("that department's diagnosis"),
                    ],
                    "responses": _department_responses(_ref("Findings"), "The diagnosis."),
                }
            },
            "/campaigns/{campaign_id}/comments/themes": {
                "get": {
                    "operationId": "getCampaignCommentThemes",
                    "summary": "Themes of the open answers, with counts by role and examples",
                    "parameters": [
                        _CAMPAIGN_ID,
                        _department_parameter(
                            "the themes of that department's answers (its sub-departments included)"
                        ),
                    ],
                    "responses": _department_responses(_ref("CommentThemes"), "The themes."),
                }
            },
            "/organizations/{slug}/outcomes": {
                "get": {
                    "operationId": "listOrganizationOutcomes",
                    "parameters": [_SLUG],
                    "summary": "Customer outcomes of the organisation and its departments",
                    "responses": {
                        "200": _json(_ref("OutcomeList"), "The records, organisation first."),
                        **_ERRORS,
                    },
                },
                "put": {
                    "operationId": "putOrganizationOutcomes",
                    "parameters": [_SLUG],
                    "summary": "Record customer outcomes (all records or none)",
                    "description": (
                        "Upserts each record by department and period. Any invalid record "
                        "refuses the whole request with a 400 listing every problem by record "
                        "index and field. Consultants of the organisation only (403 otherwise)."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("OutcomeUpdate")}},
                    },
                    "responses": {
                        "200": _json(_ref("OutcomeList"), "Every record after the update."),
                        "400": _json(_ref("Error"), "A record is invalid; nothing was written."),
                        "403": _json(_ref("Error"), _WRITE_403),
                        **_ERRORS,
                    },
                },
            },
            "/campaigns/{campaign_id}/participants": {
                "get": {
                    "operationId": "listCampaignParticipants",
                    "parameters": [_CAMPAIGN_ID],
                    "summary": "The campaign's participants, as the upsert takes them",
                    "description": (
                        "Names and emails: for the organisation's consultants only (403 for "
                        "executive viewers). Participants who registered through the open link "
                        "without an email, or whose personal data was erased, have none."
                    ),
                    "responses": {
                        "200": _json(_ref("ParticipantList"), "The participants, by email."),
                        "403": _json(_ref("Error"), "Executive viewers do not see participants."),
                        **_ERRORS,
                    },
                },
                "put": {
                    "operationId": "putCampaignParticipants",
                    "parameters": [_CAMPAIGN_ID],
                    "summary": "Add and update participants by email (all or none)",
                    "description": (
                        "Upserts the participants listed, matched by email case-insensitively: "
                        "new emails are added, the name, department and role of known ones "
                        "are updated, and nobody is removed. Sending the same list again "
                        "changes nothing (every entry counts as unchanged). The entries are "
                        "checked as the rows of a participants CSV import, with the same "
                        "messages: any problem refuses the whole list with a 400 listing each "
                        "problem with its entry's position from 1 (`line`) and `field`. At "
                        "most 5,000 entries per request (413 above). Consultants of the "
                        "organisation only, with a token that has the write scope."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ParticipantUpsert")}},
                    },
                    "responses": {
                        "200": _json(_ref("ParticipantUpsertResult"), "What the list changed."),
                        "400": _json(_ref("Error"), "An entry is invalid; nothing was written."),
                        "403": _json(_ref("Error"), _WRITE_403),
                        "413": _json(_ref("Error"), "More than 5,000 entries."),
                        **_ERRORS,
                    },
                },
            },
            "/campaigns/{campaign_id}/drivers": {
                "get": {
                    "operationId": "getCampaignDrivers",
                    "summary": "Which dimensions move the outcome item, and where to act first",
                    "parameters": [_CAMPAIGN_ID],
                    "responses": {
                        "200": _json(_ref("Drivers"), "The drivers and the priority matrix."),
                        **_ERRORS,
                    },
                }
            },
            "/campaigns/{campaign_id}/actions": {
                "get": {
                    "operationId": "listCampaignActions",
                    "summary": "The campaign's actions and the open ones of its earlier rounds",
                    "parameters": [_CAMPAIGN_ID],
                    "responses": {
                        "200": _json(_ref("AgreedActionList"), "The actions, oldest round first."),
                        **_ERRORS,
                    },
                },
                "post": {
                    "operationId": "createCampaignAction",
                    "summary": "Add an action (consultants)",
                    "parameters": [_CAMPAIGN_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AgreedActionInput")}},
                    },
                    "responses": {
                        "201": _json(_ref("AgreedAction"), "The action."),
                        "400": _json(_ref("Error"), "A value is invalid: 'field' names it."),
                        "403": _json(_ref("Error"), _WRITE_403),
                        **_ERRORS,
                    },
                },
            },
            "/actions/{action_id}": {
                "get": {
                    "operationId": "getAction",
                    "summary": "One action, as its own round lists it",
                    "parameters": [_ACTION_ID],
                    "responses": {
                        "200": _json(_ref("AgreedAction"), "The action."),
                        **_ERRORS,
                    },
                },
                "patch": {
                    "operationId": "updateAction",
                    "summary": (
                        "Change an action's status, owner, owner's e-mail, due date or notes"
                    ),
                    "description": (
                        "Consultants change any of them; executives granted action updates "
                        "report status and notes (403 for the other fields, and for "
                        "executives without the grant)."
                    ),
                    "parameters": [_ACTION_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AgreedActionChange")}},
                    },
                    "responses": {
                        "200": _json(_ref("AgreedAction"), "The action after the change."),
                        "400": _json(_ref("Error"), "A value is invalid: 'field' names it."),
                        "403": _json(
                            _ref("Error"),
                            "A read-only token (insufficient_scope), or the field is changed "
                            "by consultants only.",
                        ),
                        **_ERRORS,
                    },
                },
            },
            "/campaigns/{campaign_id}/profile": {
                "get": {
                    "operationId": "getCampaignProfile",
                    "summary": "The organisation profile: facts recorded for the campaign",
                    "description": (
                        "Facts about the organisation (owner of CX, metrics in use, tools, "
                        "budget) recorded once per campaign by the CX office or the "
                        "consultant, each with an optional evidence note. Every fact of the "
                        "profile is listed, answered or not. They are not answers of "
                        "respondents and are never part of scores or gaps."
                    ),
                    "parameters": [
                        _CAMPAIGN_ID,
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "description": (
                                "Language of the questions and answers in words (`ja` when "
                                "left out); anything else, an empty value included, is a 400."
                            ),
                            "schema": {"type": "string", "enum": ["ja", "en"]},
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("Profile"), "The profile facts."),
                        "400": _json(_ref("Error"), "Invalid lang (not one of its values)."),
                        **_ERRORS,
                    },
                }
            },
            "/campaigns/{campaign_id}/responses.csv": {
                "get": {
                    "operationId": "getCampaignResponsesCsv",
                    "summary": "The submitted responses as CSV (UTF-8 with a byte-order mark)",
                    "description": (
                        "One row per submitted response: department, role, submission time "
                        "and one column per item and open question. For the organisation's "
                        "consultants and site admins only (executive viewers get 403: they "
                        "read aggregated results); open-text answers appear only for groups "
                        "of at least max(threshold, 5) responses."
                    ),
                    "parameters": [
                        _CAMPAIGN_ID,
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "description": (
                                "Language of the role labels (`ja` when left out); anything "
                                "else, an empty value included, is a 400."
                            ),
                            "schema": {"type": "string", "enum": ["ja", "en"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The CSV file.",
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        "400": _json(_ref("Error"), "Invalid lang (not one of its values)."),
                        "403": _json(_ref("Error"), "Executive viewers do not export responses."),
                        **_ERRORS,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token.",
                }
            },
            "responses": {
                "Unauthorized": {
                    "description": "No token, or an unknown or revoked one.",
                    "headers": {
                        "WWW-Authenticate": {
                            "schema": {"type": "string"},
                            "description": 'Bearer realm="cx-maturity"',
                        }
                    },
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
                "NotFound": {
                    "description": "No such campaign, or one the token's user may not see.",
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
            },
            "schemas": SCHEMAS,
        },
    }


def query_enums() -> dict[str, dict[str, tuple[str, ...]]]:
    """Each path's query parameters that take one of a list of values: path -> name -> values.

    The views check requests against this, so the document and the answers never disagree.
    """
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for path, operations in openapi_document()["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                enum = parameter.get("schema", {}).get("enum")
                if parameter["in"] == "query" and enum:
                    found.setdefault(path, {})[parameter["name"]] = tuple(enum)
    return found
