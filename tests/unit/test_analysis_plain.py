"""Plain JSON-able forms of the result classes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from app.analysis import GroupStats, GroupSummary, distribution_from_counts
from app.analysis.anonymity import GroupStatus
from app.analysis.plain import PlainFields, plain
from app.results.model import CountRow, DistributionCell, GroupResult, ScoreCell


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Inner(PlainFields):
    value: float
    colour: Colour = Colour.RED


@dataclass(frozen=True)
class Outer(PlainFields):
    zeta: str
    alpha: tuple[Inner, ...]
    labels: Any = field(default_factory=dict)
    nothing: None = None


@dataclass(frozen=True)
class Reordered(PlainFields):
    plain_keys = ("second", "first", "total")

    first: int
    second: list[tuple[int, int]]

    @property
    def total(self) -> int:
        return self.first + sum(a + b for a, b in self.second)


def test_fields_come_in_declaration_order_converted_all_the_way_down() -> None:
    outer = Outer("z", (Inner(1.5), Inner(2.0)), MappingProxyType({3: (1, 2), "x": {"y": ()}}))

    data = outer.to_dict()

    assert list(data) == ["zeta", "alpha", "labels", "nothing"]
    assert data == {
        "zeta": "z",
        "alpha": [{"value": 1.5, "colour": "red"}, {"value": 2.0, "colour": "red"}],
        "labels": {3: [1, 2], "x": {"y": []}},
        "nothing": None,
    }
    assert type(data["labels"]) is dict
    assert type(data["alpha"][0]["colour"]) is str


def test_plain_keys_set_the_order_and_add_properties() -> None:
    data = Reordered(1, [(2, 3)]).to_dict()

    assert list(data) == ["second", "first", "total"]
    assert data == {"second": [[2, 3]], "first": 1, "total": 6}


def test_plain_leaves_scalars_and_unknown_values_alone() -> None:
    marker = object()
    assert plain(marker) is marker
    assert plain(True) is True
    assert plain("ok") == "ok"
    assert plain(Colour.RED) == "red"
    assert type(plain(Colour.RED)) is str


def test_item_distribution_gives_n_before_the_counts_and_proportions_last() -> None:
    data = distribution_from_counts("a1", {1: 1, 3: 3}, 1, 3).to_dict()

    assert list(data) == ["item", "n", "points", "counts", "proportions"]
    assert data["points"] == [1, 2, 3]
    assert data["counts"] == [1, 0, 3]
    assert data["proportions"] == [0.25, 0.0, 0.75]
    assert distribution_from_counts("a1", {}, 1, 3).to_dict()["proportions"] is None


def test_group_summary_gives_the_status_value_and_plain_mappings() -> None:
    stats = GroupStats(6, 3.0, 1.0, None, 2.0, 4.0)
    summary = GroupSummary("g", GroupStatus.OK, 6, {"alpha": stats}, {"alpha": 0.5})

    data = summary.to_dict()

    assert json.dumps(data) == (
        '{"key": "g", "status": "ok", "n": 6, "dimensions": {"alpha": {"n": 6, "mean": 3.0, '
        '"sd": 1.0, "median": null, "ci_low": 2.0, "ci_high": 4.0}}, '
        '"agreement": {"alpha": 0.5}, "distributions": {}}'
    )
    assert type(data["status"]) is str


def test_results_records_keep_their_published_key_order() -> None:
    cell = DistributionCell("a1", "ok", 4, (1, 2), (1, 3), 1.75)
    group = GroupResult(
        "department",
        {"department": 7},
        {"en": "HQ"},
        "ok",
        4,
        scores={"alpha": ScoreCell("alpha", "no_data")},
        distributions={"a1": cell},
        parent_department_id=2,
        depth=1,
    )
    row = CountRow(4, 1, 2, 1, key={"role": "executive"}, label={"en": "Executive"})

    assert list(cell.to_dict()) == [
        "item",
        "status",
        "n",
        "mean",
        "points",
        "counts",
        "proportions",
    ]
    assert cell.to_dict()["mean"] == 1.75
    assert cell.to_dict()["proportions"] == [0.25, 0.75]
    assert " ".join(group.to_dict()) == (
        "breakdown key label status n parent_department_id depth scores overall distributions "
        "dont_know"
    )
    assert group.to_dict()["distributions"] == {"a1": cell.to_dict()}
    assert group.to_dict()["scores"]["alpha"]["ci95"] is None
    assert row.to_dict() == {
        "key": {"role": "executive"},
        "label": {"en": "Executive"},
        "invited": 4,
        "started": 1,
        "submitted": 2,
        "response_rate": 0.5,
    }
