"""Dates at the edges of the calendar get a clear answer naming them, never a traceback.

``until:9999-12-31`` in the audit used to become the day after 9999-12-31; a clock offset
(``+14:00`` on 1970-01-01) or a zone west of UTC (9999-12-31 in New York) carried a moment past
what ``datetime`` can hold or what the grammar reads back.
"""

from __future__ import annotations

import logging

import pytest

from bot.blocks import modal
from tests.fakes import render_text
from tests.integration.conftest import ADMIN, MEMBER, Stack

APOLOGY = "something went wrong on my side"


async def reply_to(stack: Stack, user: str, text: str) -> str:
    before = len(stack.slack.responses)
    response = await stack.driver.command(user, text)
    assert response.status_code == 200
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=15)
    return render_text(stack.slack.responses[-1].args.get("blocks") or [])


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_audit_dates_out_of_range_are_named(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    for token in ("until:9999-12-31", "since:0001-01-01", "until:3000-01-01"):
        answer = await reply_to(stack, ADMIN, f"audit {token}")
        assert f"`{token}`" in answer, answer
        assert "1970 to 2999" in answer, answer
    assert "Audit log" in await reply_to(stack, ADMIN, "audit since:1970-01-01 until:2999-12-31")
    no_errors_logged(caplog)


@pytest.mark.parametrize("command", ["", "export "])
async def test_search_times_out_of_range_are_named(
    stack: Stack, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    stack.sim.state.requests.clear()
    for token in (
        "until:9999-12-31 23:59",
        "since:0001-01-01",
        "since:1970-01-01T00:00+14:00",  # 1969 in UTC
        "until:2999-12-31T23:59-14:00",  # 3000 in UTC
    ):
        answer = await reply_to(stack, MEMBER, f"{command}{token}")
        assert f"`{token}`" in answer, answer
        assert "dates run from 1970 to 2999" in answer, answer
        assert APOLOGY not in answer
    assert not stack.sim.state.requests, "nothing goes to VBC for a command that does not parse"
    no_errors_logged(caplog)


async def test_the_search_form_refuses_dates_out_of_range(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """New York is west of UTC: the end of 9999-12-31 there is in the year 10000 in UTC."""
    await stack.driver.command(MEMBER, "")
    await stack.slack.wait_for("views.open")
    view = stack.slack.current_view(MEMBER)
    assert view is not None
    response = await stack.driver.submit_view(
        MEMBER,
        view,
        {
            modal.BLOCK_SINCE_DATE: {modal.ACTION_FIELD: {"selected_date": "0001-01-01"}},
            modal.BLOCK_UNTIL_DATE: {modal.ACTION_FIELD: {"selected_date": "9999-12-31"}},
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        modal.BLOCK_SINCE_DATE: "Pick a date from 1970 to 2999.",
        modal.BLOCK_UNTIL_DATE: "Pick a date from 1970 to 2999.",
    }
    no_errors_logged(caplog)
