"""How many people may register through a campaign's open link, and how quickly.

Two limits (settings ``CX_OPEN_LINK_ADDRESS_LIMIT`` and ``CX_OPEN_LINK_CAMPAIGN_LIMIT``):
per client address, over every campaign, so that one machine cannot flood a campaign with
made-up respondents; and per campaign, over every address, so that many machines cannot
either. An office behind one address shares the first; its default leaves room for a
workshop registering together.
"""

from __future__ import annotations

from flask import current_app

from app.platform.rate_limits import Refusal, claim


def claim_registration(campaign_id: int, address: str) -> Refusal | None:
    """Count one registration; a ``Refusal`` (``address`` or ``campaign``) when over a limit."""
    config = current_app.config
    return claim(
        [
            ("address", config["CX_OPEN_LINK_ADDRESS_LIMIT"], ("open-link-address", address)),
            (
                "campaign",
                config["CX_OPEN_LINK_CAMPAIGN_LIMIT"],
                ("open-link-campaign", str(campaign_id)),
            ),
        ]
    )
