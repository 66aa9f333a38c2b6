"""Verbs people try as sub-commands (``play 193228``, ``list jobs``): the command they meant.

These are suggested, never run: a guess that ran would play or export something the person
did not ask for. Each answer is one sentence naming the command to type instead.
"""

from __future__ import annotations

import re

from bot.grammar.limits import echo

VERBS = frozenset(("play", "listen", "list", "find", "search", "show", "download", "cancel"))
_RECORDING_ID = re.compile(r"(?:(?:od|on-demand|ondemand|company):)?#?[0-9]{1,18}", re.I)
_JOBS = frozenset(("jobs", "job", "exports", "export", "my exports", "my jobs"))
CANCEL = (
    "There is nothing to cancel with a command: a search or a Play finishes on its own, an "
    "export runs until its zip is ready (`/recordings jobs` shows yours and their state), and "
    "a question I ask (the export prompt, the search form) is cancelled by not answering it."
)


def suggest_verb(word: str, rest: str) -> str | None:
    """What to say when the first word is a verb of ``VERBS``; None for any other word."""
    if word not in VERBS:
        return None
    rest = " ".join(rest.split())
    if word == "cancel":
        return CANCEL
    head = f"There is no `{word}` command"
    if _RECORDING_ID.fullmatch(rest):
        return f"{head}: {_cmd('get ' + rest)} shows that recording and sends its audio to your DM."
    if word in ("play", "listen"):
        if not rest:
            return (
                f"{head}: {_cmd('get <recording id>')} sends one recording's audio to your DM, "
                "or search and click ▶ Play on a row."
            )
        return f"{head}: search with {_cmd(rest)}, then click ▶ Play on the row you want."
    if word == "download":
        if not rest:
            return (
                f"{head}: {_cmd('get <recording id>')} sends one recording to your DM, and "
                f"{_cmd('export [filters]')} makes a zip of everything matching."
            )
        return f"{head}: {_cmd('export ' + rest)} makes a zip of everything matching."
    if rest.lower() in _JOBS:
        return f"{head}: {_cmd('jobs')} lists your exports and their state."
    if not rest:
        return f"{head}: {_cmd('')} alone opens the search form."
    return f"{head}: filters go right after the command, e.g. {_cmd(rest)}."


def _cmd(args: str) -> str:
    """A command in backticks; CommandError escapes the sentence for mrkdwn once, later."""
    return "`" + echo(f"/recordings {args}".strip(), 60).replace("`", "'") + "`"
