"""How much text the grammar reads, and how much of a bad token an error message shows.

Every parser here runs in time linear in its input (bench/parse_worst_case.py measures it),
but the event loop is shared by everyone's acks: ``/recordings`` text over ``MAX_TEXT``
characters is refused before any parsing, with a message that says so (``too_long``). A
token echoed back in an error is clipped (``echo``), so a long one cannot fill the reply.
"""

from __future__ import annotations

MAX_TEXT = 4000  # characters of command text or form field; Slack's escapes count
MAX_ECHO = 40  # characters of a person's token quoted back in an error message
MAX_PROBLEMS = 5  # bad tokens of one command listed in one reply


def too_long(text: str, *, what: str, reader: str, fix: str) -> str | None:
    """A sentence refusing ``text`` when it is over ``MAX_TEXT`` characters, else None.

    ``too_long(t, what="That command", reader="/recordings", fix="Shorten the filters.")``:
    "That command is 5,123 characters long; /recordings reads at most 4,000. Shorten ...".
    """
    if len(text) <= MAX_TEXT:
        return None
    return f"{what} is {len(text):,} characters long; {reader} reads at most {MAX_TEXT:,}. {fix}"


def echo(token: str, limit: int = MAX_ECHO) -> str:
    """``token`` as quoted back in an error: at most ``limit`` characters, ``…`` if cut."""
    return token if len(token) <= limit else f"{token[: max(limit - 1, 0)]}…"
