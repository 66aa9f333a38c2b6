"""Recordings that keep arriving: a steady rate on the simulator's clock, bursts, late listing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.vbcsim import SimConfig, SimState


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_steady_rate_and_late_listing_follow_the_simulators_clock() -> None:
    clock = Clock()
    state = SimState(SimConfig(now=datetime.fromtimestamp(clock.now, UTC)), clock=clock)
    before = len(state.index(None))
    state.arrivals.configure(
        {"per_hour": 3600, "late_share": 1.0, "late_seconds": 60, "on_demand_share": 0.0},
        clock(),
    )
    clock.now += 10
    assert len(state.index(None)) == before  # ten calls ended, none listed yet
    assert len(state.arrivals.made) == 10  # one a second
    clock.now += 60
    assert len(state.index(None)) == before + 10  # those listed a minute after they ended
    assert len(state.arrivals.made) == 70
    ended = state.arrivals.made[0]
    assert state.arrivals.listed_at[ended.id] - ended.end.timestamp() == pytest.approx(60, abs=1)


def test_a_burst_ends_many_calls_at_once_and_is_bounded() -> None:
    clock = Clock()
    state = SimState(SimConfig(now=datetime.fromtimestamp(clock.now, UTC)), clock=clock)
    made = state.arrivals.burst(5, clock())
    assert len({rec.id for rec in made}) == 5
    assert all(rec.end.timestamp() == pytest.approx(clock.now, abs=1) for rec in made)
    with pytest.raises(ValueError, match="burst"):
        state.arrivals.burst(10_001, clock())
    with pytest.raises(ValueError, match="late_share"):
        state.arrivals.configure({"late_share": 2}, clock())
