"""Full campaign backup as JSON, and restoring it into an organisation.

A backup holds everything needed to rebuild the campaign elsewhere: the frozen questionnaire
(with its content hash, checked again on restore), the departments and roles the campaign
uses, the participants (without link tokens: only their hashes exist, and a restored
campaign must not accept old links anyway) and every response with its answers.

Restoring matches departments by name and roles by key in the target organisation,
creating the missing ones (parents first); restored participants have no link until one is
handed out again (emails or the links CSV on the campaign page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from app.analysis.tree import department_tree, display_key
from app.models import (
    Answer,
    Campaign,
    Department,
    Organization,
    Participant,
    Response,
    Role,
    User,
    utcnow,
)
from app.models.campaign import MIN_COMMENT_MINIMUM
from app.operations import audit
from app.operations.campaigns import check_comment_minimum
from app.operations.errors import N_, OperationError
from app.operations.organizations import add_department, clean_english_name
from app.operations.participants import new_participant
from app.platform.extensions import db
from app.platform.text import clean_free_text, find_control_character
from app.questionnaire import Questionnaire

FORMAT = "cx-campaign-backup"
FORMAT_VERSION = 1
BATCH_SIZE = 500

PARTICIPANT_TIMES = (
    "revoked_at",
    "invited_at",
    "started_at",
    "submitted_at",
    "last_activity_at",
    "invited_by_email_at",
    "last_reminded_at",
)
RESPONSE_TIMES = ("created_at", "updated_at", "submitted_at")
CAMPAIGN_TIMES = ("opens_at", "closes_at", "created_at", "opened_at", "closed_at")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parse_time(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise OperationError(
            N_("%(where)s: %(value)r is not a date and time."), where=where, value=value
        ) from None
    if moment.tzinfo is None:
        raise OperationError(N_("%(where)s: the time has no time zone."), where=where)
    return moment


def _refuse_control_characters(value: Any, where: str) -> None:
    """Refuse a control character in any text of the backup but the questionnaire's.

    A backup written by this app holds none (``app.platform.text``): a file that does was
    edited or damaged, and PostgreSQL would refuse a NUL in any text column. Answers' texts
    are free text and are cleaned instead; the questionnaire is checked by its hash.
    """
    if isinstance(value, str):
        found = find_control_character(value)
        if found is not None:
            raise OperationError(
                N_("%(where)s: contains a control character (%(char)s) at character %(position)d."),
                where=where,
                char=found.codepoint,
                position=found.position,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key, where)
            if not (where.endswith("]") and ".answers[" in where and key == "text"):
                _refuse_control_characters(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_control_characters(item, f"{where}[{index}]")


def backup_campaign(campaign: Campaign) -> dict[str, Any]:
    """The campaign as JSON-compatible data (see the module docstring)."""
    org = campaign.organization
    participants = db.session.scalars(
        select(Participant).where(Participant.campaign_id == campaign.id).order_by(Participant.id)
    ).all()
    used_departments = {p.department_id for p in participants}
    used_roles = {p.role_id for p in participants}
    responses: list[dict[str, Any]] = []
    query = (
        select(Response)
        .where(Response.campaign_id == campaign.id)
        .order_by(Response.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for batch in db.session.scalars(query).partitions():
        ids = [response.id for response in batch]
        answers: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for answer in db.session.scalars(
            select(Answer)
            .where(Answer.response_id.in_(ids))
            .order_by(Answer.response_id, Answer.item_id)
        ):
            answers[answer.response_id].append(
                {
                    "item_id": answer.item_id,
                    "value": answer.value,
                    "not_applicable": bool(answer.not_applicable),
                    "text": answer.text,
                }
            )
        for response in batch:
            used_departments.add(response.department_id)
            used_roles.add(response.role_id)
            entry: dict[str, Any] = {
                "participant": response.participant_id,
                "department": response.department_id,
                "role": response.role_id,
                "status": response.status,
                "source": response.source,
                "current_page": response.current_page,
                "locale": response.locale,
                "answers": answers[response.id],
            }
            entry.update({name: _iso(getattr(response, name)) for name in RESPONSE_TIMES})
            responses.append(entry)

    departments = {d.id: d for d in org.departments}
    # Parents of used departments travel too, so the hierarchy can be rebuilt.
    hierarchy = department_tree(departments.values())
    wanted = set(used_departments)
    for dept_id in list(wanted):
        wanted.update(hierarchy.ancestors(dept_id))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "organization": {"slug": org.slug, "name": org.name, "name_en": org.name_en},
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "name_en": campaign.name_en,
            "status": campaign.status,
            "anonymity_threshold": campaign.anonymity_threshold,
            "comment_minimum": campaign.comment_minimum,
            "individual_reports": bool(campaign.individual_reports),
            "targets": dict(campaign.targets or {}),
            **{name: _iso(getattr(campaign, name)) for name in CAMPAIGN_TIMES},
        },
        "questionnaire": campaign.questionnaire.to_dict(),
        "departments": [
            {
                "id": d.id,
                "name": d.name,
                "name_en": d.name_en,
                "parent": d.parent_id,
                "position": d.position,
                "archived": bool(d.archived),
            }
            for d in sorted(departments.values(), key=display_key)
            if d.id in wanted
        ],
        "roles": [
            {"id": r.id, "key": r.key, "labels": dict(r.labels), "rank": r.rank}
            for r in org.roles
            if r.id in used_roles
        ],
        "participants": [
            {
                "id": p.id,
                "department": p.department_id,
                "role": p.role_id,
                "name": p.name,
                "email": p.email,
                "status": p.status,
                **{name: _iso(getattr(p, name)) for name in PARTICIPANT_TIMES},
            }
            for p in participants
        ],
        "responses": responses,
    }


def record_backup(campaign: Campaign, *, actor: User | None = None) -> None:
    """Log that a backup of the campaign was taken (it holds personal data)."""
    audit.record("campaign.backed_up", campaign=campaign, user=actor)


def _require(data: Any, key: str, kind: type) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise OperationError(N_("The backup has no valid %(key)s section."), key=key)
    return value


def _restore_departments(org: Organization, entries: list[dict[str, Any]]) -> dict[int, Department]:
    by_name = {d.name: d for d in org.departments}
    by_old_id = {int(e["id"]): e for e in entries}
    mapping: dict[int, Department] = {}

    def resolve(old_id: int, trail: tuple[int, ...] = ()) -> Department:
        if old_id in mapping:
            return mapping[old_id]
        if old_id in trail or old_id not in by_old_id:
            raise OperationError(N_("The backup's department hierarchy is inconsistent."))
        entry = by_old_id[old_id]
        name = str(entry["name"])
        dept = by_name.get(name)
        if dept is None:
            parent_id = entry.get("parent")
            parent = resolve(int(parent_id), (*trail, old_id)) if parent_id is not None else None
            dept = add_department(org, name, parent, name_en=str(entry.get("name_en") or ""))
            dept.archived = bool(entry.get("archived", False))
            by_name[name] = dept
        elif not dept.name_en and entry.get("name_en"):
            dept.name_en = clean_english_name(str(entry["name_en"]))
        mapping[old_id] = dept
        return dept

    for old_id in by_old_id:
        resolve(old_id)
    return mapping


def _restore_roles(org: Organization, entries: list[dict[str, Any]]) -> dict[int, Role]:
    by_key = {r.key: r for r in org.roles}
    mapping: dict[int, Role] = {}
    for entry in entries:
        key = str(entry["key"])
        role = by_key.get(key)
        if role is None:
            role = Role(
                key=key,
                labels=dict(entry.get("labels") or {key: key}),
                rank=int(entry.get("rank", 0)),
            )
            org.roles.append(role)
            by_key[key] = role
        mapping[int(entry["id"])] = role
    db.session.flush()
    return mapping


def restore_campaign(
    data: dict[str, Any], org: Organization, *, actor: User | None = None
) -> Campaign:
    """Rebuild a campaign from ``backup_campaign`` data inside ``org``; the caller commits."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise OperationError(N_("This file is not a campaign backup."))
    if data.get("format_version") != FORMAT_VERSION:
        raise OperationError(
            N_("Backup format version %(version)s is not supported."),
            version=data.get("format_version"),
        )
    _refuse_control_characters({k: v for k, v in data.items() if k != "questionnaire"}, "")
    source = _require(data, "campaign", dict)
    try:
        questionnaire = Questionnaire.from_dict(_require(data, "questionnaire", dict))
    except ValueError as exc:
        raise OperationError(
            N_("The questionnaire in the backup is damaged: %(error)s"), error=str(exc)
        ) from None
    try:
        departments = _restore_departments(org, _require(data, "departments", list))
        roles = _restore_roles(org, _require(data, "roles", list))
        status = source.get("status")
        if status not in ("draft", "open", "closed"):
            raise OperationError(
                N_("The backup has an unknown campaign status %(status)r."), status=status
            )
        comment_minimum = source.get("comment_minimum", MIN_COMMENT_MINIMUM)
        check_comment_minimum(comment_minimum)
        campaign = Campaign(
            organization=org,
            name=str(source["name"]),
            name_en=clean_english_name(str(source.get("name_en") or "")),
            questionnaire_id=questionnaire.id,
            questionnaire_version=questionnaire.version,
            questionnaire_hash=questionnaire.content_hash,
            questionnaire_content=questionnaire.to_dict(),
            status=status,
            anonymity_threshold=int(source["anonymity_threshold"]),
            comment_minimum=comment_minimum,
            individual_reports=bool(source.get("individual_reports", False)),
            targets=dict(source.get("targets") or {}),
            **{name: _parse_time(source.get(name), f"campaign.{name}") for name in CAMPAIGN_TIMES},
        )
        if campaign.created_at is None:
            campaign.created_at = utcnow()
        db.session.add(campaign)
        db.session.flush()

        # A restore records one campaign.restored event with the counts below, not one per
        # participant: it puts back people who were added (and audited) where the backup
        # was made.
        participant_ids: dict[int, int] = {}
        for entry in _require(data, "participants", list):
            participant = new_participant(
                campaign,
                departments[int(entry["department"])],
                roles[int(entry["role"])],
                name=entry.get("name"),
                email=entry.get("email"),
            )
            participant.status = entry["status"]
            for name in PARTICIPANT_TIMES:
                moment = _parse_time(entry.get(name), f"participant {entry.get('id')}.{name}")
                setattr(participant, name, moment)
            if participant.invited_at is None:
                participant.invited_at = utcnow()
            db.session.flush()
            participant_ids[int(entry["id"])] = participant.id

        for entry in _require(data, "responses", list):
            old_participant = entry.get("participant")
            response = Response(
                campaign_id=campaign.id,
                participant_id=participant_ids[int(old_participant)]
                if old_participant is not None
                else None,
                department_id=departments[int(entry["department"])].id,
                role_id=roles[int(entry["role"])].id,
                status=entry["status"],
                source=entry.get("source", "web"),
                current_page=int(entry.get("current_page") or 0),
                locale=entry.get("locale"),
                **{
                    name: _parse_time(entry.get(name), f"response.{name}")
                    for name in RESPONSE_TIMES
                },
            )
            now = utcnow()
            response.created_at = response.created_at or now
            response.updated_at = response.updated_at or now
            db.session.add(response)
            db.session.flush()
            answers = [
                {
                    "response_id": response.id,
                    "item_id": str(answer["item_id"]),
                    "value": answer.get("value"),
                    "not_applicable": bool(answer.get("not_applicable", False)),
                    # Free text, like an answer typed in the survey.
                    "text": None
                    if answer.get("text") is None
                    else clean_free_text(str(answer["text"])),
                    "updated_at": response.updated_at,
                }
                for answer in entry.get("answers", [])
            ]
            if answers:
                db.session.execute(insert(Answer), answers)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, OperationError):
            raise
        raise OperationError(
            N_("The backup is incomplete or damaged: %(error)s"), error=repr(exc)
        ) from None
    db.session.flush()
    audit.record(
        "campaign.restored",
        campaign=campaign,
        user=actor,
        source_campaign_id=source.get("id"),
        participants=len(participant_ids),
        responses=len(data["responses"]),
    )
    return campaign
