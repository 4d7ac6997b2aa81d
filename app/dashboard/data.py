"""The dashboard's access to the one results computation, with a short memo for closed rounds.

``campaign_results`` checks its cache against the campaign's data version on every call,
which scans the campaign's answers: about a second for a 20,000-respondent campaign. A
closed campaign takes no more answers, so the dashboard reuses the results it was given for
a few seconds (``CX_DASHBOARD_RESULTS_TTL``, default 15; 0 turns the memo off) while an
executive clicks from page to page. Open campaigns always go straight to the engine.
"""

from __future__ import annotations

import threading
import time

from flask import current_app

from app.models import Campaign
from app.results import CampaignResults, campaign_results

DEFAULT_TTL_S = 15.0
#: Campaigns memoised per process.
MEMO_SIZE = 16

_lock = threading.Lock()
_memo: dict[tuple[object, ...], tuple[float, CampaignResults]] = {}


def _key(campaign: Campaign) -> tuple[object, ...]:
    # Everything about the campaign row that results depend on or that tells two campaigns
    # with a reused id apart (SQLite reuses ids after deletes).
    return (
        campaign.id,
        campaign.created_at,
        campaign.closed_at,
        campaign.status,
        campaign.anonymity_threshold,
        campaign.previous_campaign_id,
        campaign.questionnaire_hash,
    )


def results_for(campaign: Campaign, locale: str) -> CampaignResults:
    """The campaign's results in ``locale``: the engine's, memoised briefly when closed."""
    ttl = float(current_app.config.get("CX_DASHBOARD_RESULTS_TTL", DEFAULT_TTL_S))
    if campaign.status != "closed" or ttl <= 0:
        return campaign_results(campaign, locale=locale)
    key = _key(campaign)
    now = time.monotonic()
    with _lock:
        found = _memo.get(key)
    if found is not None and now - found[0] < ttl:
        return found[1].with_locale(locale)
    results = campaign_results(campaign, locale=locale)
    with _lock:
        for stale in [k for k, (at, _r) in _memo.items() if now - at >= ttl]:
            del _memo[stale]
        if len(_memo) >= MEMO_SIZE:
            del _memo[min(_memo, key=lambda k: _memo[k][0])]
        _memo[key] = (now, results)
    return results


def forget() -> None:
    """Drop every memoised result (tests, or after changing a closed campaign in bulk)."""
    with _lock:
        _memo.clear()
