"""Fill Japanese translations into the catalogue from a simple ``msgid => msgstr`` table.

Usage: python scripts/translate.py TABLE.tsv   (one ``English<TAB>日本語`` pair per line)
Entries already translated are kept unless the table gives a new text.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parent.parent / "app/translations/ja/LC_MESSAGES/messages.po"


def main(table_path: str) -> int:
    pairs: dict[str, str] = {}
    for line in Path(table_path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, japanese = line.partition("\t")
        pairs[english.replace("\\n", "\n")] = japanese.replace("\\n", "\n")
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="ja")
    # `make translations` writes the catalogue without a header, and Babel flags a catalogue
    # read without one as fuzzy, which makes `pybabel compile` skip it entirely.
    catalogue.fuzzy = False
    changed = 0
    for message in catalogue:
        if message.id and isinstance(message.id, str) and message.id in pairs:
            message.string = pairs[message.id]
            message.flags.discard("fuzzy")
            changed += 1
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, omit_header=False, width=100)
    missing = [m.id for m in catalogue if m.id and not m.string]
    print(f"{changed} translated; {len(missing)} still untranslated")
    for message_id in missing:
        print(f"  untranslated: {message_id!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
