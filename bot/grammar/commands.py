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
from bot.grammar.verbs import suggest_verb
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
class DeleteOne:
    """``delete 193228`` / ``delete od:193228 user:@person``: one recording, read as ``get``."""

    recording_id: str
    kind: RecordingKind | None = None
    user: str | None = None  # whose on-demand recording (Slack user id; admins)


@dataclass(frozen=True)
class DeleteMatching:
    """``delete [filters]``: every recording the filters match now (admins)."""

    text: str


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
class AuditExport:
    """``audit export [filters]``: the audit filters' text, read by ``bot.grammar.audit``."""

    text: str


@dataclass(frozen=True)
class Help:
    topic: str = ""  # ``help get``: that command's detail; empty for the whole manual


@dataclass(frozen=True)
class Channel:
    action: ChannelAction


@dataclass(frozen=True)
class Hold:
    text: str  # read by ``bot.grammar.holds`` once the asker is known to be an admin


@dataclass(frozen=True)
class Holds:
    pass


@dataclass(frozen=True)
class Release:
    text: str


@dataclass(frozen=True)
class Retention:
    text: str


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


Command = (
    Search
    | Export
    | Jobs
    | Get
    | DeleteOne
    | DeleteMatching
    | Link
    | Unlink
    | WhoAmI
    | Audit
    | AuditExport
    | Help
    | Channel
    | Hold
    | Holds
    | Release
    | Retention
    | Notify
)

USAGE = {
    "get": "/recordings get <recording id> [type:company|type:on-demand]",
    "delete": "/recordings delete <recording id> [user:@person] | delete [filters]",
    "link": "/recordings link @person <VBC user id or email>",
    "unlink": "/recordings unlink @person",
    "channel": "/recordings channel allow|deny|direct|indirect|status",
    "jobs": "/recordings jobs",
    "whoami": "/recordings whoami",
    "notify": "/recordings notify me [filters] | notify #channel [filters] | notify | "
    "notify off [rule id] | notify remove <rule id> | notify all",
}

RECORDING_KINDS = {  # an id's ``od:``/``company:`` prefix or ``type:`` word
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
        return Help(" ".join(rest.lower().split()[:2]))
    if (suggestion := suggest_verb(word, rest)) is not None:
        raise CommandError(suggestion)
    if word == "export":
        return Export(rest)
    if word == "audit":
        sub, audit_rest = [*rest.split(maxsplit=1), "", ""][:2]
        if sub.lower() == "export":
            return AuditExport(audit_rest)
        return Audit(rest)
    if word in ("jobs", "whoami"):
        if args:
            raise CommandError(f"`{word}` takes nothing after it", USAGE[word])
        return Jobs() if word == "jobs" else WhoAmI()
    if word == "get":
        return _get(args)
    if word == "delete":
        return _delete(args, rest)
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
    if word in ("hold", "release", "retention", "holds"):
        return _lifecycle(word, rest)
    if word == "notify":
        return _notify(rest)
    return Search(stripped)


def _lifecycle(word: str, rest: str) -> Command:
    if word == "holds":
        if rest.strip():
            raise CommandError("`holds` takes nothing after it", "/recordings holds")
        return Holds()
    if word == "hold":
        return Hold(rest)
    return Release(rest) if word == "release" else Retention(rest)


def _get(args: list[str]) -> Get:
    if not args or len(args) > 2:
        raise CommandError("get needs one recording id", USAGE["get"])
    prefix, _, number = args[0].rpartition(":")
    kind = RECORDING_KINDS.get(prefix.lower()) if prefix else None
    if prefix and kind is None:
        raise CommandError(f"`{echo(prefix)}:` is not a recording kind", USAGE["get"])
    if len(args) == 2:
        kind_word = args[1].lower().removeprefix("type:")
        if not args[1].lower().startswith("type:") or kind_word not in RECORDING_KINDS:
            raise CommandError(f"`{echo(args[1])}` is not a recording type", USAGE["get"])
        if kind is not None and kind is not RECORDING_KINDS[kind_word]:
            raise CommandError("that id has two different types", USAGE["get"])
        kind = RECORDING_KINDS[kind_word]
    number = number.removeprefix("#")
    if not re.fullmatch(r"[0-9]{1,18}", number):
        raise CommandError(f"`{echo(args[0])}` is not a recording id (digits only)", USAGE["get"])
    return Get(number, kind)


def _delete(args: list[str], rest: str) -> DeleteOne | DeleteMatching:
    """A first word that is an id (as ``get`` reads one) deletes that recording; anything else
    is filters, where a number must be keyed (``from:``/``to:``) since a bare one is an id."""
    if not args:
        raise CommandError(
            "`delete` needs a recording id (`delete 193228`) or filters with a time window "
            "(`delete scope:company until:2023-12-31`); nothing was deleted",
            USAGE["delete"],
        )
    prefix, _, number = args[0].rpartition(":")
    if (not prefix or prefix.lower() in RECORDING_KINDS) and _ID.fullmatch(
        number.removeprefix("#")
    ):
        return _delete_one(args)
    keyed = False  # inside ``from:+1 (732) 555-0100``: its later parts are not bare
    for token in _unquoted(rest):
        phone_ish = _BARE_NUMBER.fullmatch(token) is not None
        if token.lower().startswith(("from:", "to:")):
            keyed = True
        elif not phone_ish:
            keyed = False
        elif not keyed:
            raise CommandError(
                f"in a bulk delete a number must be keyed: `from:{echo(token)}` or "
                f"`to:{echo(token)}` (a bare number after `delete` is one recording id, as after "
                "`get`); nothing was deleted",
                USAGE["delete"],
            )
    return DeleteMatching(rest)


def _delete_one(args: list[str]) -> DeleteOne:
    kind_args = [a for a in args[1:] if a.lower().startswith("type:")]
    users = [a for a in args[1:] if a.lower().startswith("user:")]
    others = [a for a in args[1:] if a not in kind_args and a not in users]
    if others or len(users) > 1:
        raise CommandError(
            f"after a recording id only `type:` and `user:@person` may follow, not "
            f"`{echo(' '.join(others or users))}`; to delete by filters, key numbers with "
            "`from:` or `to:`",
            USAGE["delete"],
        )
    got = _get([args[0], *kind_args])
    user = _person(users[0][len("user:") :], "delete") if users else None
    return DeleteOne(got.recording_id, got.kind, user)


_ID = re.compile(r"[0-9]{1,18}")
_BARE_NUMBER = re.compile(r"[+(]*[0-9][0-9()\-.]*")  # phone-ish, unkeyed; no backtracking


def _unquoted(text: str) -> list[str]:
    """Whitespace-separated words outside quotes (``name:"john 2"`` holds no bare number)."""
    words: list[str] = []
    quoted = False
    for word in text.split():
        if not quoted:
            words.append(word)
        quoted ^= (word.count('"') + word.count("\u201c") + word.count("\u201d")) % 2 == 1
    return words


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
