"""API v1 endpoints: thin views over the access module, the results object and the exports."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, g, jsonify, request, stream_with_context
from flask_babel import force_locale
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException

from app.api.openapi import OUTCOME_INPUT_PROPERTIES, openapi_document, query_enums
from app.api.serializers import campaign_detail, campaign_summary
from app.auth.access import (
    campaign_or_404,
    campaigns_query,
    can_manage,
    can_update_actions,
    organization_or_404,
)
from app.auth.tokens import api_token_for
from app.models import Action, Campaign
from app.operations import audit
from app.operations.actions import (
    CHANGEABLE,
    EXECUTIVE_CHANGEABLE,
    ActionProblem,
    check_action,
    create_action,
    update_action,
)
from app.operations.actions import FIELDS as ACTION_FIELDS
from app.operations.exports import ExportOptions, export_filename, stream_csv
from app.operations.organizations import SLUG_RE
from app.operations.outcomes import (
    MAX_RECORDS,
    OutcomeInput,
    OutcomeProblem,
    check_period,
    check_values,
    save_outcomes,
)
from app.operations.participant_upsert import MAX_ENTRIES, participant_list, upsert_participants
from app.platform.extensions import csrf, db
from app.presentation.profile import profile_document
from app.queries.organizations import department_of
from app.queries.profile import campaign_profile
from app.results import campaign_results
from app.results.actions import campaign_actions
from app.results.comments import comment_themes
from app.results.drivers import campaign_drivers
from app.results.outcomes import organization_outcomes
from app.results.serialize import findings_document, parse_group_by, results_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Requests carry a personal token in the Authorization header, never the session cookie, so a
# third-party page cannot make a browser send an authenticated request.
csrf.exempt(bp)

REALM = "cx-maturity"
#: The largest id the database columns hold; larger ones name nothing (and must not reach SQL).
MAX_ID = 2**31 - 1
#: Methods that change data: a token needs the ``write`` scope for them.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
F = TypeVar("F", bound=Callable[..., Any])
#: Query parameters that take one of a list of values, per path of the OpenAPI document.
QUERY_ENUMS = query_enums()
#: ``<int:campaign_id>`` in a URL rule, ``{campaign_id}`` in the document.
_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def error_response(
    status: int, code: str, message: str, **extra: Any
) -> tuple[Response, int, dict[str, str]]:
    """A JSON error body ``{"error": {"status", "code", "message", ...}}``."""
    headers: dict[str, str] = {}
    if status == 401:
        challenge = f'Bearer realm="{REALM}"'
        if code == "invalid_token":
            challenge += ', error="invalid_token"'
        headers["WWW-Authenticate"] = challenge
    elif code == "insufficient_scope":
        scope = extra.get("scope", "")
        headers["WWW-Authenticate"] = (
            f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
        )
    body = {"error": {"status": status, "code": code, "message": message, **extra}}
    return jsonify(body), status, headers


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _campaign(campaign_id: int) -> Campaign:
    """The campaign if the token's user may see it; 404 otherwise, like one that does not exist."""
    if campaign_id > MAX_ID:
        abort(404)
    return campaign_or_404(g.api_user, campaign_id)


def _document_path() -> str:
    """The OpenAPI path of the request's route: ``/campaigns/{campaign_id}/results``."""
    rule = request.url_rule.rule if request.url_rule is not None else ""
    return _RULE_ARGUMENT.sub(r"{\1}", rule.removeprefix(bp.url_prefix or ""))


def invalid_query() -> tuple[Response, int, dict[str, str]] | None:
    """A 400 naming the first query parameter whose value the document does not allow.

    A parameter left out takes its default; given (even empty), it must be one of its values,
    and only once.
    """
    for name, allowed in QUERY_ENUMS.get(_document_path(), {}).items():
        values = request.args.getlist(name)
        choices = ", ".join(allowed)
        if not values:
            continue
        if len(values) > 1:
            message = f"{name}: give it once, not {len(values)} times; use one of: {choices}"
        elif values[0] not in allowed:
            message = (
                f"{name}: {values[0]!r} is not allowed; use one of: {choices} (or leave {name} out)"
            )
        else:
            continue
        return error_response(
            400, "invalid_parameter", message, parameter=name, allowed=list(allowed)
        )
    return None


