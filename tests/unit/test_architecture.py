"""The dependency rules of the architecture, checked on the source of ``app/``.

Nothing is imported: every module is parsed with :mod:`ast`, and its imports (at module level
and inside functions alike, since an import deferred into a function is still a dependency)
become the edges of a graph. Imports under ``if TYPE_CHECKING:`` never run, so they are left
out. ``from package import name`` depends on ``package.name`` when that is a module, else on
``package`` itself.

Heavy third-party libraries (WeasyPrint, matplotlib, scipy, openpyxl) are never imported by a
statement: a module binds them with ``lazy_module("name")`` (``app.platform.lazy``), and they
load when first used. Such calls are not edges of the graph, so they may only name those
libraries.

App modules are imported by statements, with one exception: the ``flask`` command groups
(``app.cli``), each imported when it runs, so that ``flask --help`` and every other command
do not import the modules of all the others. ``LazyGroup(name, "module:attribute", help)``
names the module written out, and :func:`imports_of` counts it as an import of the module
that makes the ``LazyGroup``: every rule below sees that dependency as it sees a statement.
Nothing else imports by name (``importlib.import_module``, ``__import__``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"


@dataclass(frozen=True)
class Import:
    """One import statement's dependency: ``module`` imports ``target`` at ``line``."""

    module: str
    target: str
    line: int
    #: The imported names of ``from target import ...`` that are not modules themselves.
    names: tuple[str, ...] = ()


def module_names(root: Path) -> dict[str, Path]:
    """Every module under the package ``root``, by dotted name (packages by their own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> list[Import]:
    """The imports ``name`` (at ``path``) runs, resolved against the known ``modules``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in _walk(tree.body):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            plain = []
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if candidate in modules:
                    found.append(Import(name, candidate, node.lineno))
                else:
                    plain.append(alias.name)
            if plain:
                found.append(Import(name, base, node.lineno, tuple(plain)))
    for call in _lazy_groups(tree):
        if call.written:
            target, _, attribute = call.target.partition(":")
            found.append(Import(name, target, call.line, (attribute,)))
    return found


@dataclass(frozen=True)
class LazyGroupCall:
    """``module`` makes a ``LazyGroup`` at ``line`` standing for ``target`` (``module:name``
    when ``written`` out, else the source text of the argument)."""

    module: str
    line: int
    target: str
    written: bool


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _lazy_groups(tree: ast.Module, module: str = "") -> list[LazyGroupCall]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) == "LazyGroup" and len(node.args) > 1:
            target = node.args[1]
            written = isinstance(target, ast.Constant) and isinstance(target.value, str)
            text = target.value if written else ast.unparse(target)
            found.append(LazyGroupCall(module, node.lineno, str(text), written))
    return found


