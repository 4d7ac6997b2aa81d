"""The one fallback for a role's name: its own language, Japanese, English, then its key."""

from __future__ import annotations

import pytest

from app.models import Role, role_label, role_labels


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"ja": "現場", "en": "Front line"}, {"ja": "現場", "en": "Front line"}),
        ({"ja": "現場"}, {"ja": "現場", "en": "現場"}),
        ({"en": "Front line"}, {"ja": "Front line", "en": "Front line"}),
        ({"ja": "", "en": None}, {"ja": "frontline", "en": "frontline"}),
        ({}, {"ja": "frontline", "en": "frontline"}),
        (
            {"fr": "Terrain", "en": "Front line"},
            {"fr": "Terrain", "ja": "Front line", "en": "Front line"},
        ),
    ],
)
def test_every_language_gets_a_name(labels, expected) -> None:
    assert role_labels(labels, "frontline") == expected
    for locale, name in expected.items():
        assert role_label(labels, "frontline", locale) == name


def test_a_language_without_names_falls_back_to_japanese() -> None:
    assert role_label({"ja": "現場", "en": "Front line"}, "frontline", "de") == "現場"


def test_the_model_uses_the_same_fallback() -> None:
    role = Role(key="frontline", labels={"en": "Front line"}, rank=2)
    assert role.label("ja") == "Front line"
    assert role.label("en") == "Front line"
    assert Role(key="frontline", labels={}, rank=2).label("en") == "frontline"
