"""The view pieces the dashboard and the reports share: series, role labels, gap wording."""

from __future__ import annotations

from types import SimpleNamespace

from app.presentation import charts
from app.presentation.gaps import gap_row, gap_sentence
from app.presentation.views import ResultsView, kind_title, mean_of
from app.results.model import GapResult, GroupResult, ScoreCell


def _text(value, locale=None):
    if not value:
        return ""
    return value.get(locale) or value.get("en") or next(iter(value.values()))


def _group(role: str, status: str, means: dict[str, float | None], n: int | None = 12):
    scores = {
        dimension: ScoreCell(dimension, "ok" if mean is not None else "suppressed", n, mean)
        for dimension, mean in means.items()
    }
    return GroupResult("role", {"role": role}, {"en": role.title()}, status, n, scores)


def _results(roles):
    organization = GroupResult("organization", {}, {"en": "Org"}, "ok", 40)
    questionnaire = SimpleNamespace(
        scale_min=1,
        scale_max=3,
        scale_labels={p: {"en": f"point {p}"} for p in (1, 2, 3)},
    )
    return SimpleNamespace(
        questionnaire=questionnaire,
        by_role=tuple(roles),
        organization=organization,
        text=_text,
        dimension=lambda dimension_id: SimpleNamespace(title={"en": dimension_id.upper()}),
    )


def test_role_series_only_for_shown_roles_with_something_to_draw() -> None:
    roles = [
        _group("executive", "ok", {"a": 3.0, "b": 2.5}),
        _group("middle_manager", "suppressed", {"a": None, "b": None}, n=None),
        _group("frontline", "ok", {"a": None, "b": None}),
        _group("partner", "ok", {"a": 2.0, "b": None}, n=7),
    ]
    view = ResultsView(_results(roles), "en")
    series = view.role_series(roles, lambda g: (mean_of(g, "a"), mean_of(g, "b")))
    assert [(s.label, s.values, s.n) for s in series] == [
        ("Executive", (3.0, 2.5), 12),
        ("Partner", (2.0, None), 7),
    ]
    # Default roles keep their own colour; another role takes one by its rank.
    assert series[0].color == charts.ROLE_COLORS["executive"]
    assert series[1].color == charts.role_color("partner", 3)
    assert view.scale.labels == ("point 1", "point 2", "point 3")


def test_role_labels_fall_back_to_what_is_given_then_to_the_key() -> None:
    view = ResultsView(_results([_group("executive", "ok", {})]), "en")
    assert view.role_label("executive") == "Executive"
    assert view.role_label("auditor") == "auditor"
    assert view.role_label("auditor", "Auditors") == "Auditors"


def test_the_organisation_series_as_subject_and_as_reference() -> None:
    view = ResultsView(_results([]), "en")
    subject = view.organization_series((3.0, 2.0))
    reference = view.organization_series((3.0, 2.0), reference=True)
    assert (subject.color, subject.fill, subject.n) == (charts.ORGANIZATION_COLOR, True, 40)
    assert (reference.color, reference.linestyle) == (charts.PREVIOUS_COLOR, "dashed")
    assert kind_title("capability") != kind_title("stage")


def _gap(difference: float) -> GapResult:
    return GapResult(
        breakdown="role",
        dimension="design",
        a={"role": "executive"},
        b={"role": "frontline"},
        a_label={"en": "Executives"},
        b_label={"en": "Front line"},
        n_a=10,
        n_b=30,
        mean_a=3.0,
        mean_b=3.0 - difference,
        difference=difference,
        hedges_g=0.8,
        t=2.0,
        df=20.0,
        p_value=0.01,
        p_adjusted=0.03,
        significant=True,
        notable=True,
        direction="blind_spot_at_the_top",
    )


def test_a_gap_is_worded_the_report_way_and_the_dashboard_way() -> None:
    view = ResultsView(_results([]), "en")
    gap = _gap(-0.524)
    assert gap_sentence(view, gap, "report") == (
        "DESIGN is rated 0.52 points higher by Front line than by Executives "
        "(Blind spot at the top)."
    )
    assert gap_sentence(view, gap, "dashboard") == (
        "Front line rate DESIGN 0.52 points higher than Executives (Blind spot at the top)."
    )
    row = gap_row(view, gap, "said")
    assert (row.dimension, row.pair, row.difference, row.sentence) == (
        "DESIGN",
        "Executives − Front line",
        -0.524,
        "said",
    )
