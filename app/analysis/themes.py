"""Themes in the answers to one open question: answers that share vocabulary, grouped.

Each answer becomes its terms (:mod:`app.analysis.words`); the terms used by at least two
answers and by at most half of them are weighed by TF-IDF (each answer's row scaled to unit
length); non-negative matrix factorisation splits that matrix into themes, each a weighting
of terms, and gives every answer a weight on every theme. An answer belongs to the theme it
weighs most on; an answer with none of the kept terms belongs to none. A theme is named by
its three heaviest terms, as most often written, and shown with the answers that weigh most
on it.

Everything is deterministic: the factorisation starts from the singular vectors of the
matrix (NNDSVD) computed from a fixed starting vector, and ties are broken by position, so
the same answers always give the same themes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.analysis.words import terms
from app.platform.lazy import lazy_module

if TYPE_CHECKING:
    from numpy.typing import NDArray

np = lazy_module("numpy")
sparse = lazy_module("scipy.sparse")
sparse_linalg = lazy_module("scipy.sparse.linalg")

#: The most themes an open question is split into.
MAX_THEMES = 8
#: Terms shown per theme.
LABEL_TERMS = 3
#: Representative answers kept per theme.
EXAMPLES = 3
#: A term used by more than this share of the answers says nothing of any theme.
MAX_SHARE = 0.5
#: Factorisation steps (multiplicative updates).
ITERATIONS = 200


@dataclass(frozen=True)
class Theme:
    """One theme: its terms (keys, heaviest first) as they are most often written, its
    answers (positions in the input) and up to three representative ones."""

    number: int
    terms: tuple[str, ...]
    labels: tuple[str, ...]
    members: tuple[int, ...]
    examples: tuple[int, ...]
    #: Every member, the strongest on the theme first (a quote that may not be shown is
    #: replaced by the next).
    members_by_strength: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Themes:
    """The themes of a set of answers, largest first, and the answers in none."""

    themes: tuple[Theme, ...]
    unthemed: tuple[int, ...]
    answers: int

    def theme_of(self) -> dict[int, int]:
        """Each themed answer's theme number, by answer position."""
        return {member: theme.number for theme in self.themes for member in theme.members}


def theme_count(answers: int, maximum: int = MAX_THEMES) -> int:
    """How many themes ``answers`` answers are split into: about the square root of their
    number over 1.75 (8 for 200 answers), at least 2, at most ``maximum``."""
    return max(2, min(maximum, round(math.sqrt(max(answers, 1)) / 1.75)))


def find_themes(texts: Sequence[str], *, question: str = "", maximum: int = MAX_THEMES) -> Themes:
    """The themes of ``texts``, the answers to one question. The terms of the ``question``
    itself (顧客体験, 職場...) are in every answer's background, not a theme."""
    asked = {term.key for term in terms(question)}
    read = [[term for term in terms(text) if term.key not in asked] for text in texts]
    surfaces: dict[str, Counter[str]] = {}
    for found in read:
        for term in found:
            surfaces.setdefault(term.key, Counter())[term.surface] += 1
    vocabulary = _vocabulary([[term.key for term in found] for found in read])
    matrix, rows = _tf_idf([[term.key for term in found] for found in read], vocabulary)
    if matrix is None or len(rows) < 4 or len(vocabulary) < 2:
        return Themes((), tuple(range(len(texts))), len(texts))
    k = min(theme_count(len(rows), maximum), len(vocabulary) - 1, len(rows) - 1)
    weights, components = _factorise(matrix, max(k, 1))
    return _themes(weights, components, rows, vocabulary, surfaces, len(texts))


def _vocabulary(keys: Sequence[Sequence[str]]) -> list[str]:
    """Terms used by at least two answers and at most :data:`MAX_SHARE` of them, sorted."""
    frequency = Counter(key for found in keys for key in set(found))
    used = sum(1 for found in keys if found)
    limit = max(2, int(MAX_SHARE * used))
    return sorted(key for key, n in frequency.items() if 2 <= n <= limit)


