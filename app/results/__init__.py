"""The one results computation every output reads: dashboard, PDF reports, exports and API.

``campaign_results(campaign)`` loads a campaign's answers in a few set-based queries, runs
the pure statistics of :mod:`app.analysis`, applies the anonymity rules once for every
breakdown, evaluates the report rules and returns a frozen :class:`CampaignResults`.

Results are kept (:mod:`app.results.kept`: per process and on disk for the machine's other
processes), keyed by the campaign and a data version (counts, revisions and latest change
times of its responses, which every write to an answer raises, its settings, the
organisation's departments and roles, the previous round's version and the rules files), so
any change to what the figures depend on computes them afresh, once: the other readers of the
same campaign wait for them. Checking the version reads no answer: milliseconds at any size.
The dashboard of a campaign receiving answers is shown the figures it had while the new ones
are computed in the background (``allow_previous``).

The other figures live beside it: invited, started and submitted counts
(:mod:`app.results.participation`), a respondent's own scores (:mod:`app.results.individual`)
and the benchmark pool (:mod:`app.results.benchmark`); :mod:`app.results.serialize` is the one
JSON document of the results, for the API and the CLI.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.analysis.actions import OwnerCatalogue
from app.analysis.anonymity import open_text_minimum
from app.analysis.findings import RulesError, RuleSet, load_rules
from app.analysis.plain import PlainFields
from app.analysis.recommendations import RecommendationCatalogue, load_recommendations
from app.analysis.summary import GroupSummary
from app.analysis.tree import subtree_ids
from app.models import (
    Campaign,
    Organization,
    Response,
    name_labels,
    role_labels,
    utcnow,
)
from app.platform.cache import FileCache, ParseStore, clean_parse
from app.platform.extensions import db
from app.platform.memory import gc_paused
from app.queries.campaigns import companion_of
from app.questionnaire import Questionnaire
from app.results import kept
from app.results.compute import (
    CampaignInfo,
    Labels,
    TrendBasis,
    compute_results,
    compute_summaries,
    role_pair_questionnaires,
)
from app.results.kept import Kept, Version
from app.results.load import (
    CampaignData,
    data_version,
    load_campaign_data,
    load_campaign_data_with,
    load_departments,
    load_roles,
    open_text_query,
)
from app.results.model import (
    BREAKDOWNS,
    Balance,
    CampaignResults,
    CountRow,
    DimensionResult,
    DistributionCell,
    Finding,
    GapResult,
    GroupResult,
    Localized,
    Participation,
    Recommendation,
    Reliability,
    ResponseCounts,
    ScoreCell,
    SuppressedCell,
    Targets,
    TrendResult,
)
from app.results.owners import OWNERS_FILE, owner_files, owner_functions, owner_label
from app.results.participation import (
    Cell,
    campaign_participation,
    participation_by_campaign,
    participation_by_cell,
)
from app.results.report_files import read_report_file
from app.results.synthesis import with_companion

__all__ = [
    "BREAKDOWNS",
    "OWNERS_FILE",
    "RECOMMENDATIONS_FILE",
    "RULES_FILE",
    "Balance",
    "CampaignResults",
    "CountRow",
    "DimensionResult",
    "DistributionCell",
    "Finding",
    "GapResult",
    "GroupResult",
    "OpenTextAnswer",
    "OpenTexts",
    "Participation",
    "Recommendation",
    "Reliability",
    "ResponseCounts",
    "ScoreCell",
    "SuppressedCell",
    "Targets",
    "TrendResult",
    "campaign_participation",
    "campaign_results",
    "clear_cache",
    "open_text_answers",
    "open_text_cells",
    "owner_functions",
    "owner_label",
    "participation_by_campaign",
    "participation_by_cell",
    "report_catalogues",
]


RULES_FILE = "rules.yaml"
RECOMMENDATIONS_FILE = "recommendations.yaml"


def _both(message: Any) -> dict[str, str]:
    """A translatable message in every report language."""
    texts = {}
    for locale in ("ja", "en"):
        with force_locale(locale):
            texts[locale] = str(message)
    return texts


def _labels() -> Labels:
    return Labels(
        organization=_both(_l("Whole organisation")),
        rest=_both(_l("Rest of the organisation")),
    )


@dataclass(frozen=True)
class ReportCatalogues:
    """The report rules and recommendations in use, with any problems found loading them."""

    rules: RuleSet | None
    recommendations: RecommendationCatalogue | None
    problems: tuple[str, ...]
    signature: str
    #: The owner functions the actions name (``owners.yaml``); None without a valid file.
    owners: OwnerCatalogue | None = None


def _load_rules(path: Path, owners: tuple[str, ...] | None) -> RuleSet:
    return load_rules(path, known_owners=owners)


def _load_recommendations(path: Path, owners: tuple[str, ...] | None) -> RecommendationCatalogue:
    return load_recommendations(path, known_owners=owners)


# Parsed per set of known owner keys: a change to owners.yaml checks the actions afresh.
_rules_files = FileCache(
    partial(read_report_file, _load_rules, RulesError),
    maxsize=8,
    store=ParseStore("rules", clean_parse),
)
_recommendation_files = FileCache(
    partial(read_report_file, _load_recommendations, RulesError),
    maxsize=8,
    store=ParseStore("recommendations", clean_parse),
)


def report_catalogues() -> ReportCatalogues:
    """The rules, recommendations and owners files of ``CX_REPORTS_DIR`` (reloaded when
    changed). Without a valid ``owners.yaml`` the actions' owner keys are checked only for
    their form."""
    directory = Path(current_app.config["CX_REPORTS_DIR"])
    owners, owner_problems = owner_files(directory)
    known = None if owners is None else tuple(sorted(owners.owners))
    rules, rule_problems = _rules_files.get(directory / RULES_FILE, known)
    recommendations, recommendation_problems = _recommendation_files.get(
        directory / RECOMMENDATIONS_FILE, known
    )
    parts = []
    for name in (RULES_FILE, RECOMMENDATIONS_FILE, OWNERS_FILE):
        try:
            stat = (directory / name).stat()
            parts.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            parts.append(f"{name}:-")
    return ReportCatalogues(
        rules,
        recommendations,
        tuple(owner_problems + rule_problems + recommendation_problems),
        "|".join(parts),
        owners,
    )


def clear_cache() -> None:
    """Forget every kept result, in this process and on disk (for tests, benchmarks and
    after bulk changes made outside the app), once the background refreshes have ended."""
    kept.clear()


def _stored_group(campaign: Campaign, with_previous: bool) -> str:
    """The kept results' group: the database (its URL without the password, and its schema
    for a server), the campaign and whether the previous round is compared."""
    url = db.engine.url.render_as_string(hide_password=True)
    connect = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args")
    return repr((url, connect, campaign.id, with_previous))


def _digest(parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _version(campaign: Campaign, catalogues: ReportCatalogues) -> Version:
    settings, responses, structure, participation = data_version(campaign)
    previous = None
    if campaign.previous_campaign_id is not None:
        found = db.session.get(Campaign, campaign.previous_campaign_id)
        if found is not None:
            previous = data_version(found)
    frame = _digest([settings, structure, catalogues.signature, previous])
    return Version(_digest([frame, responses, participation]), frame, int(responses[0] or 0))


def _info(campaign: Campaign) -> CampaignInfo:
    organization = db.session.execute(
        select(Organization.name, Organization.name_en).where(
            Organization.id == campaign.organization_id
        )
    ).one_or_none()
    return CampaignInfo(
        id=campaign.id,
        name=campaign.name,
        name_en=campaign.name_en,
        organization_id=campaign.organization_id,
        organization_name=organization.name if organization is not None else "",
        organization_name_en=organization.name_en if organization is not None else None,
        status=campaign.status,
        anonymity_threshold=campaign.anonymity_threshold,
        comment_minimum=campaign.comment_minimum,
        targets=dict(campaign.targets or {}),
    )


def _summaries_over(
    campaign: Campaign, questionnaire: Questionnaire, data: CampaignData | None = None
) -> dict[str, dict[str, GroupSummary]]:
    """Every group's summaries with ``questionnaire`` scored (a restriction of the campaign's;
    ``data``: its data over it, when already loaded)."""
    return compute_summaries(
        _info(campaign),
        questionnaire,
        load_campaign_data(campaign, questionnaire) if data is None else data,
        labels=_labels(),
    )


def _common_summaries(
    campaign: Campaign,
    pairs: Mapping[tuple[str, str], Questionnaire | None],
    restricted: Mapping[str, CampaignData],
) -> dict[tuple[str, str], dict[str, dict[str, GroupSummary]]]:
    """Per pair of roles not asked the same items, the summaries over the items both were
    asked (each distinct set of items scored once, from ``restricted``: its data by the
    restriction's content hash)."""
    by_items: dict[str | None, dict[str, dict[str, GroupSummary]]] = {}
    found = {}
    for pair, questionnaire in pairs.items():
        key = None if questionnaire is None else questionnaire.content_hash
        if key not in by_items:
            by_items[key] = (
                {}
                if questionnaire is None or key is None
                else _summaries_over(campaign, questionnaire, restricted[key])
            )
        found[pair] = by_items[key]
    return found


def _trend_basis(
    campaign: Campaign, questionnaire: Questionnaire, previous_campaign: Campaign
) -> TrendBasis | None:
    """For a previous round on another questionnaire version, both rounds' summaries over
    the items the versions share (``was`` links or the same ids), per dimension; None for a
    round on the same version."""
    earlier = previous_campaign.questionnaire
    if earlier.content_hash == questionnaire.content_hash:
        return None
    links = questionnaire.links_to(earlier)
    current = questionnaire.restricted({d: [new for new, _ in pairs] for d, pairs in links.items()})
    before = earlier.restricted(
        {d: [old for _, old in pairs] for d, pairs in links.items()}, questionnaire.dimensions
    )
    items = {d: tuple((new.id, old.id) for new, old in pairs) for d, pairs in links.items()}
    if current is None or before is None:
        return TrendBasis({}, {}, items)
    return TrendBasis(
        _summaries_over(campaign, current), _summaries_over(previous_campaign, before), items
    )


def _compute(
    campaign: Campaign,
    catalogues: ReportCatalogues,
    *,
    with_previous: bool,
    cache: bool,
    allow_previous: bool = False,
) -> CampaignResults:
    if not cache:
        return _computed(campaign, catalogues, with_previous, None).results
    group = _stored_group(campaign, with_previous)
    version = _version(campaign, catalogues)
    found = kept.find(group, version)
    if found is not None and found.current(version):
        return found.results
    if allow_previous and found is not None and kept.may_show_while_refreshing(found, version):
        held = kept.lock(group)
        if held.acquire(wait=False):
            kept.refresh_in_background(held, partial(_refresh, campaign.id, with_previous, group))
        return replace(found.results, refreshing=True)
    held = kept.lock(group)
    held.acquire(wait=True)
    try:
        return _current(campaign, catalogues, with_previous, group).results
    finally:
        held.release()


def _current(
    campaign: Campaign, catalogues: ReportCatalogues, with_previous: bool, group: str
) -> Kept:
    """The current results of ``group``, computed and kept unless another thread or process
    kept them while this one waited for the group's lock (the caller holds it)."""
    version = _version(campaign, catalogues)
    found = kept.find(group, version)
    if found is not None and found.current(version):
        return found
    computed = _computed(campaign, catalogues, with_previous, version)
    kept.keep(group, computed)
    return computed


def _refresh(campaign_id: int, with_previous: bool, group: str) -> None:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is not None:
        with gc_paused():
            _current(campaign, report_catalogues(), with_previous, group)


def _computed(
    campaign: Campaign,
    catalogues: ReportCatalogues,
    with_previous: bool,
    version: Version | None,
) -> Kept:
    """The results of ``campaign`` computed now (``version``: what they are computed from;
    None when they are not kept)."""
    started = time.perf_counter()
    cache = version is not None
    previous = None
    trend_basis = None
    questionnaire = campaign.questionnaire
    if with_previous and campaign.previous_campaign_id is not None:
        previous_campaign = db.session.get(Campaign, campaign.previous_campaign_id)
        # Only a round of the same organisation can be compared with this one.
        if (
            previous_campaign is not None
            and previous_campaign.organization_id == campaign.organization_id
        ):
            previous = _compute(previous_campaign, catalogues, with_previous=False, cache=cache)
            trend_basis = _trend_basis(campaign, questionnaire, previous_campaign)
    # The data over the items each pair of roles was asked in common come from the same
    # passes over the answers.
    role_keys = [role.key for role in load_roles(campaign.organization_id)]
    pairs = role_pair_questionnaires(questionnaire, role_keys)
    restrictions = list({q.content_hash: q for q in pairs.values() if q is not None}.values())
    data, restricted = load_campaign_data_with(campaign, questionnaire, restrictions)
    results = compute_results(
        _info(campaign),
        questionnaire,
        data,
        labels=_labels(),
        rules=catalogues.rules,
        recommendations=catalogues.recommendations,
        previous=previous,
        computed_at=utcnow(),
        data_version="" if version is None else version.key,
        common=_common_summaries(
            campaign,
            pairs,
            {q.content_hash: d for q, d in zip(restrictions, restricted, strict=True)},
        ),
        trend_basis=trend_basis,
    )
    return Kept(
        results,
        "" if version is None else version.frame,
        0 if version is None else version.submitted,
        time.perf_counter() - started,
    )


def campaign_results(
    campaign: Campaign,
    *,
    locale: str | None = None,
    cache: bool = True,
    allow_previous: bool = False,
) -> CampaignResults:
    """Every figure of ``campaign``, with the anonymity rules applied.

    The caller must already have checked that the user may see the campaign (through
    :mod:`app.auth.access`). ``locale`` sets the default language of
    :meth:`CampaignResults.text`; every text is available in every language regardless.
    ``cache=False`` forces a fresh computation (benchmarks, consistency checks).
    ``allow_previous`` lets a reader that must not wait (the dashboard) be given the figures
    computed before the latest answers, marked ``refreshing``, while the new ones are
    computed in the background (see :mod:`app.results.kept`).
    """
    catalogues = report_catalogues()
    with gc_paused():
        results = _compute(
            campaign, catalogues, with_previous=True, cache=cache, allow_previous=allow_previous
        )
        companion = companion_of(campaign)
        if companion is not None:
            other = _compute(
                companion,
                catalogues,
                with_previous=True,
                cache=cache,
                allow_previous=allow_previous,
            )
            results = with_companion(results, other, catalogues.rules)
            if other.refreshing and not results.refreshing:
                results = replace(results, refreshing=True)
    return results.with_locale(locale)


# Open-text answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTextAnswer(PlainFields):
    """One free-text answer, attributed to a department or role only where that is safe."""

    question: str
    question_text: Localized
    text: str
    department: Localized | None = None
    role: Localized | None = None


@dataclass(frozen=True)
class OpenTexts(PlainFields):
    """The free-text answers of a group, or why none may be shown."""

    visible: bool
    #: Submitted responses in the group (a count, not a score); None when the group is
    #: suppressed, since its size must then stay hidden too.
    n: int | None
    minimum: int
    answers: tuple[OpenTextAnswer, ...] = ()


def _shown_size(results: CampaignResults, breakdown: str, key: Mapping[str, Any]) -> int | None:
    try:
        group = results.group(breakdown, **key)
    except KeyError:
        return None
    return group.n if group.shown else None


def open_text_answers(
    campaign: Campaign,
    *,
    department_id: int | None = None,
    role_key: str | None = None,
    results: CampaignResults | None = None,
) -> OpenTexts:
    """The free-text answers of the whole campaign or of one department, role or both.

    Shown only when the group has at least ``open_text_minimum`` submitted responses (the
    larger of the anonymity threshold and the campaign's minimum for words) and is
    not withheld by the anonymity rules. Each answer names its author's department only when
    that department (including its sub-departments) reaches the same minimum, and its role
    only when the role, and the role within that department if the department is named,
    reach it too. Answers are sorted by question and text, never by time, so their order
    reveals nothing.
    """
    results = results or campaign_results(campaign)
    minimum = open_text_minimum(campaign.anonymity_threshold, campaign.comment_minimum)

    def visible(size: int | None) -> bool:
        return size is not None and size >= minimum

    key: dict[str, Any] = {}
    if department_id is not None:
        key["department"] = department_id
    if role_key is not None:
        key["role"] = role_key
    breakdown = {
        (): "organization",
        ("role",): "role",
        ("department",): "department",
        ("department", "role"): "role_department",
    }[tuple(sorted(key))]
    size = _shown_size(results, breakdown, key)
    if not visible(size):
        return OpenTexts(False, size, minimum)

    questionnaire = campaign.questionnaire
    questions = {q.id: q for q in questionnaire.open_questions}
    if not questions:
        return OpenTexts(True, size, minimum)
    departments = load_departments(campaign.organization_id)
    roles = {role.id: role for role in load_roles(campaign.organization_id)}
    query = open_text_query(campaign.id, list(questions))
    if department_id is not None:
        query = query.where(Response.department_id.in_(subtree_ids(department_id, departments)))
    if role_key is not None:
        role_ids = [role.id for role in roles.values() if role.key == role_key]
        query = query.where(Response.role_id.in_(role_ids))

    names = {d.id: d for d in departments}
    answers = []
    for item_id, text, answer_department, answer_role in db.session.execute(query):
        if not text or not text.strip():
            continue
        department_label = None
        department_size = _shown_size(results, "department", {"department": answer_department})
        if visible(department_size):
            department = names.get(answer_department)
            department_label = (
                name_labels(department.name, department.name_en)
                if department is not None
                else {"ja": "", "en": ""}
            )
        role_label = None
        role = roles.get(answer_role)
        if role is not None:
            role_size = _shown_size(results, "role", {"role": role.key})
            if department_label is not None:
                cell = _shown_size(
                    results,
                    "role_department",
                    {"department": answer_department, "role": role.key},
                )
                role_size = cell if role_size is not None else None
            if visible(role_size):
                role_label = role_labels(role.labels, role.key)
        question = questions[item_id]
        answers.append(
            OpenTextAnswer(item_id, question.text.to_dict(), text, department_label, role_label)
        )
    order = {question_id: index for index, question_id in enumerate(questions)}
    answers.sort(key=lambda answer: (order[answer.question], answer.text))
    return OpenTexts(True, size, minimum, tuple(answers))


def open_text_cells(campaign: Campaign) -> frozenset[Cell]:
    """The (department id, role id) cells whose rows may carry free text in an export.

    A row of an export reveals its department and role, so its free-text answers are written
    only when that cell holds at least as many submitted responses as the campaign's
    minimum for free-text answers (never below the anonymity threshold).
    """
    minimum = open_text_minimum(campaign.anonymity_threshold, campaign.comment_minimum)
    return frozenset(
        cell
        for cell, counts in participation_by_cell(campaign).items()
        if counts.submitted >= minimum
    )
