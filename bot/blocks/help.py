"""``/recordings help``: the manual of ``bot.grammar.manual`` as a message, per person.

Members see the commands they may use; recordings admins also see theirs, the admin
filters and the audit filter values. ``help <command>`` shows one entry's detail.
"""

from __future__ import annotations

import re

from bot.blocks.ids import ACTION_OPEN_MODAL
from bot.blocks.mrkdwn import clip, sanitize_mrkdwn
from bot.blocks.parts import Block, Message, actions, build_message, button, context, section
from bot.grammar.manual import ADMIN_SEARCH, AUDIT_FILTERS, Entry, entries_for, entry
from bot.grammar.tokens import escape_mrkdwn
from bot.grammar.vocabulary import GRAMMAR_HELP

_SECTION = 2800  # below Slack's 3,000 characters of section text
_MENTION = re.compile(r"<@[UW][A-Z0-9]{2,20}\|([^<>|]{1,80})>")


def render_help(*, scope: str, is_admin: bool, topic: str = "") -> Message:
    """The whole manual, or with ``topic`` that command's detail."""
    note = ""
    if topic:
        found = entry(topic)
        if found is not None:
            return _detail(found, is_admin=is_admin)
        note = f"There is no `{clip(topic, 40)}` command; here is what you can use."
    lines = ["*Commands* (type them after `/recordings`):"]
    lines += [_line(e) for e in entries_for(is_admin=is_admin)]
    lines.append("`/recordings help <command>` shows one command in detail.")
    text = "\n".join(escape_mrkdwn(line) for line in lines)
    text += "\n" + escape_mrkdwn(GRAMMAR_HELP)
    if is_admin:
        text += "\n" + escape_mrkdwn(f"{ADMIN_SEARCH}\n{AUDIT_FILTERS}")
    blocks: list[Block] = [context(escape_mrkdwn(note), "help_note")] if note else []
    blocks += [section(chunk, f"help:{i}") for i, chunk in enumerate(_chunks(text))]
    blocks.append(_scope(scope))
    blocks.append(actions("help_actions", [button("Open search form", ACTION_OPEN_MODAL, "help")]))
    return build_message("How to use /recordings", blocks)


def _line(e: Entry) -> str:
    line = f"• `/recordings {e.usage}`: {e.line}."
    if e.example != e.usage:  # ``jobs`` is its own example
        line += f" Example: `/recordings {_shown(e.example)}`"
    return line


def _detail(e: Entry, *, is_admin: bool) -> Message:
    head = f"*`/recordings {e.usage}`*: {e.line}."
    if e.admin_only and not is_admin:
        head += " (Recordings admins only.)"
    lines = [head, e.detail, f"*Example:* `/recordings {_shown(e.example)}`"]
    if e.name == "search" and is_admin:
        lines.insert(2, ADMIN_SEARCH)
    text = escape_mrkdwn("\n".join(lines))
    blocks = [section(chunk, f"help:{i}") for i, chunk in enumerate(_chunks(text))]
    blocks.append(context("`/recordings help` lists every command.", "help_more"))
    return build_message(f"/recordings {e.name}", blocks)


def _scope(scope: str) -> Block:
    text = f":bust_in_silhouette: *Your scope:* {clip(sanitize_mrkdwn(scope), 1000)}"
    return section(text, "help_scope")


def _shown(example: str) -> str:
    """An example as people type it: a mention's markup reads ``@name``."""
    return _MENTION.sub(r"@\1", example)


def _chunks(text: str) -> list[str]:
    chunks: list[str] = []
    for line in text.splitlines():
        if chunks and len(chunks[-1]) + len(line) + 1 <= _SECTION:
            chunks[-1] += "\n" + line
        else:
            chunks.append(clip(line, _SECTION))
    return chunks
