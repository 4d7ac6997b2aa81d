"""The department hierarchy over plain rows: one display order, subtrees and ancestors.

Every output that lists departments as a tree (results, dashboard, reports, the workspace and
the CLI) takes its order from :func:`department_tree`: depth first, each parent before its
children, siblings by ``position``, then ``name``, then ``id``. A department whose parent is
not among the rows given (filtered out, or another organisation's) is a root.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class DepartmentLike(Protocol):
    """What the tree needs of a department: a model, a loaded row or a backup entry."""

    @property
    def id(self) -> int: ...

    @property
    def parent_id(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def position(self) -> int: ...


D = TypeVar("D", bound=DepartmentLike)


def display_key(department: DepartmentLike) -> tuple[int, str, int]:
    """The order of siblings (and of a flat list of departments): position, name, id."""
    return (department.position or 0, department.name, department.id)


@dataclass(frozen=True)
class DepartmentTree(Generic[D]):
    """Departments in display order with their depth, and the hierarchy between them."""

    #: ``(department, depth)`` depth first, each parent before its children.
    ordered: tuple[tuple[D, int], ...]
    #: Each department's children, in display order.
    children: Mapping[int, tuple[int, ...]]
    #: Each department's parent among the rows given (None: a root).
    parents: Mapping[int, int | None]

    @property
    def roots(self) -> tuple[D, ...]:
        """The departments at depth 0, in display order."""
        return tuple(department for department, depth in self.ordered if depth == 0)

    def subtree(self, department_id: int) -> tuple[int, ...]:
        """``department_id`` and every department below it, in display order."""
        found = [department_id]
        seen = {department_id}
        stack = list(reversed(self.children.get(department_id, ())))
        while stack:
            child = stack.pop()
            if child in seen:  # a cycle in bad data must not loop forever
                continue
            seen.add(child)
            found.append(child)
            stack.extend(reversed(self.children.get(child, ())))
        return tuple(found)

    def ancestors(self, department_id: int) -> tuple[int, ...]:
        """The departments above ``department_id``: its parent first, the root last."""
        found: list[int] = []
        parent = self.parents.get(department_id)
        while parent is not None and parent != department_id and parent not in found:
            found.append(parent)
            parent = self.parents.get(parent)
        return tuple(found)


def department_tree(departments: Iterable[D]) -> DepartmentTree[D]:
    """The tree of ``departments`` (in any order; each id once).

    Departments only reachable through a cycle (bad data) still appear once each, after the
    others, the first of each cycle in display order at depth 0.
    """
    rows = sorted(departments, key=display_key)
    by_id = {row.id: row for row in rows}
    parents: dict[int, int | None] = {}
    children: dict[int, list[int]] = {row.id: [] for row in rows}
    for row in rows:
        parent = row.parent_id if row.parent_id in by_id and row.parent_id != row.id else None
        parents[row.id] = parent
        if parent is not None:
            children[parent].append(row.id)
    ordered: list[tuple[D, int]] = []
    seen: set[int] = set()

    def visit(root: D) -> None:
        stack = [(root.id, 0)]
        while stack:
            department_id, depth = stack.pop()
            if department_id in seen:
                continue
            seen.add(department_id)
            ordered.append((by_id[department_id], depth))
            stack.extend((child, depth + 1) for child in reversed(children[department_id]))

    for row in rows:
        if parents[row.id] is None:
            visit(row)
    for row in rows:
        if row.id not in seen:
            visit(row)
    return DepartmentTree(
        ordered=tuple(ordered),
        children={key: tuple(value) for key, value in children.items()},
        parents=parents,
    )


def subtree_ids(department_id: int, departments: Iterable[DepartmentLike]) -> tuple[int, ...]:
    """``department_id`` and every department below it among ``departments``."""
    return department_tree(departments).subtree(department_id)


def ancestor_ids(department_id: int, departments: Iterable[DepartmentLike]) -> tuple[int, ...]:
    """The departments above ``department_id`` among ``departments``, its parent first."""
    return department_tree(departments).ancestors(department_id)