def _tf_idf(
    keys: Sequence[Sequence[str]], vocabulary: Sequence[str]
) -> tuple[object | None, list[int]]:
    """The answers x terms TF-IDF matrix (rows of unit length) of the answers holding a
    vocabulary term, and those answers' positions."""
    column = {key: index for index, key in enumerate(vocabulary)}
    rows: list[int] = []
    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    for position, found in enumerate(keys):
        counts = Counter(column[key] for key in found if key in column)
        if not counts:
            continue
        for term, count in sorted(counts.items()):
            row_index.append(len(rows))
            col_index.append(term)
            data.append(float(count))
        rows.append(position)
    if not rows:
        return None, []
    matrix = sparse.csr_matrix(
        (np.array(data), (np.array(row_index), np.array(col_index))),
        shape=(len(rows), len(vocabulary)),
    )
    document_frequency = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = np.log((1 + len(rows)) / (1 + document_frequency)) + 1.0
    matrix = sparse.csr_matrix(matrix.multiply(idf.reshape(1, -1)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(matrix.multiply((1.0 / norms).reshape(-1, 1))), rows


def _factorise(matrix: object, k: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """W (answers x themes) and H (themes x terms), non-negative, with W @ H close to the
    matrix: NNDSVD start, then multiplicative updates."""
    weights, components = _nndsvd(matrix, k)
    epsilon = 1e-10
    for _ in range(ITERATIONS):
        components *= (weights.T @ matrix) / (weights.T @ weights @ components + epsilon)
        weights *= (matrix @ components.T) / (weights @ (components @ components.T) + epsilon)
    return weights, components


def _nndsvd(matrix: object, k: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Boutsidis and Gallopoulos' start: each singular pair's positive or negative part,
    whichever is larger; zeros filled with a small mean so that updates can move them."""
    n_rows, n_columns = matrix.shape  # type: ignore[attr-defined]
    start = np.full(min(n_rows, n_columns), 1.0 / math.sqrt(min(n_rows, n_columns)))
    u, s, vt = sparse_linalg.svds(matrix, k=k, v0=start, solver="arpack")
    order = np.argsort(-s, kind="stable")
    u, s, vt = u[:, order], s[order], vt[order]
    weights = np.zeros((n_rows, k))
    components = np.zeros((k, n_columns))
    weights[:, 0] = math.sqrt(s[0]) * np.abs(u[:, 0])
    components[0] = math.sqrt(s[0]) * np.abs(vt[0])
    for j in range(1, k):
        x, y = u[:, j], vt[j]
        xp, xn = np.maximum(x, 0), np.maximum(-x, 0)
        yp, yn = np.maximum(y, 0), np.maximum(-y, 0)
        positive = np.linalg.norm(xp) * np.linalg.norm(yp)
        negative = np.linalg.norm(xn) * np.linalg.norm(yn)
        if positive >= negative:
            a, b, m = xp, yp, positive
        else:
            a, b, m = xn, yn, negative
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na > 0 and nb > 0:
            weights[:, j] = math.sqrt(s[j] * m) * a / na
            components[j] = math.sqrt(s[j] * m) * b / nb
    mean = float(matrix.mean())  # type: ignore[attr-defined]
    weights[weights < 1e-12] = mean / 100
    components[components < 1e-12] = mean / 100
    return weights, components


def _themes(
    weights: NDArray[np.float64],
    components: NDArray[np.float64],
    rows: Sequence[int],
    vocabulary: Sequence[str],
    surfaces: Mapping[str, Counter[str]],
    answers: int,
) -> Themes:
    assigned = np.argmax(weights, axis=1)
    found = []
    for theme in range(components.shape[0]):
        members = np.nonzero(assigned == theme)[0]
        if len(members) < 2:
            continue
        order = np.argsort(-components[theme], kind="stable")[:LABEL_TERMS]
        keys = tuple(vocabulary[i] for i in order)
        labels = tuple(surfaces[key].most_common(1)[0][0] for key in keys)
        strength = weights[members, theme] / (weights[members].sum(axis=1) + 1e-12)
        ranked = members[np.lexsort((members, -strength))]
        found.append((keys, labels, [rows[i] for i in members], [rows[i] for i in ranked]))
    found.sort(key=lambda t: (-len(t[2]), t[0]))
    themes = tuple(
        Theme(
            number,
            keys,
            labels,
            tuple(sorted(members)),
            tuple(ranked[:EXAMPLES]),
            tuple(ranked),
        )
        for number, (keys, labels, members, ranked) in enumerate(found, start=1)
    )
    themed = {member for theme in themes for member in theme.members}
    return Themes(themes, tuple(i for i in range(answers) if i not in themed), answers)
