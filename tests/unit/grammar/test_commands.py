"""Sub-command dispatch of `/recordings`."""

from __future__ import annotations

import pytest

from bot.grammar.commands import (
    Audit,
    AuditExport,
    Channel,
    ChannelAction,
    Command,
    CommandError,
    Export,
    Get,
    Help,
    Jobs,
    Link,
    Search,
    Unlink,
    WhoAmI,
    parse_command,
)
from bot.vbc.models import RecordingKind


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Search("")),
        ("   ", Search("")),
        ("inbound yesterday", Search("inbound yesterday")),
        ("  from:+1 732 555 0100  ", Search("from:+1 732 555 0100")),
        ("helpful", Search("helpful")),  # only the exact word is a sub-command
        ("help", Help()),
        ("HELP me", Help("me")),
        ("help get", Help("get")),
        ("help Audit export x", Help("audit export")),
        ("?", Help()),
        ("export", Export("")),
        ("Export last 7d  >2m", Export("last 7d  >2m")),
        ("export\ttoday", Export("today")),
        ("jobs", Jobs()),
        ("whoami", WhoAmI()),
        ("audit", Audit("")),
        ("audit user:<@U1X|bob> today", Audit("user:<@U1X|bob> today")),
    ],
)
def test_dispatch(text: str, command: Command) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("get 193228", Get("193228")),
        ("get #193228", Get("193228")),
        ("get od:193228", Get("193228", RecordingKind.ON_DEMAND)),
        ("GET On-Demand:193228", Get("193228", RecordingKind.ON_DEMAND)),
        ("get company:193228", Get("193228", RecordingKind.COMPANY)),
        ("get 193228 type:on-demand", Get("193228", RecordingKind.ON_DEMAND)),
        ("get 193228 type:company", Get("193228", RecordingKind.COMPANY)),
        ("get od:193228 type:ondemand", Get("193228", RecordingKind.ON_DEMAND)),
    ],
)
def test_get(text: str, command: Get) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("get", "one recording id"),
        ("get 1 2 3", "one recording id"),
        ("get abc", "`abc` is not a recording id"),
        ("get x:12", "`x:` is not a recording kind"),
        ("get 12 inbound", "`inbound` is not a recording type"),
        ("get 12 type:video", "`type:video` is not a recording type"),
        ("get od:12 type:company", "two different types"),
    ],
)
def test_get_errors(text: str, needle: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert needle in caught.value.message
    assert caught.value.usage.startswith("/recordings get")


def test_link_and_unlink_take_escaped_mentions() -> None:
    assert parse_command("link <@U0JANE|jane> 4242") == Link("U0JANE", "4242")
    assert parse_command("link <@U0JANE> jane@example.com") == Link("U0JANE", "jane@example.com")
    mailto = "link <@U0JANE|jane> <mailto:jane@example.com|jane@example.com>"
    assert parse_command(mailto) == Link("U0JANE", "jane@example.com")
    assert parse_command("unlink <@W0BOB|bob>") == Unlink("W0BOB")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("link", "needs a person and a VBC user"),
        ("link <@U0JANE|jane>", "needs a person and a VBC user"),
        ("link @jane 4242", "pick the person from the autocomplete"),
        ("link <@U0JANE|jane> jane", "neither a VBC user id nor an email"),
        ("unlink", "needs one person"),
        ("unlink jane", "pick the person"),
        ("jobs all", "takes nothing after it"),
        ("whoami now", "takes nothing after it"),
        ("channel open", "not a channel setting"),
        ("channel allow deny", "not a channel setting"),
    ],
)
def test_command_errors(text: str, needle: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert needle in caught.value.message


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("channel", ChannelAction.STATUS),
        ("channel status", ChannelAction.STATUS),
        ("channel allow", ChannelAction.ALLOW),
        ("Channel DENY", ChannelAction.DENY),
        ("channel direct", ChannelAction.DIRECT),
        ("channel indirect", ChannelAction.INDIRECT),
    ],
)
def test_channel(text: str, action: ChannelAction) -> None:
    assert parse_command(text) == Channel(action)


def test_error_text_is_mrkdwn_safe() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("unlink <#C1|general>")
    assert str(caught.value) == (
        "pick the person from the autocomplete list instead of typing `&lt;#C1|general&gt;`. "
        "Usage: `/recordings unlink @person`"
    )


def test_audit_export_takes_the_audit_filters_untouched() -> None:
    assert parse_command("audit export action:audio since:2024-05-01") == AuditExport(
        "action:audio since:2024-05-01"
    )
    assert parse_command("AUDIT Export") == AuditExport("")
    assert parse_command("audit action:export") == Audit("action:export")
