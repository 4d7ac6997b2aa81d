"""The questionnaire library: the valid definitions found in CX_QUESTIONNAIRE_DIR."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from app.operations.errors import OperationError
from app.questionnaire import Questionnaire, QuestionnaireError, load_questionnaire

_lock = threading.Lock()
#: Parsed files keyed by path, reused while the file's mtime and size are unchanged.
_parsed: dict[Path, tuple[tuple[int, int], Questionnaire | None]] = {}


def _load_cached(path: Path) -> Questionnaire | None:
    stat = path.stat()
    signature = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _parsed.get(path)
    if cached is not None and cached[0] == signature:
        return cached[1]
    try:
        questionnaire: Questionnaire | None = load_questionnaire(path)
    except QuestionnaireError:
        questionnaire = None
    with _lock:
        _parsed[path] = (signature, questionnaire)
    return questionnaire


def available_questionnaires() -> list[Questionnaire]:
    """Every valid questionnaire in the library, invalid files left out."""
    directory = Path(current_app.config["CX_QUESTIONNAIRE_DIR"])
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    found = (_load_cached(path) for path in paths)
    return [q for q in found if q is not None]


def get_questionnaire(questionnaire_id: str, version: str | None = None) -> Questionnaire:
    """The questionnaire with that id (the highest version unless one is given)."""
    matches = [q for q in available_questionnaires() if q.id == questionnaire_id]
    if version is not None:
        matches = [q for q in matches if q.version == version]
    if not matches:
        wanted = questionnaire_id + (f" {version}" if version else "")
        raise OperationError(f"no valid questionnaire {wanted!r} in the library")
    return max(matches, key=lambda q: tuple(int(p) for p in q.version.split(".")))
