"""`/recordings` sub-commands: the first word picks one; anything else is a search.

Filter text is passed on untouched (``Search``, ``Export``, ``Audit``) for ``bot.grammar`` to
read with the asker's time zone. ``get`` takes ``193228``, ``od:193228`` / ``company:193228``
or ``193228 type:on-demand``; without a kind the handler looks the id up in both APIs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.grammar import mention_user_id
from bot.grammar.limits import echo, too_long
from bot.vbc.models import RecordingKind


class CommandError(ValueError):
    """A sub-command used wrongly; ``str()`` says what and shows the usage (if there is one).

    Without a usage, ``message`` is a whole sentence of its own.
    """

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message, usage)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        text = f"{self.message}. Usage: `{self.usage}`" if self.usage else self.message
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ChannelAction(StrEnum):
    """Admin settings for the channel the command was typed in."""

    ALLOW = "allow"  # people may share recordings into this channel
    DENY = "deny"  # they may not (the default); turns direct delivery off too
    DIRECT = "direct"  # Play and export results go straight to the channel (needs allow)
    INDIRECT = "indirect"  # they go to the asker's DM (the default)
    STATUS = "status"


@dataclass(frozen=True)
class Search:
    text: str


@dataclass(frozen=True)
class Export:
    text: str


@dataclass(frozen=True)
class Jobs:
    pass


@dataclass(frozen=True)
class Get:
    recording_id: str
    kind: RecordingKind | None = None


@dataclass(frozen=True)
class Link:
    slack_user: str  # Slack user id
    vbc_ref: str  # numeric VBC user id or an email address


@dataclass(frozen=True)
class Unlink:
    slack_user: str


@dataclass(frozen=True)
class WhoAmI:
    pass


@dataclass(frozen=True)
class Audit:
    text: str


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Channel:
    action: ChannelAction


class NotifyAction(StrEnum):
    LIST = "list"  # the person's rules
    ME = "me"  # a rule for the person's DM
    CHANNEL = "channel"  # admins: a rule for a channel
    OFF = "off"  # remove the person's rules (or one)
    REMOVE = "remove"  # remove one rule by id
    ALL = "all"  # admins: every rule in the workspace


@dataclass(frozen=True)
class Notify:
    action: NotifyAction
    text: str = ""  # the filters, read later in the asker's time zone
    channel_id: str | None = None
    rule_id: int | None = None


Command = Search | Export | Jobs | Get | Link | Unlink | WhoAmI | Audit | Help | Channel | Notify

USAGE = {
    "get": "/recordings get <recording id> [type:company|type:on-demand]",
    "link": "/recordings link @person <VBC user id or email>",
    "unlink": "/recordings unlink @person",
    "channel": "/recordings channel allow|deny|direct|indirect|status",
    "jobs": "/recordings jobs",
    "whoami": "/recordings whoami",
    "notify": "/recordings notify me [filters] | notify #channel [filters] | notify | "
    "notify off [rule id] | notify remove <rule id> | notify all",
}

COMMANDS_HELP = """\
*Commands:* `/recordings [filters]` search · `export [filters]` export everything matching · \
`jobs` your exports · `get &lt;recording id&gt;` one recording · `whoami` your VBC link · `help`
*Admins:* `link @person &lt;VBC user id or email&gt;` · `unlink @person` · `audit [filters]` · \
`channel allow|deny|direct|indirect|status` (sharing and direct delivery in this channel)
*New recordings:* `notify me [filters]` a DM for each new recording of yours that matches, \
e.g. `notify me inbound &gt;1m` · `notify` your rules · `notify off [rule id]` · admins: \
`notify #channel [filters]` (company recordings, where sharing is allowed) · `notify all` · \
`notify remove &lt;rule id&gt;`. Rules take the search filters without time words or order."""

_GET_KINDS = {
    "od": RecordingKind.ON_DEMAND,
    "on-demand": RecordingKind.ON_DEMAND,
    "ondemand": RecordingKind.ON_DEMAND,
    "company": RecordingKind.COMPANY,
}
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>", re.I)
_NOT_IN_EMAIL = re.compile(r"[\s<>|]")  # one character class: a single forward scan


def parse_command(text: str) -> Command:
    """Dispatch on the first word, case-insensitively; unknown first words are filters.

    Text over 4,000 characters (``MAX_TEXT``) is refused before anything reads it; the search,
    export and audit text handed on is therefore within that cap too.
    """
    stripped = text.strip()
    if refusal := too_long(
        stripped,
        what="That command",
        reader="/recordings",
        fix="Shorten the filters and try again.",
    ):
        raise CommandError(refusal)
    first, rest = [*stripped.split(maxsplit=1), "", ""][:2]
    word, args = first.lower(), rest.split()
    if word in ("help", "?", "-h", "--help"):
        return Help()
    if word == "search":
        return Search(rest)
    if word == "export":
        return Export(rest)
    if word == "audit":
        return Audit(rest)
    if word in ("jobs", "whoami"):
        if args:
            raise CommandError(f"`{word}` takes nothing after it", USAGE[word])
        return Jobs() if word == "jobs" else WhoAmI()
    if word == "get":
        return _get(args)
    if word == "link":
        if len(args) != 2:
            raise CommandError("link needs a person and a VBC user", USAGE["link"])
        return Link(_person(args[0], "link"), _vbc_ref(args[1]))
    if word == "unlink":
        if len(args) != 1:
            raise CommandError("unlink needs one person", USAGE["unlink"])
        return Unlink(_person(args[0], "unlink"))
    if word == "channel":
        return _channel(args)
    if word == "notify":
        return _notify(rest)
    return Search(stripped)


def _get(args: list[str]) -> Get:
    if not args or len(args) > 2:
        raise CommandError("get needs one recording id", USAGE["get"])
    prefix, _, number = args[0].rpartition(":")
    kind = _GET_KINDS.get(prefix.lower()) if prefix else None
    if prefix and kind is None:
        raise CommandError(f"`{echo(prefix)}:` is not a recording kind", USAGE["get"])
    if len(args) == 2:
        kind_word = args[1].lower().removeprefix("type:")
        if not args[1].lower().startswith("type:") or kind_word not in _GET_KINDS:
            raise CommandError(f"`{echo(args[1])}` is not a recording type", USAGE["get"])
        if kind is not None and kind is not _GET_KINDS[kind_word]:
            raise CommandError("that id has two different types", USAGE["get"])
        kind = _GET_KINDS[kind_word]
    number = number.removeprefix("#")
    if not re.fullmatch(r"[0-9]{1,18}", number):
        raise CommandError(f"`{echo(args[0])}` is not a recording id (digits only)", USAGE["get"])
    return Get(number, kind)


def _person(raw: str, word: str) -> str:
    user = mention_user_id(raw)
    if user is None:
        raise CommandError(
            f"pick the person from the autocomplete list instead of typing `{echo(raw)}`",
            USAGE[word],
        )
    return user


def _vbc_ref(raw: str) -> str:
    mailto = _MAILTO.fullmatch(raw)  # Slack escapes typed emails as <mailto:a@b|a@b>
    ref = mailto[1] if mailto else raw
    if re.fullmatch(r"[0-9]{1,18}", ref) or is_email(ref):
        return ref
    raise CommandError(
        f"`{echo(raw)}` is neither a VBC user id nor an email address", USAGE["link"]
    )


def is_email(text: str) -> bool:
    r"""``local@dom.ain``: one ``@``, something before it, and a dot inside the domain part.

    No whitespace and no ``< > |`` anywhere. Linear in ``len(text)``, and it accepts exactly
    what the regex ``[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+`` fullmatched; that regex backtracked
    over a domain of many dots (40,000 characters took seconds and held up every other ack).
    """
    local, at, domain = text.partition("@")
    return (
        bool(local and at)
        and "." in domain[1:-1]
        and "@" not in domain
        and _NOT_IN_EMAIL.search(text) is None
    )


def _channel(args: list[str]) -> Channel:
    if not args:
        return Channel(ChannelAction.STATUS)
    if len(args) == 1 and args[0].lower() in set(ChannelAction):
        return Channel(ChannelAction(args[0].lower()))
    raise CommandError(f"`{echo(' '.join(args))}` is not a channel setting", USAGE["channel"])


_CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9]{2,20})(?:\|[^>]*)?>")


def _notify(rest: str) -> Notify:
    """``notify``, ``notify me …``, ``notify <#C…> …``, ``notify off [id]``, ``remove <id>``,
    ``all``; the filters are left for the grammar (read in the asker's time zone)."""
    first, text = [*rest.strip().split(maxsplit=1), "", ""][:2]
    word = first.lower()
    if not word:
        return Notify(NotifyAction.LIST)
    if word == "me":
        return Notify(NotifyAction.ME, text)
    if word == "all" and not text:
        return Notify(NotifyAction.ALL)
    if word in ("off", "remove"):
        ids = text.split()
        if len(ids) > 1 or (word == "remove" and not ids):
            raise CommandError(f"`notify {word}` takes one rule id", USAGE["notify"])
        rule = ids[0].removeprefix("#") if ids else None
        if rule is not None and not re.fullmatch(r"[0-9]{1,9}", rule):
            raise CommandError(
                f"`{echo(ids[0])}` is not a rule id (digits, as `/recordings notify` lists them)",
                USAGE["notify"],
            )
        action = NotifyAction.OFF if word == "off" else NotifyAction.REMOVE
        return Notify(action, rule_id=int(rule) if rule else None)
    if mention := _CHANNEL_MENTION.fullmatch(first):
        return Notify(NotifyAction.CHANNEL, text, channel_id=mention[1])
    if first.startswith("#"):
        raise CommandError(
            f"pick the channel from the autocomplete list instead of typing `{echo(first)}`",
            USAGE["notify"],
        )
    raise CommandError(
        f"`notify {echo(first)}` is not a notify command: say who gets the notices "
        "(`me` or a #channel)",
        USAGE["notify"],
    )
