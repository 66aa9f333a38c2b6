"""The manual: every sub-command has an entry, and every entry's example runs that command."""

from __future__ import annotations

from typing import get_args

import pytest

from bot.grammar.commands import Command, CommandError, Help, Search, parse_command
from bot.grammar.manual import COMMANDS, Entry, entries_for, entry


def test_every_sub_command_has_a_help_entry() -> None:
    """A Command type no entry's example parses to is a command help does not mention."""
    documented = {type(parse_command(e.example)) for e in COMMANDS}
    missing = {t.__name__ for t in get_args(Command)} - {t.__name__ for t in documented}
    assert not missing, f"add an Entry to bot/grammar/manual.py COMMANDS for: {missing}"


@pytest.mark.parametrize("e", COMMANDS, ids=lambda e: e.name)
def test_each_entry_is_complete_and_its_example_parses(e: Entry) -> None:
    found = entry(e.name)
    assert found is e
    assert all((found.line, found.detail, found.usage))
    assert not found.line.endswith(".")  # the renderer ends the sentence
    command = parse_command(found.example)
    assert not isinstance(command, Search) or found.name == "search"


def test_names_are_unique() -> None:
    names = [e.name for e in COMMANDS]
    assert len(names) == len(set(names))


def test_members_see_their_commands_and_admins_all() -> None:
    member = {e.name for e in entries_for(is_admin=False)}
    admin = {e.name for e in entries_for(is_admin=True)}
    assert member == {"search", "export", "jobs", "get", "whoami", "help", "notify"}
    assert admin == member | {
        "link",
        "unlink",
        "audit",
        "audit export",
        "channel",
        "delete",
        "delete matching",
        "hold",
        "holds",
        "release",
        "retention",
        "notify all",
    }


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        ("get", "get"),
        ("get 193228", "get"),
        ("filters", "search"),
        ("audit", "audit"),
        ("audit export", "audit export"),
    ],
)
def test_help_topics(topic: str, name: str) -> None:
    found = entry(topic)
    assert found is not None
    assert found.name == name
    assert entry("nonsense") is None


def test_help_topic_is_parsed() -> None:
    assert parse_command("help export") == Help("export")
    with pytest.raises(CommandError):
        parse_command("play 193228")
