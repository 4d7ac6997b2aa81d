"""The department tree: one display order, subtrees and ancestors, whatever the input order."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.tree import (
    ancestor_ids,
    department_tree,
    display_key,
    subtree_ids,
)

PROPERTY = settings(max_examples=100, deadline=None, database=None)


@dataclass(frozen=True)
class Dept:
    id: int
    parent_id: int | None
    name: str
    position: int


@st.composite
def forests(draw: st.DrawFn, *, cycles: bool = False) -> list[Dept]:
    """Departments in shuffled order; few positions and names, so ties are common."""
    count = draw(st.integers(0, 14))
    ids = draw(st.lists(st.integers(1, 60), min_size=count, max_size=count, unique=True))
    rows = []
    for index, department_id in enumerate(ids):
        # Without cycles only an earlier department (or none, or one outside the set) can be
        # the parent.
        candidates = [*(ids if cycles else ids[:index]), None, 999]
        rows.append(
            Dept(
                department_id,
                draw(st.sampled_from(candidates)),
                draw(st.sampled_from(["経理", "営業", "Sales", "A"])),
                draw(st.integers(0, 2)),
            )
        )
    return draw(st.permutations(rows))


def _parent(row: Dept, ids: set[int]) -> int | None:
    return row.parent_id if row.parent_id in ids and row.parent_id != row.id else None


def _brute_ancestors(department_id: int, rows: list[Dept]) -> list[int]:
    by_id = {row.id: row for row in rows}
    found: list[int] = []
    parent = _parent(by_id[department_id], set(by_id))
    while parent is not None and parent != department_id and parent not in found:
        found.append(parent)
        parent = _parent(by_id[parent], set(by_id))
    return found


@PROPERTY
@given(forests(cycles=True))
def test_every_department_appears_exactly_once(rows: list[Dept]) -> None:
    ordered = department_tree(rows).ordered
    assert sorted(d.id for d, _ in ordered) == sorted(row.id for row in rows)


@PROPERTY
@given(forests())
def test_parents_come_before_their_children_one_level_up(rows: list[Dept]) -> None:
    ids = {row.id for row in rows}
    ordered = department_tree(rows).ordered
    index = {d.id: i for i, (d, _) in enumerate(ordered)}
    depth = {d.id: level for d, level in ordered}
    for row in rows:
        parent = _parent(row, ids)
        if parent is None:
            assert depth[row.id] == 0
        else:
            assert index[parent] < index[row.id]
            assert depth[row.id] == depth[parent] + 1


@PROPERTY
@given(forests())
def test_siblings_are_in_position_name_id_order(rows: list[Dept]) -> None:
    tree = department_tree(rows)
    by_id = {row.id: row for row in rows}
    for children in [*tree.children.values(), tuple(d.id for d in tree.roots)]:
        keys = [display_key(by_id[child]) for child in children]
        assert keys == sorted(keys)
    ids = {row.id for row in rows}
    assert set(tree.children) == ids
    for row in rows:
        assert tree.parents[row.id] == _parent(row, ids)


@PROPERTY
@given(forests(cycles=True), st.randoms(use_true_random=False))
def test_the_order_does_not_depend_on_the_input_order(rows: list[Dept], random) -> None:
    shuffled = list(rows)
    random.shuffle(shuffled)
    assert department_tree(shuffled).ordered == department_tree(rows).ordered


@PROPERTY
@given(forests(cycles=True), st.data())
def test_subtree_and_ancestors_match_a_walk_up_from_every_department(
    rows: list[Dept], data: st.DataObject
) -> None:
    if not rows:
        return
    department_id = data.draw(st.sampled_from([row.id for row in rows]))
    tree = department_tree(rows)
    ancestors = tree.ancestors(department_id)
    assert list(ancestors) == _brute_ancestors(department_id, rows)
    assert ancestor_ids(department_id, rows) == ancestors
    below = {
        row.id
        for row in rows
        if row.id != department_id and department_id in _brute_ancestors(row.id, rows)
    }
    subtree = tree.subtree(department_id)
    assert subtree[0] == department_id
    assert len(subtree) == len(set(subtree))
    assert set(subtree) == {department_id} | below
    assert subtree_ids(department_id, rows) == subtree


@PROPERTY
@given(forests())
def test_a_subtree_is_one_block_of_the_display_order(rows: list[Dept]) -> None:
    tree = department_tree(rows)
    ordered = [d.id for d, _ in tree.ordered]
    for row in rows:
        subtree = tree.subtree(row.id)
        start = ordered.index(row.id)
        assert tuple(ordered[start : start + len(subtree)]) == subtree


def test_an_example_in_words() -> None:
    rows = [
        Dept(5, None, "営業本部", 0),
        Dept(1, None, "管理本部", 1),
        Dept(7, 5, "法人営業部", 2),
        Dept(3, 5, "個人営業部", 2),  # same position as 7: the name decides
        Dept(9, 1, "経理部", 0),
        Dept(4, 8, "孤児", 0),  # parent outside the rows: a root
    ]
    tree = department_tree(rows)
    assert [(d.id, depth) for d, depth in tree.ordered] == [
        (5, 0),
        (3, 1),
        (7, 1),
        (4, 0),
        (1, 0),
        (9, 1),
    ]
    assert tree.subtree(5) == (5, 3, 7)
    assert tree.ancestors(9) == (1,)
    assert tree.ancestors(4) == ()


def test_a_cycle_in_bad_data_ends() -> None:
    rows = [Dept(1, 2, "a", 0), Dept(2, 1, "b", 0), Dept(3, None, "c", 0), Dept(4, 4, "d", 0)]
    tree = department_tree(rows)
    assert [(d.id, depth) for d, depth in tree.ordered] == [(3, 0), (4, 0), (1, 0), (2, 1)]
    assert tree.subtree(1) == (1, 2)
    assert tree.ancestors(1) == (2,)
    assert tree.ancestors(4) == ()
