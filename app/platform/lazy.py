"""Heavy libraries imported when first used, never at app or CLI start-up.

WeasyPrint (Pango), matplotlib, scipy and openpyxl each take from a fifth of a second to most
of a second to import, and each serves a few features: a chart, a PDF, a statistic, an XLSX
export. A module that uses one binds it at its top level through :func:`lazy_module`, as it
would with ``import``; the library itself is imported the first time one of its attributes
is read. ``flask --app wsgi --help``, ``flask db upgrade`` and every page or command that
draws, prints and computes nothing never load them.

The stand-in is not put in ``sys.modules``: until it is used, the library is simply not
imported, and ``import matplotlib`` anywhere else behaves as usual. Names a module needs only
in annotations (``Figure``) are imported under ``if TYPE_CHECKING:``, which never runs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from app.platform.config import single_threaded_maths
from app.platform.memory import gc_paused

# Before numpy can load: its linear algebra's thread pools are sized when it does.
single_threaded_maths()

#: Set-up run once, right after a package is first imported and before any of its modules is
#: used (matplotlib's backend), by package name.
_SETUP: dict[str, Callable[[ModuleType], None]] = {}
_done: set[str] = set()
_lock = threading.RLock()


class LazyModule(ModuleType):
    """A stand-in for the module ``name``, which it imports when an attribute is first read."""

    def __init__(self, name: str) -> None:
        super().__init__(name, f"{name}, imported on first use")
        self.__dict__["_lazy_module"] = None

    def _load(self) -> ModuleType:
        module = self.__dict__["_lazy_module"]
        if module is None:
            module = _import(self.__name__)
            self.__dict__["_lazy_module"] = module
        return module

    def __getattr__(self, attribute: str) -> Any:
        # Only called for what the stand-in itself lacks: everything of the real module.
        return getattr(self._load(), attribute)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        loaded = self.__dict__["_lazy_module"] is not None
        return f"<lazy module {self.__name__!r} ({'imported' if loaded else 'not imported yet'})>"


def load(*modules: ModuleType) -> None:
    """Import now what the stand-ins ``modules`` stand for (plain modules are left as they are):
    for a process that will use them for certain, such as the fork server of report renders."""
    for module in modules:
        if isinstance(module, LazyModule):
            module._load()


def lazy_module(name: str, *, setup: Callable[[ModuleType], None] | None = None) -> ModuleType:
    """``name`` (``"scipy.stats"``), imported when one of its attributes is first read.

    ``setup`` is run once on the package itself right after it is imported, before any of
    its submodules is used, whichever stand-in or plain import brings it in through here:
    ``lazy_module("matplotlib", setup=use_agg)`` and then ``lazy_module("matplotlib.figure")``
    set the backend before the first figure. A package has one set-up at most.
    """
    if setup is not None:
        with _lock:
            known = _SETUP.setdefault(name, setup)
            if known is not setup:
                raise ValueError(f"{name} already has a set-up")
    return LazyModule(name)


def _import(name: str) -> ModuleType:
    """Import ``name`` after running the set-up of it and of each package above it.

    The cyclic collector is paused meanwhile: an import makes thousands of classes and
    functions that live as long as the process, and its passes over them would be wasted.
    """
    parts = name.split(".")
    with gc_paused():
        with _lock:
            for depth in range(1, len(parts) + 1):
                package = ".".join(parts[:depth])
                setup = _SETUP.get(package)
                if setup is not None and package not in _done:
                    setup(importlib.import_module(package))
                    _done.add(package)
        return importlib.import_module(name)
