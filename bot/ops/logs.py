"""Log records as operators read them: a request id on each, phone numbers masked, JSON or text.

The request id lives in a context variable: set where a Slack request comes in, it is copied
into every task started while handling it (asyncio copies the context), so the background
work of one request logs under that request's id. Numbers of 7 digits or more are cut to
their last 4 at INFO and above: recordings are personal data, and so are the numbers in them.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
MIN_PHONE_DIGITS = 7
_SEPARATORS = frozenset(" -()")
_RESERVED = frozenset(vars(logging.makeLogRecord({})))


def new_request_id() -> str:
    return secrets.token_hex(6)


def start_request(request_id: str | None = None) -> str:
    """Give the current context (one request and the tasks it starts) a request id."""
    found = request_id or new_request_id()
    REQUEST_ID.set(found)
    return found


def mask_numbers(text: str) -> str:
    """Cut every phone-like number (7+ digits, with spaces, dashes, brackets) to its last 4.

    One forward scan, linear in the text. A date like 2024-05-01 stays (4-2-2 digit groups).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if not (char.isdigit() or (char == "+" and i + 1 < n and text[i + 1].isdigit())):
            out.append(char)
            i += 1
            continue
        j = i + 1
        while j < n and (text[j].isdigit() or (text[j] in _SEPARATORS and _digit_after(text, j))):
            j += 1
        run = text[i:j]
        digits = [c for c in run if c.isdigit()]
        if len(digits) >= MIN_PHONE_DIGITS and not _is_date(run):
            out.append("…" + "".join(digits[-4:]))
        else:
            out.append(run)
        i = j
    return "".join(out)


def _digit_after(text: str, j: int) -> bool:
    """A separator continues a number only when more of it follows (``(732) 555-0100``)."""
    k = j
    while k < len(text) and text[k] in _SEPARATORS:
        k += 1
        if k - j > 2:
            return False
    return k < len(text) and text[k].isdigit()


def _is_date(run: str) -> bool:
    parts = run.split("-")
    return len(parts) == 3 and [len(p) for p in parts] == [4, 2, 2]


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id and masks numbers at INFO and above."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        if record.levelno >= logging.INFO:
            message = record.getMessage()
            masked = mask_numbers(message)
            if masked != message:
                record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            entry["exception"] = mask_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(
    *,
    level: str,
    libraries: str,
    log_format: str,
    own: tuple[str, ...],
    stream: TextIO | None = None,
) -> None:
    """The root handler for the whole process; ``own`` loggers at ``level``, the rest lower."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(libraries)
    for name in own:
        logging.getLogger(name).setLevel(level)
