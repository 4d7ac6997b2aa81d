"""``flask questionnaire``: validate and list questionnaire definition files."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

import click
from flask.cli import AppGroup

from app.queries.questionnaires import library, library_directory
from app.questionnaire import check_file, left_out_notice, lineage_problems

questionnaire_cli = AppGroup("questionnaire", help="Validate and list questionnaire definitions.")

HASH_PREFIX_LENGTH = 12


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _width(text: str) -> int:
    """Terminal columns taken by ``text``; Japanese titles use two columns per character."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines


@questionnaire_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(files: tuple[Path, ...]) -> None:
    """Check questionnaire FILES and print every problem as FILE:LINE:COL: message.

    A ``was:`` is checked against the previous version among FILES, else in the library.
    """
    invalid = 0
    problem_count = 0
    checked = [(path, *check_file(path)) for path in files]
    pool = [questionnaire for _path, questionnaire, _problems in checked if questionnaire]
    pool += [questionnaire for _path, questionnaire, _problems in library() if questionnaire]
    for path, questionnaire, problems in checked:
        if questionnaire is not None:
            broken = lineage_problems(path, questionnaire, pool)
            if broken:
                questionnaire, problems = None, broken
        for problem in problems:
            click.echo(str(problem))
        if questionnaire is None:
            invalid += 1
            problem_count += len(problems)
            continue
        items = _plural(len(questionnaire.items), "item")
        if questionnaire.outcomes:
            items += f", {_plural(len(questionnaire.outcomes), 'outcome item')}"
        click.echo(f"{path}: ok ({questionnaire.id} {questionnaire.version}, {items})")
    if invalid:
        click.echo(f"{_plural(problem_count, 'problem')} in {_plural(invalid, 'file')}.", err=True)
        click.get_current_context().exit(1)


@questionnaire_cli.command("list")
def list_command() -> None:
    """List the questionnaires in CX_QUESTIONNAIRE_DIR with their content hashes.

    The files left out are those the workspace does not offer either, for the same reasons.
    """
    directory = library_directory()
    if not directory.is_dir():
        raise click.ClickException(f"questionnaire directory not found: {directory}")
    rows = [["ID", "VERSION", "TITLE", "ITEMS", "HASH", "FILE"]]
    broken: list[str] = []
    for path, questionnaire, problems in library():
        if questionnaire is None:
            notice = left_out_notice(path, problems)
            if len(problems) > 1:
                notice += f"; run 'flask questionnaire validate {path}' for details"
            broken.append(notice)
            continue
        rows.append(
            [
                questionnaire.id,
                questionnaire.version,
                questionnaire.title.get(questionnaire.default_locale),
                str(len(questionnaire.items)),
                questionnaire.content_hash[:HASH_PREFIX_LENGTH],
                path.name,
            ]
        )
    if len(rows) > 1:
        for line in _table(rows):
            click.echo(line)
    elif not broken:
        click.echo(f"No questionnaire files in {directory}.")
    for line in broken:
        click.echo(line, err=True)
