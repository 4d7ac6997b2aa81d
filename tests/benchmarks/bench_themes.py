"""Themes of 10,000 open answers: the whole theming against SudachiPy reading them alone.

The answers are the labelled test set's kind (eight known obstacles, spelling variants, one
answer in eight touching a second theme), drawn 10,400 times. Each figure is the median of 3
runs in a fresh process (so that its peak memory is the theming's own), taken in turn with the
baseline: SudachiPy tokenising the same answers and nothing else. Targets: under 10 s and
under 500 MB; the adjusted Rand index against the labels is printed too.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
PER_THEME = 1300
REPEATS = 3
TARGET_S = 10.0
TARGET_MB = 500.0

_CHILD = """
import json, resource, sys, time
from tests.open_answers_support import adjusted_rand_index, labelled_answers
answers = labelled_answers(per_theme={per_theme}, seed=7)
texts = [text for text, _label in answers]
started = time.perf_counter()
if sys.argv[1] == "tokenise":
    from app.analysis.words import sudachi_tokenizer, _tokenizer
    mode = sudachi_tokenizer.Tokenizer.SplitMode.C
    tokenizer = _tokenizer()
    for text in texts:
        list(tokenizer.tokenize(text, mode))
    score = None
else:
    from app.analysis.themes import find_themes
    found = find_themes(texts).theme_of()
    labels = [label for _t, label in answers]
    score = adjusted_rand_index(labels, [found.get(i, 0) for i in range(len(texts))])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak, "answers": len(texts), "ari": score}}))
"""


def _run(kind: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD.format(per_theme=PER_THEME), kind],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run() -> dict[str, Any]:
    themes, tokenise = [], []
    for _ in range(REPEATS):
        tokenise.append(_run("tokenise"))
        themes.append(_run("themes"))
    seconds = statistics.median(r["seconds"] for r in themes)
    baseline = statistics.median(r["seconds"] for r in tokenise)
    peak = max(r["peak_mb"] for r in themes)
    return {
        "answers": themes[0]["answers"],
        "themes_s": round(seconds, 2),
        "sudachi_tokenise_s": round(baseline, 2),
        "ratio_to_tokenising": round(seconds / baseline, 2),
        "peak_rss_mb": round(peak, 1),
        "adjusted_rand_index": round(themes[0]["ari"], 3),
        "within_target": seconds < TARGET_S and peak < TARGET_MB,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
