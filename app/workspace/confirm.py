"""Confirmation pages for the workspace's destructive actions (close, revoke, disable...).

A destructive POST acts only when its form carries ``confirm=yes``. Without it (a button on
another page, or a GET of the same address) the view answers with a page that says what will
happen and posts the same form back with the confirmation: no script is needed, and the CSRF
token is checked on every POST as everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template, request, url_for
from flask_babel import gettext as _

from app.models import Campaign, Department, Participant
from app.operations.erasure import Erasure
from app.results.progress import campaign_progress

#: The form field (and value) that marks a POST as confirmed.
FIELD = "confirm"
VALUE = "yes"


def confirmed() -> bool:
    """Whether this request is the confirmed POST of a destructive action."""
    return request.method == "POST" and request.form.get(FIELD) == VALUE


def _page(
    *,
    title: str,
    lead: str,
    button: str,
    cancel_url: str,
    breadcrumbs: Iterable[tuple[str, str]],
    details: Iterable[str] = (),
) -> str:
    # The posted fields travel on unchanged (the department form's name and parent, the open
    # link's action); the CSRF token is issued again by the page.
    hidden = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", FIELD)
    ]
    return render_template(
        "workspace/confirm.html",
        title=title,
        lead=lead,
        details=list(details),
        button=button,
        cancel_url=cancel_url,
        breadcrumbs=list(breadcrumbs),
        action=request.path,
        hidden=hidden,
        confirm_field=FIELD,
        confirm_value=VALUE,
    )


def _campaign_crumbs(campaign: Campaign) -> list[tuple[str, str]]:
    org = campaign.organization
    return [
        (org.name, url_for(".organization", slug=org.slug)),
        (campaign.name, url_for(".campaign", campaign_id=campaign.id)),
    ]


def close_campaign_page(campaign: Campaign) -> str:
    """What closing ``campaign`` does, with how many people are still answering."""
    total = campaign_progress(campaign).total
    submitted = _(
        "%(n)d of %(total)d participants have submitted.", n=total.submitted, total=total.invited
    )
    details = [submitted]
    if total.started:
        details.append(
            _(
                "%(n)d people have started without submitting: their saved answers are kept as "
                "drafts and are not counted in the results.",
                n=total.started,
            )
        )
    details.append(_("Nobody can answer after closing. You can reopen the campaign later."))
    return _page(
        title=_("Close “%(name)s”?", name=campaign.name),
        lead=_("Closing ends the survey for every participant at once."),
        details=details,
        button=_("Close the campaign"),
        cancel_url=url_for(".campaign", campaign_id=campaign.id),
        breadcrumbs=_campaign_crumbs(campaign),
    )


def _participant_label(participant: Participant) -> str:
    return participant.name or participant.email or _("this participant")


def revoke_participant_page(participant: Participant) -> str:
    """What revoking ``participant`` does."""
    return _page(
        title=_("Revoke %(name)s?", name=_participant_label(participant)),
        lead=_(
            "Every link of this person stops working for good: they can no longer open or "
            "finish the questionnaire. Answers they already submitted stay in the results."
        ),
        details=[_("This cannot be undone: to let them answer again, add them again.")],
        button=_("Revoke the link"),
        cancel_url=url_for(".edit_participant", participant_id=participant.id),
        breadcrumbs=_campaign_crumbs(participant.campaign),
    )


def replace_link_page(participant: Participant) -> str:
    """What issuing a replacing link for ``participant`` does."""
    return _page(
        title=_("Issue a new link for %(name)s?", name=_participant_label(participant)),
        lead=_(
            "Every earlier link of this person stops working at once, including links sent "
            "by email. Answers saved so far are kept."
        ),
        button=_("Issue a new link"),
        cancel_url=url_for(".edit_participant", participant_id=participant.id),
        breadcrumbs=_campaign_crumbs(participant.campaign),
    )


def disable_open_link_page(campaign: Campaign) -> str:
    """What disabling the open link of ``campaign`` does."""
    return _page(
        title=_("Disable the open link?"),
        lead=_(
            "Nobody can register through the open link any more. People who already "
            "registered keep their own links."
        ),
        button=_("Disable the open link"),
        cancel_url=url_for(".campaign", campaign_id=campaign.id) + "#more",
        breadcrumbs=_campaign_crumbs(campaign),
    )


def reissue_open_link_page(campaign: Campaign) -> str:
    """What issuing a new open link (while one is enabled) does."""
    return _page(
        title=_("Issue a new open link?"),
        lead=_(
            "The open link shared so far stops working; only the new link lets people "
            "register. People who already registered keep their own links."
        ),
        button=_("Issue a new open link"),
        cancel_url=url_for(".campaign", campaign_id=campaign.id) + "#more",
        breadcrumbs=_campaign_crumbs(campaign),
    )


def archive_department_page(department: Department) -> str:
    """What archiving ``department`` does."""
    org = department.organization
    return _page(
        title=_("Archive “%(name)s”?", name=department.name),
        lead=_(
            "An archived department is no longer offered for new participants or on the "
            "open link. Its past answers stay in the results, and you can restore it later."
        ),
        button=_("Archive the department"),
        cancel_url=url_for(".edit_department", department_id=department.id),
        breadcrumbs=[(org.name, url_for(".organization", slug=org.slug) + "#structure")],
    )


def _erasure_lines(erasure: Erasure) -> list[str]:
    """The dry run of an erasure, one line per kind that is not zero."""
    labels = {
        "participants": _("People whose name and email address are removed: %(n)d"),
        "links": _("Personal links deleted: %(n)d"),
        "answers_kept": _("Answers kept as anonymous answers: %(n)d"),
        "texts_edited": _("Free-text answers from which the name or address is removed: %(n)d"),
        "import_records": _("Stored participant imports deleted: %(n)d"),
        "outbox_messages": _("Messages in the outbox folder deleted: %(n)d"),
        "responses_deleted": _("Responses deleted: %(n)d"),
        "answers_deleted": _("Answers deleted: %(n)d"),
        "report_jobs": _("Report batches deleted: %(n)d"),
        "report_files": _("Report files deleted: %(n)d"),
    }
    return [labels[kind] % {"n": n} for kind, n in erasure.counts().items() if n]


def erase_participant_page(participant: Participant, erasure: Erasure) -> str:
    """What erasing ``participant``'s personal data removes (the dry run) and keeps."""
    details = _erasure_lines(erasure)
    details.append(
        _(
            "Backups of the campaign made before now still hold this person's data: replace "
            "them with a new backup."
        )
    )
    return _page(
        title=_("Erase the personal data of %(name)s?", name=_participant_label(participant)),
        lead=_(
            "Their name, email address and links are removed everywhere, for good. Their "
            "answers stay as anonymous answers, so every result stays the same."
        ),
        details=details,
        button=_("Erase personal data"),
        cancel_url=url_for(".edit_participant", participant_id=participant.id),
        breadcrumbs=_campaign_crumbs(participant.campaign),
    )


def erase_campaign_page(campaign: Campaign, erasure: Erasure) -> str:
    """What erasing ``campaign`` deletes (the dry run)."""
    details = _erasure_lines(erasure)
    details.append(
        _(
            "The campaign stays, with its settings and log, but it can no longer be opened. "
            "Backups made before now still hold its data: delete them."
        )
    )
    return _page(
        title=_("Erase “%(name)s”?", name=campaign.name),
        lead=_(
            "Every answer, participant, link and report of this campaign is deleted for good: "
            "its results are gone."
        ),
        details=details,
        button=_("Erase the campaign's data"),
        cancel_url=url_for(".campaign_settings", campaign_id=campaign.id),
        breadcrumbs=_campaign_crumbs(campaign),
    )