def token_required(view: F) -> F:
    """Authenticate with ``Authorization: Bearer <token>``; 401 (JSON) otherwise.

    A write (``WRITE_METHODS``) needs a token with the ``write`` scope: 403
    ``insufficient_scope`` otherwise, whatever it writes to. Then check the query against the
    document (``invalid_query``): 400 when it is off.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = _bearer_token()
        if token is None:
            return error_response(
                401, "unauthorized", "Send a personal API token: Authorization: Bearer <token>"
            )
        api_token = api_token_for(token)
        if api_token is None:
            return error_response(401, "invalid_token", "The API token is unknown or revoked.")
        # Records the token's last use, the only write a read request makes.
        db.session.commit()
        g.api_user = api_token.user
        if request.method in WRITE_METHODS and "write" not in api_token.scope_set:
            return error_response(
                403,
                "insufficient_scope",
                "This request writes: it needs a token with the write scope; this token "
                "only reads. Create one with `flask user token EMAIL --write` or on the "
                "account page.",
                scope="write",
            )
        return invalid_query() or view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def http_error(error: HTTPException) -> Any:
    """Errors inside the API answer in JSON, whatever the web pages do."""
    code = (error.name or "error").lower().replace(" ", "_")
    status = error.code or 500
    message = error.description or error.name
    if status == 404:
        message = "Not found."
    return error_response(status, code, message)


# Registered per status code as well: Flask prefers any handler registered for the code (such
# as the site's HTML 404 page) over a handler registered for the exception class.
bp.register_error_handler(HTTPException, http_error)
for _status in (400, 401, 403, 404, 405, 406, 409, 413, 415, 429, 500):
    bp.register_error_handler(_status, http_error)


@bp.route("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 description of this API (public: it holds no data)."""
    return jsonify(openapi_document())


@bp.route("/campaigns")
@token_required
def campaigns() -> Any:
    found = db.session.scalars(
        campaigns_query(g.api_user).options(joinedload(Campaign.organization))
    ).unique()
    items = [campaign_summary(campaign, campaign.organization) for campaign in found]
    return jsonify({"campaigns": items})


