"""Every user-facing string has a Japanese translation, and the compiled catalogue is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
PO = ROOT / "app/translations/ja/LC_MESSAGES/messages.po"
MO = ROOT / "app/translations/ja/LC_MESSAGES/messages.mo"


def _ids(catalogue) -> set:
    return {m.id for m in catalogue if m.id}


def test_every_extracted_string_is_translated_into_japanese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        extracted = _ids(read_po(handle))
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="ja")
    translated = {m.id for m in catalogue if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(str(i) for i in extracted - translated)
    assert not missing, "untranslated (run `make translations` and fill them in): " + repr(missing)


def test_compiled_catalogue_matches_the_source():
    with PO.open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle, locale="ja") if m.id and m.string}
    with MO.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source, "messages.mo is stale: run `make translations`"
