"""Helpers of the erasure and retention tests: a scan of every stored value, a snapshot of
every table, and the results documents without their version stamps."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.models import Base, Campaign
from app.platform.extensions import db
from app.results import campaign_results
from app.results.serialize import GROUP_BY_CHOICES, results_document


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def columns_mentioning(*needles: str) -> set[str]:
    """``table.column`` of every stored value, in every table, that contains a needle."""
    db.session.commit()
    wanted = [needle.lower() for needle in needles]
    found = set()
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is not None and any(n in _text(value).lower() for n in wanted):
                        found.add(f"{table.name}.{column.name}")
    return found


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    db.session.commit()
    with db.engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(_text(v) for v in row) for row in connection.execute(select(table))),
            )
            for table in Base.metadata.sorted_tables
        }


def _without_versions(document: Any) -> Any:
    if isinstance(document, dict):
        return {
            key: _without_versions(value)
            for key, value in document.items()
            if key not in ("computed_at", "data_version")
        }
    if isinstance(document, list):
        return [_without_versions(value) for value in document]
    return document


def results_json(campaign_id: int) -> dict[str, Any]:
    """The results document of every breakdown, without ``computed_at``/``data_version``."""
    db.session.expire_all()
    results = campaign_results(db.session.get(Campaign, campaign_id))
    return {
        kind: _without_versions(results_document(results, group_by))
        for group_by, kind in GROUP_BY_CHOICES.items()
    }