@bp.route("/campaigns/<int:campaign_id>")
@token_required
def campaign(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    return jsonify(campaign_detail(found, found.organization))


@bp.route("/campaigns/<int:campaign_id>/results")
@token_required
def campaign_results_view(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    # token_required let through only the document's values, which all parse.
    group_by = parse_group_by(request.args.get("group_by"))
    results = campaign_results(found)
    return jsonify(results_document(results, group_by))


_ErrorResponse = tuple[Response, int, dict[str, str]]


def _department_parameter(found: Campaign) -> int | _ErrorResponse | None:
    """The ``department`` query parameter: a department id of the campaign's organisation,
    None when absent, or the 400 response saying what is wrong (404 for an unknown id)."""
    values = request.args.getlist("department")
    if len(values) > 1:
        return error_response(
            400, "invalid_parameter", "department: give it once", parameter="department"
        )
    if not values:
        return None
    raw = values[0].strip()
    if not raw.isdigit():
        return error_response(
            400,
            "invalid_parameter",
            f"department: {values[0]!r} is not a department id (a whole number)",
            parameter="department",
        )
    department = int(raw)
    # An id beyond the database's range names no department, like an unknown one.
    if department > MAX_ID or department_of(found.organization_id, department) is None:
        abort(404)
    return department


@bp.route("/campaigns/<int:campaign_id>/findings")
@token_required
def campaign_findings_view(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    department = _department_parameter(found)
    if isinstance(department, tuple):
        return department
    return jsonify(findings_document(campaign_results(found), department))


@bp.route("/campaigns/<int:campaign_id>/comments/themes")
@token_required
def campaign_comment_themes_view(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    department = _department_parameter(found)
    if isinstance(department, tuple):
        return department
    version = campaign_results(found).data_version
    return jsonify(comment_themes(found, version, department).document())


@bp.route("/campaigns/<int:campaign_id>/drivers")
@token_required
def campaign_drivers_view(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    return jsonify(campaign_drivers(found, campaign_results(found)).document())


def _id_or_404(raw: str) -> int:
    """An id from a path segment of a route that also writes (a whole number the database
    can hold), or 404: such routes take any segment, so that a write to a number beyond
    the database's range, or to no number at all, is "not found" like a read."""
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ID:
        abort(404)
    return int(raw)


@bp.route("/campaigns/<path:campaign_id>/actions", methods=["GET", "POST"])
@token_required
def campaign_actions_view(campaign_id: str) -> Any:
    found = _campaign(_id_or_404(campaign_id))
    if request.method == "POST":
        if not can_manage(g.api_user, found.organization_id):
            return error_response(403, "forbidden", "Actions are added by consultants.")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error_response(400, "invalid_body", "Send a JSON object.", field=None)
        unknown = sorted(set(body) - set(ACTION_FIELDS))
        if unknown:
            return _action_refused(ActionProblem(unknown[0], f"{unknown[0]!r} is not a field"))
        values, problems = check_action(found, body)
        if problems:
            return _action_refused(*problems)
        action = create_action(found, values, actor=g.api_user)
        db.session.commit()
        progress = {a.action.id: a for a in campaign_actions(found, campaign_results(found))}
        return jsonify(progress[action.id].document()), 201
    listed = campaign_actions(found, campaign_results(found))
    return jsonify({"actions": [item.document() for item in listed]})


@bp.route("/actions/<path:action_id>", methods=["GET", "PATCH"])
@token_required
def action_view(action_id: str) -> Any:
    action = db.session.get(Action, _id_or_404(action_id))
    if action is None:
        abort(404)
    campaign = _campaign(action.campaign_id)
    if request.method == "GET":
        listed = {a.action.id: a for a in campaign_actions(campaign, campaign_results(campaign))}
        return jsonify(listed[action.id].document())
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return error_response(400, "invalid_body", "Send a JSON object of changes.", field=None)
    if can_manage(g.api_user, campaign.organization_id):
        allowed: tuple[str, ...] = CHANGEABLE
    elif can_update_actions(g.api_user, campaign.organization_id):
        allowed = EXECUTIVE_CHANGEABLE
    else:
        return error_response(
            403, "forbidden", "Updating actions needs a consultant or a granted executive."
        )
    refused = sorted(set(body) - set(allowed))
    if refused:
        if refused[0] in CHANGEABLE:
            return error_response(
                403, "forbidden", f"{refused[0]}: changed by consultants only", field=refused[0]
            )
        return _action_refused(ActionProblem(refused[0], f"{refused[0]!r} cannot be changed"))
    values, problems = check_action(campaign, body, fields=CHANGEABLE)
    if problems:
        return _action_refused(*problems)
    update_action(action, values, actor=g.api_user)
    db.session.commit()
    listed = {a.action.id: a for a in campaign_actions(campaign, campaign_results(campaign))}
    return jsonify(listed[action.id].document())


def _action_refused(*problems: ActionProblem) -> _ErrorResponse:
    first = problems[0]
    return error_response(
        400,
        "invalid_action",
        f"{first.field}: {first.message}",
        field=first.field,
        problems=[{"field": p.field, "message": p.message} for p in problems],
    )


@bp.route("/campaigns/<int:campaign_id>/profile")
@token_required
def campaign_profile_view(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    # token_required let through only the document's values.
    locale = request.args.get("lang", "ja")
    profile, entries = campaign_profile(found)
    with force_locale(locale):
        facts = profile_document(entries, locale)
    return jsonify(
        {
            "campaign_id": found.id,
            "profile": None
            if profile is None
            else {"id": profile.id, "version": profile.version, "title": profile.title.get(locale)},
            "facts": facts,
        }
    )


@bp.route("/campaigns/<int:campaign_id>/responses.csv")
@token_required
def responses_csv(campaign_id: int) -> Any:
    found = _campaign(campaign_id)
    if not can_manage(g.api_user, found.organization_id):
        return error_response(
            403,
            "forbidden",
            "Individual responses are exported by the organisation's consultants only; "
            "use /results for aggregated figures.",
        )
    locale = request.args.get("lang", "ja")
    options = ExportOptions(with_identities=False, locale=locale)
    audit.record(
        "responses.exported", campaign=found, user=g.api_user, format="csv", with_identities=False
    )
    db.session.commit()
    return Response(
        stream_with_context(stream_csv(found, options)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(found, "csv")}"'},
    )


#: Keys of an outcome record the API computes: sent back in a PUT, they are ignored.
_COMPUTED_OUTCOME_KEYS = ("nps", "nps_ci95", "nps_answers", "ltv")
#: The keys a record is written with, as the document describes them.
_OUTCOME_KEYS = tuple(OUTCOME_INPUT_PROPERTIES)


# Any text is taken as the slug (a segment with a control character too), so that every
# method of the document gets its 404 for a slug that names no organisation.
@bp.route("/organizations/<path:slug>/outcomes", methods=["GET", "PUT"])
@token_required
def organization_outcomes_view(slug: str) -> Any:
    if not SLUG_RE.fullmatch(slug):
        abort(404)
    org = organization_or_404(g.api_user, slug)
    if request.method == "PUT":
        if not can_manage(g.api_user, org.id):
            return error_response(
                403,
                "forbidden",
                "Customer outcomes are recorded by the organisation's consultants.",
            )
        refused = _put_outcomes(org)
        if refused is not None:
            return refused
    return jsonify({"outcomes": [item.document() for item in organization_outcomes(org)]})


def _put_outcomes(org: Any) -> _ErrorResponse | None:
    """Check and write the request's records (all or none); the 400 response when refused."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("outcomes"), list):
        return error_response(
            400, "invalid_body", 'Send a JSON object {"outcomes": [records]}.', field="outcomes"
        )
    items = body["outcomes"]
    if len(items) > MAX_RECORDS:
        return error_response(
            400, "invalid_body", f"outcomes: at most {MAX_RECORDS} records", field="outcomes"
        )
    departments = {department.id for department in org.departments}
    problems: list[dict[str, Any]] = []
    records: list[OutcomeInput] = []
    seen: set[tuple[int | None, str]] = set()

    def refuse(index: int, name: str | None, message: str) -> None:
        problems.append({"record": index, "field": name, "message": message})

    for index, item in enumerate(items):
        if not isinstance(item, dict):
            refuse(index, None, "a record is a JSON object")
            continue
        for key in item:
            if key not in _OUTCOME_KEYS and key not in _COMPUTED_OUTCOME_KEYS:
                refuse(index, key, f"{key!r} is not a field of an outcome record")
        department = item.get("department")
        if department is not None and (
            isinstance(department, bool)
            or not isinstance(department, int)
            or department not in departments
        ):
            refuse(index, "department", f"{department!r} is not a department id of {org.slug}")
        period = check_period(item["period"]) if isinstance(item.get("period"), str) else None
        if period is None:
            refuse(
                index,
                "period",
                f"{item.get('period')!r} is not a period (2026, 2026-H1, 2026-Q3 or 2026-04)",
            )
        raw = {key: item[key] for key in _OUTCOME_KEYS[2:] if key in item}
        values, found = check_values(raw, typed=True)
        for column, code, params in found:
            refuse(index, column, OutcomeProblem(index, column, code, params).message)
        if period is not None and (department, period) in seen:
            refuse(index, "period", f"department {department} and period {period} appear twice")
        if period is not None:
            seen.add((department, period))
            records.append(OutcomeInput(index, department, period, values))
    if problems:
        first = problems[0]
        return error_response(
            400,
            "invalid_outcomes",
            f"record {first['record']}, {first['field'] or 'record'}: {first['message']}",
            field=first["field"],
            problems=problems,
        )
    save_outcomes(org, records, actor=g.api_user, source="api")
    db.session.commit()
    return None


@bp.route("/campaigns/<path:campaign_id>/participants", methods=["GET", "PUT"])
@token_required
def campaign_participants_view(campaign_id: str) -> Any:
    found = _campaign(_id_or_404(campaign_id))
    if not can_manage(g.api_user, found.organization_id):
        return error_response(
            403, "forbidden", "Participants are managed by the organisation's consultants."
        )
    if request.method == "GET":
        return jsonify({"campaign_id": found.id, "participants": participant_list(found)})
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("participants"), list):
        return error_response(
            400,
            "invalid_body",
            'Send a JSON object {"participants": [{"email", "name", "department", "role"}]}.',
            field="participants",
        )
    unknown = sorted(set(body) - {"participants"})
    if unknown:
        return error_response(
            400, "invalid_body", f"{unknown[0]!r} is not a field of the body", field=unknown[0]
        )
    entries = body["participants"]
    if len(entries) > MAX_ENTRIES:
        return error_response(
            413,
            "too_many_participants",
            f"participants: at most {MAX_ENTRIES:,} per request, not {len(entries):,}; "
            "send the list in several requests (nothing was written).",
            field="participants",
            limit=MAX_ENTRIES,
        )
    outcome = upsert_participants(found, entries, actor=g.api_user)
    if not outcome.ok:
        db.session.rollback()
        problems = [
            {"line": p.line, "field": p.column, "code": p.code, "message": p.message}
            for p in outcome.problems
        ]
        first = problems[0]
        where = f"line {first['line']}" + (f", {first['field']}" if first["field"] else "")
        return error_response(
            400,
            "invalid_participants",
            f"{where}: {first['message']} ({len(problems)} problem(s); nothing was written)",
            field=first["field"],
            line=first["line"],
            problems=problems,
        )
    db.session.commit()
    return jsonify({"campaign_id": found.id, **outcome.counts()})


@bp.route("/<path:unknown>")
def not_found(unknown: str) -> Any:
    """Unknown API paths answer in JSON like every other API error."""
    return error_response(404, "not_found", "Not found.")
