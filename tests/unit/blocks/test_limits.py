"""Block Kit limits: each one Slack enforces is caught and named; truncation stays in bounds."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.blocks.limits import (
    CUMULATIVE_TEXT_PROBLEM,
    MESSAGE_TEXT_BUDGET,
    MISSING_FALLBACK_PROBLEM,
    message_problems,
    truncate,
    view_problems,
)
from tests.fakes import assert_valid_message, assert_valid_view
from tests.fakes.blockkit import Json, button, good_message, good_modal, plain, section, with_block


def test_good_message_and_modal_have_no_problems() -> None:
    assert message_problems(good_message()) == []
    assert view_problems(good_modal()) == []
    assert view_problems({"type": "home", "blocks": [section("hi")]}) == []
    assert_valid_message(good_message())
    assert_valid_view(good_modal())


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"blocks": [section("hi")]}, MISSING_FALLBACK_PROBLEM),
        ({"text": "  ", "blocks": [section("hi")]}, MISSING_FALLBACK_PROBLEM),
        ({"text": "t", "blocks": [section("x")] * 51}, "51 blocks, at most 50"),
        (with_block(section("x" * 3001)), "/blocks/0/text: 3001 characters"),
        ({"text": "t", "blocks": [section("x" * 2500)] * 5}, CUMULATIVE_TEXT_PROBLEM),
        (with_block({"type": "header", "text": plain("h" * 151)}), "header longer than 150"),
        (
            with_block({"type": "section", "fields": [plain("f")] * 11}),
            "/blocks/0/fields: 11 items",
        ),
        (
            with_block({"type": "actions", "elements": [button("a", "x" * 2001)]}),
            "/blocks/0/elements/0/value: 2001 characters",
        ),
        (
            with_block({"type": "actions", "elements": [button("a" * 256, "v")]}),
            "action_id: longer than 255",
        ),
        (
            with_block({"type": "actions", "elements": [button("a", "1"), button("a", "2")]}),
            "'a' repeated in block",
        ),
        (
            with_block(
                {"type": "actions", "elements": [button(f"a{i}", str(i)) for i in range(26)]}
            ),
            "26 items, no more than 25 allowed",
        ),
        (
            {"text": "t", "blocks": [{**section("a"), "block_id": "b"}] * 2},
            "'b' is not unique",
        ),
        (with_block({**section("a"), "block_id": "b" * 256}), "block_id: 256 characters"),
        (
            with_block(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "s",
                            "options": [{"text": plain("o"), "value": "v" * 151}],
                        }
                    ],
                }
            ),
            "longer than 150",
        ),
        (with_block({**section("a"), "colour": "red"}), "/blocks/0/colour: unknown key"),
        (
            with_block({"type": "section", "text": {"type": "mrkdwn", "text": "a", "x": 1}}),
            "unexpected keyword argument 'x'",
        ),
        (with_block({"type": "carousel-of-doom"}), "unknown block type"),
        (
            with_block(
                {
                    "type": "actions",
                    "elements": [
                        {"type": "datepicker", "action_id": "d", "initial_date": "2024/05/01"}
                    ],
                }
            ),
            "initial_date attribute must be in format 'YYYY-MM-DD'",
        ),
        ({"text": "t", "blocks": "[not json"}, "invalid_blocks_format"),
        ({"text": "t", "blocks": {"type": "divider"}}, "invalid_blocks_format"),
    ],
)
def test_message_problems_catch_each_limit(payload: Json, expected: str) -> None:
    problems = message_problems(payload)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="invalid Slack message"):
        assert_valid_message(payload)


def test_cumulative_budget_leaves_room_below_slacks_limit() -> None:
    within = {"text": "t", "blocks": [section("x" * 2750)] * 4}
    assert message_problems(within) == []
    assert MESSAGE_TEXT_BUDGET < 4 * 2750 + 1001
    assert message_problems({"text": "t", "blocks": json.dumps(within["blocks"])}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v: v.update(title=plain("t" * 25)), "/title: 25 characters"),
        (lambda v: v.pop("title"), "a modal needs a title"),
        (lambda v: v.pop("submit"), "needs a submit button"),
        (lambda v: v.update(private_metadata="m" * 3001), "/private_metadata: 3001"),
        (lambda v: v.update(blocks=[section("a")] * 101), "101 blocks, must be 1..100"),
        (lambda v: v.update(blocks=[]), "0 blocks"),
        (lambda v: v.update(callback_id="c" * 256), "/callback_id: 256"),
        (lambda v: v.update(type="home"), "/submit: a home view cannot have it"),
        (lambda v: v.update(type="dialog"), "must be 'modal' or 'home'"),
        (lambda v: v.update(colour="red"), "/colour: unknown view key"),
        (lambda v: v["blocks"][0].update(block_id="direction"), "'direction' is not unique"),
        (lambda v: v.update(blocks=[section("x" * 2900)] * 90), "view_too_large"),
    ],
)
def test_view_problems_catch_each_limit(change: Callable[[Json], Any], expected: str) -> None:
    view = copy.deepcopy(good_modal())
    change(view)
    problems = view_problems(view)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="invalid Slack view"):
        assert_valid_view(view)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("short", 10, "short"), ("exactly10!", 10, "exactly10!"), ("0123456789ab", 10, "012345678…")],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= limit
    assert truncate("abcdef", 1, "...") == "."
