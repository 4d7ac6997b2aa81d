"""The CLI registry (``app.cli``): each top-level group stands for the group it names.

``flask --help`` lists the stand-ins with their own help; running a command or asking for a
group's help imports the group's module and hands over to it. That a real ``flask --help``
imports none of the modules is checked in a fresh interpreter by
``tests/integration/test_startup_imports.py``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import pytest
from click.testing import CliRunner

import app.cli
from app.cli import GROUPS, LazyGroup

EXAMPLE = "lazy_group_example"


def _module_groups() -> dict[str, click.Group]:
    """Every top-level group the modules of ``app.cli`` define, by name."""
    found = {}
    for info in pkgutil.iter_modules(app.cli.__path__, "app.cli."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, click.Group) and value.name and not isinstance(value, LazyGroup):
                found[value.name] = value
    return found


def test_every_group_of_the_cli_modules_is_registered_as_itself() -> None:
    groups = _module_groups()
    assert sorted(lazy.name for lazy in GROUPS) == sorted(groups)
    for lazy in GROUPS:
        assert lazy.group is groups[lazy.name]
        # ``flask --help`` shows the stand-in's help, ``flask NAME --help`` the group's.
        assert lazy.help == lazy.group.help


def _top(module: str) -> click.Group:
    """A command line whose one group is ``things`` of ``module``, not imported yet."""
    things = LazyGroup("things", f"{module}:things", "Things to count.")
    return click.Group("top", commands=[things])


@pytest.fixture
def example_module(tmp_path, monkeypatch):
    """A module of one click group, on the path and not imported yet."""
    (tmp_path / f"{EXAMPLE}.py").write_text(
        "import click\n"
        "@click.group(help='Things to count.')\n"
        "def things():\n"
        "    pass\n"
        "@things.command()\n"
        "@click.option('--n', type=int, default=1)\n"
        "def count(n):\n"
        "    click.echo(f'counted {n}')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield EXAMPLE
    sys.modules.pop(EXAMPLE, None)


def test_the_module_is_imported_when_a_command_runs_not_for_the_list(example_module) -> None:
    top = click.Group(
        "top", commands=[LazyGroup("things", f"{example_module}:things", "Things to count.")]
    )
    runner = CliRunner()

    listing = runner.invoke(top, ["--help"])
    assert listing.exit_code == 0
    assert "things  Things to count." in listing.output
    assert example_module not in sys.modules

    counted = runner.invoke(top, ["things", "count", "--n", "3"])
    assert (counted.exit_code, counted.output) == (0, "counted 3\n")
    assert example_module in sys.modules


def test_the_group_helps_and_refuses_as_itself(example_module) -> None:
    top = click.Group(
        "top", commands=[LazyGroup("things", f"{example_module}:things", "Things to count.")]
    )
    runner = CliRunner()

    helped = runner.invoke(top, ["things", "--help"])
    assert helped.exit_code == 0
    assert helped.output.startswith("Usage: top things [OPTIONS] COMMAND [ARGS]...")
    assert "count" in helped.output

    unknown = runner.invoke(top, ["things", "recount"])
    assert unknown.exit_code == 2
    assert "No such command 'recount'" in unknown.output
