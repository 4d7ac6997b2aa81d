"""A report's render deadline keeps an alarm set around it (an RQ job timeout)."""

from __future__ import annotations

import signal
import time

import pytest

from app.reporting.jobs import _deadline


class OuterTimeout(Exception):
    pass


@pytest.fixture
def outer_handler():
    def expired(_signum, _frame):
        raise OuterTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    try:
        yield expired
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_later_outer_alarm_is_set_again_for_its_remaining_time(outer_handler) -> None:
    signal.alarm(30)
    with _deadline(5):
        time.sleep(0.05)
    assert signal.getsignal(signal.SIGALRM) is outer_handler
    remaining = signal.alarm(0)
    assert 28 <= remaining <= 30


def test_the_own_deadline_fires_and_the_outer_alarm_survives(outer_handler) -> None:
    signal.alarm(30)
    with pytest.raises(TimeoutError, match="within 1 s"), _deadline(1):
        time.sleep(3)
    assert signal.getsignal(signal.SIGALRM) is outer_handler
    assert 26 <= signal.alarm(0) <= 29


def test_a_sooner_outer_alarm_is_left_to_fire(outer_handler) -> None:
    signal.alarm(1)
    with pytest.raises(OuterTimeout), _deadline(30):
        time.sleep(3)


def test_without_an_outer_alarm_none_is_left_behind() -> None:
    with _deadline(5):
        pass
    assert signal.alarm(0) == 0
