"""The executive summary's plan: three priorities from the key messages, completed from the
weakest dimensions' next-level actions, each named once, in sequence by horizon."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from app.analysis.actions import Action
from app.presentation.actions import WeakDimension, plan
from app.results import owners


def _action(name: str, horizon: str = "0-6", owner: str = "cx_office") -> Action:
    return Action({"ja": name, "en": name}, owner, horizon, {"ja": "m", "en": "m"}, "organisation")


@dataclass
class _Message:
    recommendation: Action | None


@dataclass
class _Diagnosis:
    key_messages: tuple[_Message, ...] = field(default_factory=tuple)


class _View:
    locale = "en"

    def text(self, value):
        return value["en"]


@pytest.fixture(autouse=True)
def _context(monkeypatch):
    monkeypatch.setattr(
        owners, "owner_functions", lambda: {"cx_office": {"ja": "CX推進部署", "en": "CX office"}}
    )
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale("en"):
        yield


def _texts(steps) -> list[str]:
    return [step.action.text for step in steps]


def test_the_key_messages_actions_lead_and_the_rest_are_further_actions() -> None:
    messages = tuple(_Message(_action(f"m{i}")) for i in range(1, 6))
    priorities, further = plan(_View(), _Diagnosis(messages), [], lambda d: ())
    assert _texts(priorities) == ["m1", "m2", "m3"]
    assert [s.number for s in priorities] == [1, 2, 3]
    assert [s.source for s in priorities] == ["Key message 1", "Key message 2", "Key message 3"]
    assert _texts(further) == ["m4", "m5"]
    assert [s.number for s in further] == [4, 5]
    assert priorities[0].action.owner == "CX office"
    assert priorities[0].action.horizon == "0–6 months"


def test_the_weakest_dimensions_complete_the_plan_and_an_action_is_named_once() -> None:
    shared = _action("shared")
    messages = (_Message(shared), _Message(None), _Message(_action("shared")))
    weakest = [WeakDimension("a", "Design", 2), WeakDimension("b", "Digital", 2)]
    catalogue = {"a": (_action("design next"),), "b": (_action("digital next"),)}
    priorities, further = plan(_View(), _Diagnosis(messages), weakest, lambda d: catalogue[d.id])
    assert _texts(priorities) == ["shared", "design next", "digital next"]
    assert priorities[1].source == "Design, level 2"
    # Only the key messages' own actions are further actions, never more dimensions'.
    assert further == ()


def test_the_priorities_are_in_sequence_by_horizon() -> None:
    messages = (
        _Message(_action("embed", "18-36")),
        _Message(_action("build", "6-18")),
        _Message(_action("start", "0-6")),
    )
    priorities, _ = plan(_View(), _Diagnosis(messages), [], lambda d: ())
    assert _texts(priorities) == ["start", "build", "embed"]
    # Each keeps the message it answers.
    assert [s.source for s in priorities] == ["Key message 3", "Key message 2", "Key message 1"]


def test_no_diagnosis_and_no_scored_dimension_give_no_plan() -> None:
    assert plan(_View(), None, [], lambda d: ()) == ((), ())
