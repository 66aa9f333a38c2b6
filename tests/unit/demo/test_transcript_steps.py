"""A recorded ``@later`` lets time pass a minute at a time, the rest as a last short step."""

from __future__ import annotations

from bot.demo.transcript import STEP, time_steps


def test_whole_minutes_are_one_step_each() -> None:
    assert time_steps(600, STEP) == [60.0] * 10


def test_what_is_left_over_is_a_last_shorter_step() -> None:
    assert time_steps(90, STEP) == [60.0, 30.0]
    assert time_steps(30, STEP) == [30.0]


def test_no_time_is_no_step() -> None:
    assert time_steps(0, STEP) == []
