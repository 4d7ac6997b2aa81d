"""The packed integers the results are summed in: per-response sums, incomplete flags."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.questionnaire import parse_questionnaire
from app.results.load import _packed_flags, _Packing


@st.composite
def flag_sets(draw):
    n_dimensions = draw(st.integers(min_value=1, max_value=16))
    # Up to 2^18 respondents: the field width grows with the campaign's size.
    population = draw(st.integers(min_value=1, max_value=1 << 18))
    masks = draw(
        st.lists(
            st.integers(min_value=0, max_value=(1 << n_dimensions) - 1), min_size=1, max_size=60
        )
    )
    # The widest case: every respondent of the population has the same mask, so each field
    # sums to the population (the largest count a group can have).
    repeat = draw(st.booleans())
    bits = draw(st.sampled_from([63, 31]))
    return n_dimensions, population, masks, repeat, bits


@settings(max_examples=100, deadline=None)
@given(flag_sets())
def test_sums_of_packed_flags_count_each_dimension_separately(case) -> None:
    n_dimensions, population, masks, repeat, bits = case
    if repeat:
        listed = np.full(population, masks[0], dtype=np.int64)
    else:
        listed = np.array(masks, dtype=np.int64)
    flags = (listed[:, None] >> np.arange(n_dimensions)) & 1 == 1
    width, groups, packed = _packed_flags(flags, bits)
    assert sorted(d for group in groups for d in group) == list(range(n_dimensions))
    assert all(len(group) * width <= bits for group in groups)
    # Every packed integer fits the database's type (a signed 32- or 64-bit integer), and so
    # does every sum (of Python integers here, as the database makes them exactly).
    assert int(packed.max(initial=0)) < 1 << bits
    sums = [sum(int(v) for v in packed[:, c]) for c in range(len(groups))]
    assert all(total < 1 << bits for total in sums)
    for column, dimensions in enumerate(groups):
        for position, dimension in enumerate(dimensions):
            decoded = (sums[column] >> (position * width)) & ((1 << width) - 1)
            assert decoded == int(((listed >> dimension) & 1).sum())


@st.composite
def answer_sheets(draw):
    low = draw(st.integers(min_value=-3, max_value=3))
    spread = draw(st.integers(min_value=1, max_value=10))
    sizes = draw(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=8))
    # Per dimension, each item's answer (None: not answered) and whether it is reverse-coded.
    sheet = [
        draw(
            st.lists(
                st.tuples(
                    st.one_of(st.none(), st.integers(min_value=low, max_value=low + spread)),
                    st.booleans(),
                ),
                min_size=size,
                max_size=size,
            )
        )
        for size in sizes
    ]
    return low, spread, sheet


@settings(max_examples=80, deadline=None)
@given(answer_sheets())
def test_packed_sums_give_every_dimensions_sum_and_count(case) -> None:
    low, spread, sheet = case
    text = questionnaire_text(low, low + spread, [len(items) for items in sheet])
    packing = _Packing.of(parse_questionnaire(text))
    totals = [0] * packing.columns
    for dimension, items in enumerate(sheet):
        units = packing.units(dimension)
        for value, reverse in items:
            if value is None:
                continue
            above = (low + spread - value) if reverse else value - low
            for column in range(packing.columns):
                # What the SQL adds for one answer: unit x (recoded value - minimum) + count unit.
                totals[column] += units[2 * column] * above + units[2 * column + 1]
    # Every sum fits the signed 32-bit integers the databases sum.
    assert all(0 <= total < 1 << 31 for total in totals)
    array = np.array([totals], dtype=np.int64).reshape(1, packing.columns)
    for dimension, items in enumerate(sheet):
        shifted, count = packing.unpack(array, dimension)
        answered = [(v, r) for v, r in items if v is not None]
        assert int(count[0]) == len(answered)
        expected = sum((low + spread - v) if r else v - low for v, r in answered)
        assert int(shifted[0]) == expected


def questionnaire_text(low: int, high: int, sizes: list[int]) -> str:
    labels = "\n".join(
        f"    {point}: {{ja: p{point}, en: p{point}}}" for point in range(low, high + 1)
    )
    dimensions = []
    for index, size in enumerate(sizes):
        items = "\n".join(
            f"      - {{id: d{index}i{item}, text: {{ja: x, en: x}}}}" for item in range(size)
        )
        head = f"  - id: d{index}\n    kind: capability\n    title: {{ja: d, en: d}}\n"
        dimensions.append(f"{head}    items:\n{items}")
    return (
        'id: packing\nversion: "1.0.0"\nlocales: [ja, en]\ntitle: {ja: t, en: t}\n'
        f"scale:\n  min: {low}\n  max: {high}\n  labels:\n{labels}\n"
        "dimensions:\n" + "\n".join(dimensions) + "\n"
    )
