"""Don't-know rates are taken over the respondents asked, and hidden below the threshold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.analysis.unanswered import STATUS_OK, STATUS_SUPPRESSED, unanswered_rates

cells_strategy = st.dictionaries(
    st.tuples(st.integers(1, 3), st.integers(1, 3)), st.integers(0, 12), min_size=1
)


@given(cells_strategy, st.data(), st.integers(1, 6))
def test_rates_count_only_respondents_asked(respondents, data, threshold) -> None:
    counts = {}
    for (department, role), n in respondents.items():
        dont_know = data.draw(st.integers(0, n))
        na = data.draw(st.integers(0, n - dont_know))
        counts[(department, role, "item")] = (dont_know, na)
    roles = data.draw(st.none() | st.frozensets(st.integers(1, 3), min_size=1))
    rate = unanswered_rates([("item", roles)], respondents, counts, list(respondents), threshold)[
        "item"
    ]
    asked_cells = [cell for cell in respondents if roles is None or cell[1] in roles]
    asked = sum(respondents[cell] for cell in asked_cells)
    if asked < threshold:
        assert rate.status == STATUS_SUPPRESSED
        assert rate.rate is None
        assert rate.to_dict()["dont_know"] is None
        return
    dont_know = sum(counts[(*cell, "item")][0] for cell in asked_cells)
    na = sum(counts[(*cell, "item")][1] for cell in asked_cells)
    assert rate.status == STATUS_OK
    assert (rate.asked, rate.dont_know, rate.not_applicable) == (asked, dont_know, na)
    if asked:
        assert rate.rate == dont_know / asked
        assert 0 <= rate.rate + rate.na_rate <= 1


def test_an_item_for_executives_is_not_counted_against_the_front_line() -> None:
    respondents = {(1, 1): 5, (1, 3): 20}
    counts = {(1, 1, "owner"): (1, 0), (1, 3, "owner"): (0, 0), (1, 3, "daily"): (10, 2)}
    rates = unanswered_rates(
        [("owner", frozenset({1})), ("daily", None)], respondents, counts, [(1, 1), (1, 3)], 5
    )
    assert rates["owner"].to_dict() == {
        "item": "owner",
        "status": "ok",
        "asked": 5,
        "dont_know": 1,
        "not_applicable": 0,
        "rate": 0.2,
        "na_rate": 0.0,
    }
    assert (rates["daily"].asked, rates["daily"].rate, rates["daily"].na_rate) == (25, 0.4, 0.08)
