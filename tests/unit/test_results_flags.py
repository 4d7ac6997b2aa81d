"""The packed incomplete-dimension flags the cell counts are summed with."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.results.load import _packed_flags


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
    return n_dimensions, population, masks, repeat


@settings(max_examples=100, deadline=None)
@given(flag_sets())
def test_sums_of_packed_flags_count_each_dimension_separately(case) -> None:
    n_dimensions, population, masks, repeat = case
    if repeat:
        listed = np.full(population, masks[0], dtype=np.int64)
    else:
        listed = np.array(masks, dtype=np.int64)
    flags = (listed[:, None] >> np.arange(n_dimensions)) & 1 == 1
    width, groups, packed = _packed_flags(flags)
    assert sorted(d for group in groups for d in group) == list(range(n_dimensions))
    assert all(len(group) * width <= 63 for group in groups)
    # Sums as the database makes them: of Python integers, checked to fit a signed 64 bits.
    sums = [sum(int(v) for v in packed[:, c]) for c in range(len(groups))]
    assert all(total < 1 << 63 for total in sums)
    for column, dimensions in enumerate(groups):
        for position, dimension in enumerate(dimensions):
            decoded = (sums[column] >> (position * width)) & ((1 << width) - 1)
            assert decoded == int(((listed >> dimension) & 1).sum())
