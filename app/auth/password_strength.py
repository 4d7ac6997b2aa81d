"""How many guesses a password would take an attacker who knows how people build them.

The method is zxcvbn's (Wheeler, USENIX Security 2016), reduced to what matters here: the
password is covered by the patterns a cracker tries first (common passwords from a ranked
list, words the attacker knows about the user, sequences such as ``abcd`` or ``qwerty``,
repeats, years and dates) and random characters in between; each pattern costs a number of
guesses, and the cheapest way to cover the whole password is its estimate. No Flask, no
database: the caller passes the ranked list and the user's own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

#: Guesses per random character (zxcvbn's constant: people do not pick characters uniformly).
BRUTEFORCE_CARDINALITY = 10
#: Each further piece costs at least this much: many cheap pieces are not one cheap password.
MIN_GUESSES_BEFORE_GROWING_SEQUENCE = 10_000
MIN_SUBMATCH_GUESSES_SINGLE_CHAR = 10
MIN_SUBMATCH_GUESSES_MULTI_CHAR = 50
#: A year is one of at least this many.
MIN_YEAR_SPACE = 20
#: Sequences are runs through one of these (digits wrap: "7890123").
SEQUENCES = (
    ("abcdefghijklmnopqrstuvwxyz", False),
    ("0123456789", True),
    ("qwertyuiopasdfghjklzxcvbnm", False),
    ("!@#$%^&*()", False),
)
#: Characters people substitute for letters ("p@ssw0rd").
LEET = str.maketrans({"4": "a", "@": "a", "8": "b", "3": "e", "1": "i", "!": "i", "0": "o",
                      "$": "s", "5": "s", "7": "t", "+": "t", "2": "z"})  # fmt: skip
#: Estimates above 10**LOG_CAP are all "strong enough": the search stops there.
LOG_CAP = 20.0
YEAR = re.compile(r"(?:19|20)\d\d")
DATE = re.compile(
    r"(?P<y1>(?:19|20)\d\d)(?P<s1>[-/. ]?)(?P<a1>\d\d?)(?P=s1)(?P<b1>\d\d?)"
    r"|(?P<a2>\d\d?)(?P<s2>[-/. ]?)(?P<b2>\d\d?)(?P=s2)(?P<y2>(?:19|20)\d\d)"
)


@dataclass(frozen=True)
class Match:
    """A pattern covering ``password[start:end]``, costing ``10**log_guesses`` guesses."""

    start: int
    end: int
    kind: str  # common, context, sequence, repeat, date, bruteforce
    log_guesses: float
    #: For a repeat: the kinds of pattern its repeated part is made of.
    inner: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Estimate:
    """The cheapest cover of a password: its guesses (log10) and the patterns used."""

    log_guesses: float
    matches: tuple[Match, ...]

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of pattern the estimate found, those inside repeats included (random
        characters left out)."""
        kinds = {m.kind for m in self.matches} | {k for m in self.matches for k in m.inner}
        return frozenset(kinds - {"bruteforce"})


def _log(value: float) -> float:
    return math.log10(max(value, 1.0))


def _uppercase_variations(token: str) -> float:
    upper = sum(1 for c in token if c.isupper())
    lower = sum(1 for c in token if c.islower())
    if upper == 0 or (lower == 0 and upper == len(token)):
        return 1.0 if upper == 0 else 2.0
    if (token[0].isupper() and upper == 1) or (token[-1].isupper() and upper == 1):
        return 2.0
    return float(sum(math.comb(upper + lower, i) for i in range(1, min(upper, lower) + 1)))


def _dictionary_matches(
    password: str, ranked: Mapping[str, int], kind: str, longest: int
) -> list[Match]:
    lowered = password.lower()
    unleeted = lowered.translate(LEET)
    matches = []
    for i in range(len(password)):
        for j in range(i + 3, min(len(password), i + longest) + 1):
            token = password[i:j]
            for candidate, factor in (
                (lowered[i:j], 1.0),
                (unleeted[i:j], 2.0),
                (lowered[i:j][::-1], 2.0),
            ):
                rank = ranked.get(candidate)
                if rank is not None:
                    guesses = rank * factor * _uppercase_variations(token)
                    matches.append(Match(i, j, kind, _log(guesses)))
                    break
    return matches


def _sequence_matches(password: str) -> list[Match]:
    lowered = password.lower()
    matches = []
    for alphabet, cyclic in SEQUENCES:
        size = len(alphabet)
        i = 0
        while i < len(lowered) - 1:
            run_end, direction = i + 1, 0
            while run_end < len(lowered):
                a, b = alphabet.find(lowered[run_end - 1]), alphabet.find(lowered[run_end])
                if a < 0 or b < 0:
                    break
                step = (b - a) % size if cyclic else b - a
                step = -1 if cyclic and step == size - 1 else step
                if step not in (1, -1) or (direction and step != direction):
                    break
                direction = step
                run_end += 1
            if run_end - i >= 3:
                first = lowered[i]
                base = 4 if first in "az019q" else 10 if first.isdigit() else 26
                guesses = base * (run_end - i) * (2 if direction < 0 else 1)
                matches.append(Match(i, run_end, "sequence", _log(guesses)))
                i = run_end - 1
            else:
                i += 1
    return matches


