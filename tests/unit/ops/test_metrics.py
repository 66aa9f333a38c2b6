"""Each runtime's metrics live on a registry of their own; failed VBC calls count as errors."""

from __future__ import annotations

from bot.ops.metrics import Metrics


def test_two_registries_never_mix_and_vbc_failures_are_errors() -> None:
    first, second = Metrics(), Metrics()
    first.observe_vbc("list_users", "200", 0.01)
    first.observe_vbc("list_users", "503", 0.02)
    first.observe_vbc("get_user", "timeout", 10.0)
    first.observe_vbc("get_user", "401", 0.01)
    first.set_export_states({"running": 2})
    first.set_export_states({"complete": 1})  # running went to zero, still shown
    text = first.render().decode()
    assert 'recordings_bot_errors_total{kind="vbc_unavailable"} 2.0' in text
    assert 'recordings_bot_errors_total{kind="vbc_refused"} 1.0' in text
    assert 'recordings_bot_export_requests{state="running"} 0.0' in text
    assert 'recordings_bot_export_requests{state="complete"} 1.0' in text
    assert "list_users" not in second.render().decode()
