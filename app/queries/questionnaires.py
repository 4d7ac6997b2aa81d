"""The questionnaire library in ``CX_QUESTIONNAIRE_DIR``, as the CLI and the workspace offer it.

The rules (which files count, what makes two files clash) are those of
:func:`app.questionnaire.discover`; this module only finds the directory and keeps each file's
validation until the file changes.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from app.operations.errors import N_, OperationError
from app.platform.cache import FileCache, ParseStore, clean_parse
from app.questionnaire import (
    Problem,
    Questionnaire,
    check_file,
    discover,
    latest,
    left_out_notice,
)

#: Each file's validation, done again when the file changes (and kept on disk between processes).
_checked: FileCache[tuple[Questionnaire | None, list[Problem]]] = FileCache(
    check_file, store=ParseStore("questionnaire", clean_parse)
)

LibraryFile = tuple[Path, Questionnaire | None, list[Problem]]


def library_directory() -> Path:
    """The folder of the questionnaire library."""
    return Path(current_app.config["CX_QUESTIONNAIRE_DIR"])


def library() -> list[LibraryFile]:
    """Every questionnaire file of the library, sorted by name, with its problems.

    A file whose questionnaire is None is not offered (invalid, or clashing with another
    file); an absent directory is an empty library.
    """
    directory = library_directory()
    if not directory.is_dir():
        return []
    return discover(directory, check=_checked.get)


def available_questionnaires() -> list[Questionnaire]:
    """Every questionnaire the library offers, in file name order."""
    return [questionnaire for _path, questionnaire, _problems in library() if questionnaire]


def left_out() -> list[str]:
    """One line per library file that is not offered, saying why."""
    return [
        left_out_notice(path, problems)
        for path, questionnaire, problems in library()
        if questionnaire is None
    ]


def get_questionnaire(questionnaire_id: str, version: str | None = None) -> Questionnaire:
    """The questionnaire with that id (the highest version unless one is given)."""
    found = latest(available_questionnaires(), questionnaire_id, version)
    if found is None:
        raise OperationError(
            N_("No valid questionnaire %(name)r in the library."),
            name=questionnaire_id + (f" {version}" if version else ""),
        )
    return found
