"""URL rules compile their builders when they first build a URL, and build what Werkzeug's do."""

from __future__ import annotations

import pytest
from werkzeug.routing import Map, Rule

from app.platform.routing import DatabaseIntegerConverter, LazyBuilderRule

RULES = (
    ("/", "home", None),
    ("/campaigns/<int:campaign_id>", "campaign", None),
    ("/campaigns/<int:campaign_id>/report/<lang>.pdf", "report", None),
    ("/files/<path:name>", "file", None),
    ("/page/", "page", {"number": 1}),
    ("/page/<int:number>", "page", None),
    ("/api/v1/orgs/<slug>/people", "people", None),
)
#: Endpoints and values to build them with (each also with arguments no rule takes).
BUILDS = (
    ("home", {}),
    ("campaign", {"campaign_id": 7}),
    ("report", {"campaign_id": 2147483647, "lang": "ja"}),
    ("file", {"name": "a b/ü.css"}),
    ("page", {"number": 1}),
    ("page", {"number": 3}),
    ("people", {"slug": "org-a"}),
)


def _map(rule_class: type[Rule]) -> Map:
    return Map(
        [
            rule_class(path, endpoint=endpoint, defaults=defaults)
            for path, endpoint, defaults in RULES
        ],
        converters={"int": DatabaseIntegerConverter},
    )


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """The rules whose builders Werkzeug compiles, in order, as ``"rule with(out) extras"``."""
    found: list[str] = []
    compile_builder = Rule._compile_builder

    def counted(rule: Rule, append_unknown: bool = True):
        found.append(f"{rule.rule} {'with' if append_unknown else 'without'} extras")
        return compile_builder(rule, append_unknown)

    monkeypatch.setattr(Rule, "_compile_builder", counted)
    return found


def test_builders_are_compiled_when_first_used_and_once(compiled) -> None:
    adapter = _map(LazyBuilderRule).bind("example.com")
    assert compiled == []

    # What ``url_for`` does: arguments the rule does not take go to the query string.
    assert adapter.build("campaign", {"campaign_id": 7}) == "/campaigns/7"
    assert adapter.build("campaign", {"campaign_id": 7, "tab": "x"}) == "/campaigns/7?tab=x"
    assert compiled == ["/campaigns/<int:campaign_id> with extras"]

    no_extras = {"append_unknown": False}
    assert adapter.build("campaign", {"campaign_id": 8}, **no_extras) == "/campaigns/8"
    assert adapter.build("campaign", {"campaign_id": 9}, **no_extras) == "/campaigns/9"
    assert compiled == [
        "/campaigns/<int:campaign_id> with extras",
        "/campaigns/<int:campaign_id> without extras",
    ]


@pytest.mark.parametrize(("endpoint", "values"), BUILDS, ids=[repr(b) for b in BUILDS])
@pytest.mark.parametrize("extras", [{}, {"q": "a b&c", "tab": ["1", "2"]}], ids=["plain", "extras"])
@pytest.mark.parametrize("external", [False, True], ids=["path", "external"])
def test_urls_are_those_werkzeug_builds(endpoint, values, extras, external) -> None:
    lazy = _map(LazyBuilderRule).bind("example.com", script_name="/cx")
    eager = _map(Rule).bind("example.com", script_name="/cx")
    values = {**values, **extras}
    built = lazy.build(endpoint, values, force_external=external)
    assert built == eager.build(endpoint, values, force_external=external)
