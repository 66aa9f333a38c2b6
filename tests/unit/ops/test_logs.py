"""Log records: numbers cut to their last 4 digits at INFO, one JSON object per line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.ops.logs import REQUEST_ID, configure, mask_numbers, start_request


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("from 17325550100 to x", "from …0100 to x"),
        ("caller_id=+17325550100&x=1", "caller_id=…0100&x=1"),
        ("call +1 (732) 555-0100 now", "call …0100 now"),
        ("since 2024-05-01 until 2024-05-31", "since 2024-05-01 until 2024-05-31"),
        ("recording 193228 of page 3", "recording 193228 of page 3"),
        ("listening on http://127.0.0.1:3000", "listening on http://127.0.0.1:3000"),
        ("ext 101 - 2 items", "ext 101 - 2 items"),
    ],
)
def test_phone_numbers_keep_only_their_last_4_digits(text: str, shown: str) -> None:
    assert mask_numbers(text) == shown


def test_masking_is_linear_on_hostile_text() -> None:
    text = "1 " * 50_000 + "x" + "(" * 50_000
    assert mask_numbers(text).endswith("x" + "(" * 50_000)


def emit(fmt: str, level: int, message: str, *args: object) -> str:
    stream = io.StringIO()
    configure(level="DEBUG", libraries="WARNING", log_format=fmt, own=("bot",), stream=stream)
    try:
        logging.getLogger("bot.test").log(level, message, *args)
    finally:
        configure(level="INFO", libraries="WARNING", log_format="text", own=("bot",))
    return stream.getvalue()


def test_json_lines_carry_time_level_logger_message_and_the_request_id() -> None:
    token = REQUEST_ID.set(None)
    try:
        rid = start_request()
        [line] = emit("json", logging.INFO, "searched %s", "17325550100").splitlines()
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "bot.test"
    assert entry["message"] == "searched …0100"
    assert entry["request_id"] == rid
    assert entry["time"].endswith("+00:00")


def test_debug_keeps_numbers_and_text_format_shows_the_request_id() -> None:
    assert "17325550100" in emit("json", logging.DEBUG, "searched %s", "17325550100")
    assert "[-]" in emit("text", logging.WARNING, "plain")