def lazy_group_calls(root: Path = APP) -> list[LazyGroupCall]:
    """Every ``LazyGroup(name, target, help)`` under ``root``."""
    found = []
    for name, path in module_names(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += _lazy_groups(tree, name)
    return found


#: The names through which a module is imported by name rather than by a statement.
_IMPORTERS_BY_NAME = frozenset({"import_module", "__import__"})


def imports_by_name(root: Path = APP) -> list[tuple[str, int]]:
    """``(module, line)`` of every mention of ``import_module`` or ``__import__``."""
    found = []
    for name, path in module_names(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                mentioned = node.id
            elif isinstance(node, ast.Attribute):
                mentioned = node.attr
            elif isinstance(node, ast.alias):
                mentioned = node.name
            else:
                continue
            if mentioned in _IMPORTERS_BY_NAME:
                found.append((name, node.lineno))
    return sorted(found)


def _walk(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a module, descending into functions, classes and blocks."""
    for node in body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody"):
            yield from _walk([c for c in getattr(node, field, []) if isinstance(c, ast.stmt)])
        for handler in getattr(node, "handlers", []):
            yield from _walk(handler.body)
        for case in getattr(node, "cases", []):
            yield from _walk(case.body)


def all_imports(root: Path = APP) -> list[Import]:
    """Every import of every module under ``root``."""
    modules = module_names(root)
    return [found for name, path in modules.items() for found in imports_of(name, path, modules)]


def _within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def import_graph(imports: Iterable[Import], prefixes: Iterable[str]) -> dict[str, set[str]]:
    """Edges between the modules under ``prefixes`` (``{"app.reporting", ...}``)."""
    prefixes = tuple(prefixes)
    graph: dict[str, set[str]] = {}
    for found in imports:
        if _within(found.module, prefixes):
            graph.setdefault(found.module, set())
            if _within(found.target, prefixes) and found.target != found.module:
                graph[found.module].add(found.target)
    return graph


def import_cycles(imports: Iterable[Import], prefixes: Iterable[str]) -> list[list[str]]:
    """The import cycles among the modules under ``prefixes``: each one a strongly connected
    set of two or more modules, sorted (Tarjan's algorithm, iteratively)."""
    graph = import_graph(imports, prefixes)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return sorted(cycles)


def function_level_imports(root: Path = APP) -> list[tuple[str, int, str]]:
    """``(module, line, imported module)`` for every import placed inside a function."""
    found = []
    for name, path in module_names(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        seen: set[int] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if id(inner) in seen:
                    continue
                seen.add(id(inner))
                if isinstance(inner, ast.Import):
                    found += [(name, inner.lineno, alias.name) for alias in inner.names]
                elif isinstance(inner, ast.ImportFrom) and inner.module:
                    found.append((name, inner.lineno, "." * inner.level + inner.module))
                elif isinstance(inner, ast.ImportFrom):
                    dots = "." * inner.level
                    found += [(name, inner.lineno, dots + alias.name) for alias in inner.names]
    return sorted(found)


def blueprint_packages(root: Path = APP) -> set[str]:
    """Packages that make a Flask blueprint (``Blueprint(...)`` in any of their modules)."""
    found = set()
    for name, path in module_names(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called == "Blueprint":
                    found.add(name if path.name == "__init__.py" else name.rpartition(".")[0])
    return found


def _violations(imports: Iterable[Import], module_prefix: str, forbidden: Iterable[str]) -> list:
    forbidden = tuple(forbidden)
    return sorted(
        f"{found.module}:{found.line} imports {found.target}"
        for found in imports
        if _within(found.module, (module_prefix,)) and _within(found.target, forbidden)
    )


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def test_reporting_imports_no_auth_no_analysis_and_no_blueprint(imports) -> None:
    blueprints = blueprint_packages()
    assert {"app.auth", "app.dashboard", "app.reports", "app.survey"} <= blueprints
    assert _violations(imports, "app.reporting", ("app.auth", "app.analysis", *blueprints)) == []


def test_reporting_never_builds_the_app(imports) -> None:
    # ``from app import create_app`` (or anything else of the app package itself): a worker's
    # entry point hands the factory over instead.
    found = [
        f"{i.module}:{i.line} imports {', '.join(i.names) or 'app'} from app"
        for i in imports
        if _within(i.module, ("app.reporting",)) and i.target == "app"
    ]
    assert found == []


def test_the_dashboard_does_not_import_the_reports(imports) -> None:
    assert _violations(imports, "app.dashboard", ("app.reporting",)) == []


@pytest.mark.parametrize("package", ["app.analysis", "app.questionnaire"])
def test_pure_packages_import_neither_flask_nor_sqlalchemy(imports, package) -> None:
    found = sorted(
        f"{i.module}:{i.line} imports {i.target}"
        for i in imports
        if _within(i.module, (package,))
        and (i.target.split(".")[0].startswith("flask") or _within(i.target, ("sqlalchemy",)))
    )
    assert found == []


def test_no_import_cycle_anywhere_in_the_app(imports) -> None:
    # The models' annotations name each other under ``if TYPE_CHECKING:`` only: that cycle
    # never runs, so it is not an edge here, and it is the only one there is.
    assert import_cycles(imports, {"app"}) == []


#: Libraries that take from a fifth of a second to most of a second to load and serve a few
#: features each: they are bound at module level with ``app.platform.lazy.lazy_module`` and
#: imported when first used, so that starting the app or a CLI command does not pay for them
#: (``tests/integration/test_startup_imports.py`` checks the outcome in a real process).
LOADED_ON_FIRST_USE = {
    "alembic": "database migrations and the readiness check",
    "authlib": "single sign-on with OpenID Connect",
    "cryptography": "sealed secrets (two-factor, identity providers)",
    "flask_migrate": "the flask db commands",
    "markdown_it": "the technical note's methodology",
    "matplotlib": "charts",
    "numpy": "statistics and figures",
    "openpyxl": "XLSX exports",
    "pyotp": "two-factor codes",
    "redis": "the job queue and the readiness check",
    "requests": "single sign-on's calls to the identity provider",
    "rich": "the report batch's progress",
    "rq": "the job queue",
    "scipy": "statistics",
    "segno": "QR codes of two-factor enrolment",
    "sudachipy": "Japanese text analysis",
    "weasyprint": "PDF rendering",
}


def test_nothing_is_imported_inside_a_function() -> None:
    # A deferred import hides a cycle or a start-up cost; heavy libraries are lazy modules.
    assert [f"{m}:{line} imports {target}" for m, line, target in function_level_imports()] == []


def test_heavy_libraries_are_only_reached_through_lazy_modules(imports) -> None:
    found = sorted(
        f"{i.module}:{i.line} imports {i.target}"
        for i in imports
        if i.target.split(".")[0] in LOADED_ON_FIRST_USE
    )
    assert found == []


@dataclass(frozen=True)
class LazyModuleCall:
    """``module`` binds the lazy module ``target`` at ``line`` (``in_function``: inside one)."""

    module: str
    line: int
    target: str
    in_function: bool


def lazy_module_calls(root: Path = APP) -> list[LazyModuleCall]:
    """Every ``lazy_module("name")`` call under ``root`` (a name not written out is kept as
    its source text, which names no library)."""
    found = []
    for name, path in module_names(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        in_functions = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called != "lazy_module":
                continue
            first = node.args[0]
            target = first.value if isinstance(first, ast.Constant) else ast.unparse(first)
            found.append(LazyModuleCall(name, node.lineno, str(target), id(node) in in_functions))
    return sorted(found, key=lambda call: (call.module, call.line))


def test_lazy_modules_are_heavy_libraries_bound_at_module_level() -> None:
    # Not a way around the dependency rules: a lazy module of the app itself would hide an
    # edge of the import graph above, and one made inside a function is a deferred import.
    found = lazy_module_calls()
    assert [
        f"{call.module}:{call.line} lazy_module({call.target!r})"
        for call in found
        if call.target.split(".")[0] not in LOADED_ON_FIRST_USE or call.in_function
    ] == []
    assert {call.target.split(".")[0] for call in found} >= {
        "matplotlib",
        "openpyxl",
        "scipy",
        "weasyprint",
    }


#: The modules that import by name: the heavy libraries' stand-ins (each names a library of
#: LOADED_ON_FIRST_USE, above) and the registry of the CLI groups (each names a module of
#: ``app.cli``, an edge of the graph).
IMPORT_BY_NAME = {"app.platform.lazy", "app.cli"}


def test_only_the_lazy_loaders_import_by_name() -> None:
    assert [f"{m}:{line}" for m, line in imports_by_name() if m not in IMPORT_BY_NAME] == []


def test_lazy_groups_are_the_cli_groups_named_in_full() -> None:
    # Made in the registry only, each naming a module of ``app.cli`` and its group; every
    # module of commands there is one of them (``_support`` is shared by them).
    modules = module_names(APP)
    found = lazy_group_calls()
    assert [
        f"{call.module}:{call.line} LazyGroup({call.target!r})"
        for call in found
        if call.module != "app.cli"
        or not call.written
        or call.target.partition(":")[0] not in modules
        or not call.target.startswith("app.cli.")
        or not call.target.partition(":")[2].isidentifier()
    ] == []
    assert {call.target.partition(":")[0] for call in found} == {
        name for name in modules if name.startswith("app.cli.") and "._" not in name
    }


# The checks themselves, on a small package written for the purpose -----------------------


def _package(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_cycle_through_a_function_level_import_is_found(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def thing():\n    from pkg import a\n    return a\n",
            "pkg/c.py": "import pkg.a\n",
            "pkg/d.py": "from . import c\n",
        },
    )
    found = all_imports(root)
    assert import_cycles(found, {"pkg"}) == [["pkg.a", "pkg.b"]]
    assert import_graph(found, {"pkg"})["pkg.d"] == {"pkg.c"}
    # Outside the prefixes asked about, the cycle is not looked at.
    assert import_cycles(found, {"pkg.c", "pkg.d"}) == []


def test_typing_only_imports_do_not_count(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from pkg.a import Thing\n"
                "else:\n"
                "    import json\n"
            ),
        },
    )
    found = all_imports(root)
    assert import_cycles(found, {"pkg"}) == []
    assert {i.target for i in found if i.module == "pkg.b"} == {"typing", "json"}


def test_imports_inside_functions_are_found_once_with_their_line(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "import json\n",
            "pkg/a.py": (
                "def outer():\n"
                "    import weasyprint\n"
                "    def inner():\n"
                "        from . import b\n"
                "    return inner\n"
                "class K:\n"
                "    async def m(self):\n"
                "        from pkg.b import x\n"
            ),
            "pkg/b.py": "x = 1\n",
        },
    )
    assert function_level_imports(root) == [
        ("pkg.a", 2, "weasyprint"),
        ("pkg.a", 4, ".b"),
        ("pkg.a", 8, "pkg.b"),
    ]


def test_names_imported_from_a_package_depend_on_the_package(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.views import bp\n",
            "pkg/views.py": "from pkg import bp\n",
            "pkg/web/__init__.py": "from flask import Blueprint\nbp = Blueprint('web', __name__)\n",
        },
    )
    found = all_imports(root)
    assert import_cycles(found, {"pkg"}) == [["pkg", "pkg.views"]]
    assert blueprint_packages(root) == {"pkg.web"}


def test_lazy_module_calls_are_found_with_where_they_run(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": (
                "from app.platform.lazy import lazy_module\n"
                "stats = lazy_module('scipy.stats')\n"
                "def later():\n"
                "    return lazy_module('weasyprint')\n"
                "NAME = 'pkg.b'\n"
                "b = lazy_module(NAME)\n"
            ),
        },
    )
    assert [(c.line, c.target, c.in_function) for c in lazy_module_calls(root)] == [
        (2, "scipy.stats", False),
        (4, "weasyprint", True),
        (6, "NAME", False),
    ]


def test_a_lazy_group_is_an_import_of_the_module_that_makes_it(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/cli/__init__.py": (
                "GROUPS = (LazyGroup('x', 'pkg.cli.x:x_cli', 'X.'), LazyGroup('y', NAME, 'Y.'))\n"
            ),
            "pkg/cli/x.py": "from pkg.cli import GROUPS\n",
        },
    )
    found = all_imports(root)
    assert import_graph(found, {"pkg"})["pkg.cli"] == {"pkg.cli.x"}
    assert import_cycles(found, {"pkg"}) == [["pkg.cli", "pkg.cli.x"]]
    assert [(c.module, c.line, c.target, c.written) for c in lazy_group_calls(root)] == [
        ("pkg.cli", 1, "pkg.cli.x:x_cli", True),
        ("pkg.cli", 1, "NAME", False),
    ]


def test_imports_by_name_are_found(tmp_path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": (
                "import importlib\n"
                "from importlib import import_module\n"
                "def f(name):\n"
                "    return importlib.import_module(name), __import__(name)\n"
            ),
        },
    )
    assert imports_by_name(root) == [("pkg.a", 2), ("pkg.a", 4), ("pkg.a", 4)]