def _date_matches(password: str, reference_year: int) -> list[Match]:
    matches = []
    for i in range(len(password)):
        found = YEAR.match(password, i)
        if found:
            space = max(abs(int(found.group()) - reference_year), MIN_YEAR_SPACE)
            matches.append(Match(i, found.end(), "date", _log(space)))
        found = DATE.match(password, i)
        if found:
            year = int(found.group("y1") or found.group("y2"))
            first = int(found.group("a1") or found.group("a2"))
            second = int(found.group("b1") or found.group("b2"))
            if (1 <= first <= 12 and 1 <= second <= 31) or (1 <= second <= 12 and 1 <= first <= 31):
                space = max(abs(year - reference_year), MIN_YEAR_SPACE) * 365
                separator = found.group("s1") or found.group("s2")
                matches.append(Match(i, found.end(), "date", _log(space * (4 if separator else 1))))
    return matches


class _Estimator:
    def __init__(self, common: Mapping[str, int], context: Mapping[str, int], year: int) -> None:
        self.common = common
        self.context = context
        self.year = year
        self.common_longest = max((len(w) for w in common), default=0)
        self.context_longest = max((len(w) for w in context), default=0)

    def matches(self, password: str) -> list[Match]:
        found = _dictionary_matches(password, self.common, "common", self.common_longest)
        found += _dictionary_matches(password, self.context, "context", self.context_longest)
        found += _sequence_matches(password)
        found += _date_matches(password, self.year)
        found += self._repeat_matches(password)
        return found

    def _repeat_matches(self, password: str) -> list[Match]:
        matches = []
        lowered = password.lower()
        i = 0
        while i < len(lowered):
            greedy = re.compile(r"(.+)\1+").search(lowered, i)
            lazy = re.compile(r"(.+?)\1+").search(lowered, i)
            if greedy is None or lazy is None:
                break
            if len(greedy.group(0)) > len(lazy.group(0)):
                # "aabaab": the greedy match finds the longer base ("aab" twice).
                found = greedy
                base = re.fullmatch(r"(.+?)\1+", greedy.group(0))
                unit = base.group(1) if base else greedy.group(1)
            else:
                found, unit = lazy, lazy.group(1)
            count = len(found.group(0)) // len(unit)
            unit_guesses = self.estimate(password[found.start() : found.start() + len(unit)])
            matches.append(
                Match(
                    found.start(),
                    found.end(),
                    "repeat",
                    unit_guesses.log_guesses + _log(count),
                    unit_guesses.kinds,
                )
            )
            i = found.end()
        return matches

    def estimate(self, password: str) -> Estimate:
        n = len(password)
        if n == 0:
            return Estimate(0.0, ())
        by_end: dict[int, list[Match]] = {}
        for match in self.matches(password):
            floor = (
                0.0
                if match.end - match.start == n
                else _log(MIN_SUBMATCH_GUESSES_SINGLE_CHAR)
                if match.end - match.start == 1
                else _log(MIN_SUBMATCH_GUESSES_MULTI_CHAR)
            )
            match = Match(
                match.start, match.end, match.kind, max(match.log_guesses, floor), match.inner
            )
            by_end.setdefault(match.end, []).append(match)
        # best[k][l]: the cheapest product of l pieces covering password[:k], and its pieces.
        best: list[dict[int, tuple[float, tuple[Match, ...]]]] = [{} for _ in range(n + 1)]
        best[0][0] = (0.0, ())

        def total(log_product: float, pieces: int) -> float:
            # zxcvbn: pieces! x product + MIN_GUESSES_BEFORE_GROWING_SEQUENCE**(pieces - 1)
            first = math.lgamma(pieces + 1) / math.log(10) + log_product
            second = (pieces - 1) * _log(MIN_GUESSES_BEFORE_GROWING_SEQUENCE)
            high, low = max(first, second), min(first, second)
            return high + math.log10(1 + 10 ** (low - high))

        def extend(match: Match) -> None:
            for pieces, (log_product, cover) in list(best[match.start].items()):
                if match.kind == "bruteforce" and cover and cover[-1].kind == "bruteforce":
                    continue  # random characters next to random characters are one piece
                candidate = log_product + match.log_guesses
                if total(candidate, pieces + 1) >= LOG_CAP:
                    continue
                known = best[match.end].get(pieces + 1)
                if known is None or candidate < known[0]:
                    best[match.end][pieces + 1] = (candidate, (*cover, match))

        longest_random = int(LOG_CAP) + 1
        for k in range(1, n + 1):
            for match in by_end.get(k, []):
                extend(match)
            for start in range(max(0, k - longest_random), k):
                length = k - start
                floor = MIN_SUBMATCH_GUESSES_SINGLE_CHAR if length == 1 else 0
                guesses = _log(max(BRUTEFORCE_CARDINALITY**length, floor + 1))
                extend(Match(start, k, "bruteforce", guesses))
        if not best[n]:
            return Estimate(LOG_CAP, ())
        pieces, (log_product, cover) = min(
            best[n].items(), key=lambda item: total(item[1][0], item[0])
        )
        return Estimate(min(total(log_product, pieces), LOG_CAP), cover)


def estimate(
    password: str,
    common: Mapping[str, int],
    context: Iterable[str] = (),
    *,
    reference_year: int | None = None,
) -> Estimate:
    """Estimate ``password``'s guesses from ``common`` (word -> rank, 1 the most common) and
    the ``context`` words an attacker knows about the user (each as guessable as rank 1)."""
    words = {}
    for word in context:
        word = word.strip().lower()
        if len(word) >= 3:
            words.setdefault(word, len(words) + 1)
    year = reference_year or date.today().year
    return _Estimator(common, words, year).estimate(password)
