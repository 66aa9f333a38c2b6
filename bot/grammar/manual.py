"""The manual: one entry per ``/recordings`` sub-command, the one table help is built from.

Adding a command's help is adding one ``Entry`` to ``COMMANDS``. A test parses every
entry's example with ``parse_command`` and fails when a command type has no entry, so a new
sub-command cannot ship without its help. Text here is plain (``<recording id>``); the help
renderer (``bot.blocks.help``) escapes it for mrkdwn.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.grammar.audit import AUDIT_EXAMPLE, AUDIT_VALUES
from bot.grammar.vocabulary import ADMIN_FILTERS, GRAMMAR_HELP


@dataclass(frozen=True)
class Entry:
    """One sub-command as help shows it."""

    name: str  # the word after /recordings; ``help <name>`` shows ``detail``
    admin_only: bool  # listed for recordings admins only
    usage: str  # what to type after /recordings
    line: str  # what it does, in one line
    example: str  # one real example, as typed after /recordings (a test parses it)
    detail: str  # ``help <name>``: everything else worth knowing


COMMANDS: tuple[Entry, ...] = (
    Entry(
        name="search",
        admin_only=False,
        usage="[filters]",
        line="search your recordings; no filters opens the search form",
        example="inbound yesterday from:+1 732 555 0100",
        detail=GRAMMAR_HELP,
    ),
    Entry(
        name="export",
        admin_only=False,
        usage="export [filters]",
        line="a zip of every recording matching the filters; I tell you when it is ready",
        example="export last 7d >2m type:on-demand",
        detail=(
            "Takes the same filters as a search. Large exports ask before they start; "
            "you get one notice when the zip is ready (or failed), and `/recordings jobs` "
            "shows their state meanwhile."
        ),
    ),
    Entry(
        name="jobs",
        admin_only=False,
        usage="jobs",
        line="your exports and their state, with download links when ready",
        example="jobs",
        detail="Lists your recent exports: running, ready (with the link) or failed.",
    ),
    Entry(
        name="get",
        admin_only=False,
        usage="get <recording id> [type:company|type:on-demand]",
        line="one recording's details, and its audio in your DM",
        example="get 193228",
        detail=(
            "The id is the number a result's Details shows. `od:193228` or "
            "`type:on-demand` picks an on-demand recording, `company:193228` a company one; "
            "without a kind I look in both."
        ),
    ),
    Entry(
        name="whoami",
        admin_only=False,
        usage="whoami",
        line="your VBC user, extensions and what you may search",
        example="whoami",
        detail=(
            "Shows the VBC user you are linked to (by your Slack email, or by an admin), "
            "your extensions, and lets you connect your own VBC login."
        ),
    ),
    Entry(
        name="help",
        admin_only=False,
        usage="help [command]",
        line="this list; `help <command>` for one command's detail",
        example="help get",
        detail="`/recordings help` lists the commands you may use; `help export` explains one.",
    ),
    Entry(
        name="notify",
        admin_only=False,
        usage="notify me [filters] | notify | notify off [rule id]",
        line="a DM for each new recording of yours that matches; your rules; remove them",
        example="notify me inbound >1m",
        detail=(
            "A rule takes the search filters without time words or order, and covers calls "
            "that end after you make it; each matching recording reaches you once, with Play "
            "and Details. `/recordings notify` lists your rules with Remove buttons; "
            '`notify off` removes them all, `notify off 12` one. App Home has a "notify me" '
            "toggle. Admins: `notify me` covers your own recordings, `notify me scope:company` "
            "the company's."
        ),
    ),
    Entry(
        name="notify all",
        admin_only=True,
        usage="notify #channel [filters] | notify all | notify remove <rule id>",
        line="new company recordings posted into a channel; every rule; remove any rule",
        example="notify all",
        detail=(
            "`notify #channel inbound >1m` posts each new company recording that matches into "
            "a channel where sharing is allowed (`channel allow`); Play there follows the "
            "channel's delivery setting and checks whoever clicks. The rule pauses, and admins "
            "get a DM, when sharing there is denied later or the bot is removed from the "
            "channel. More than 10 notices a minute to one place become one digest."
        ),
    ),
    Entry(
        name="delete",
        admin_only=True,
        usage="delete <recording id>",
        line="delete one recording at VBC after a confirmation, with the bot's Slack copies",
        example="delete 193228",
        detail=(
            "A bare number after `delete` is a recording id, read as `get` reads it (`od:42`, "
            "`type:`; `user:@person` for another person's on-demand recording). A modal shows "
            "the recording and takes an optional reason. Legal holds are respected. Members may "
            "delete their own on-demand recordings only where `MEMBERS_MAY_DELETE=true`. "
            "With filters instead of an id it is a bulk delete: `help delete matching`."
        ),
    ),
    Entry(
        name="delete matching",
        admin_only=True,
        usage="delete [filters]",
        line="bulk delete: exactly the recordings that match now, confirmed by typing the count",
        example="delete scope:company until:2023-12-31",
        detail=(
            "You get the exact count and the first rows and confirm by typing the count; "
            "exactly those recordings are deleted (none that match later), one by one, with "
            "progress, Cancel and one notice in your DM. Numbers must be keyed (`from:`, "
            "`to:`) and at least one filter or time window is needed. Held recordings are "
            "kept and named."
        ),
    ),
    Entry(
        name="hold",
        admin_only=True,
        usage='hold <recording id | filters> reason:"…"',
        line="a legal hold: no delete of this bot touches what it covers",
        example='hold from:+1 732 555 0100 last 90d reason:"subpoena 2024-17"',
        detail=(
            "No delete of this bot (single, bulk, retention, Slack copies) touches what a hold "
            "covers; a refusal names the hold and is audited. Filters cover matching "
            "recordings now and later (time words fixed when the hold is made). Holds bind "
            "this bot only, not VBC's portal or VBC's own retention."
        ),
    ),
    Entry(
        name="holds",
        admin_only=True,
        usage="holds",
        line="the legal holds in force",
        example="holds",
        detail="Each hold with its id, what it covers, its reason, who made it and when.",
    ),
    Entry(
        name="release",
        admin_only=True,
        usage="release <hold id>",
        line="end a legal hold",
        example="release 3",
        detail="Its recordings can be deleted again unless another hold covers them.",
    ),
    Entry(
        name="retention",
        admin_only=True,
        usage="retention [slack <days>|off] [vbc <days> [filters]|off]",
        line="delete the bot's Slack copies, or recordings at VBC, after a number of days",
        example="retention vbc 365 type:company",
        detail=(
            "`slack` deletes the audio and zips the bot uploaded `days` after upload and marks "
            "the message that offered them expired. `vbc` announces each daily run to the "
            "admins by DM with its exact count and a Skip button, and deletes exactly those "
            "recordings no sooner than 24 h later, holds excepted. Without arguments it shows "
            "the policies, the next run and the last run. Days are 1 to 3650."
        ),
    ),
    Entry(
        name="link",
        admin_only=True,
        usage="link @person <VBC user id or email>",
        line="link a Slack person to a VBC user",
        example="link <@U0EXAMPLE|jane> jane@example.com",
        detail=(
            "Pick the person from the autocomplete. A link set by an admin wins over the "
            "automatic link by email address."
        ),
    ),
    Entry(
        name="unlink",
        admin_only=True,
        usage="unlink @person",
        line="remove a person's link to VBC (and their Connect VBC login)",
        example="unlink <@U0EXAMPLE|jane>",
        detail="The person is not linked by email again until an admin links them.",
    ),
    Entry(
        name="audit",
        admin_only=True,
        usage="audit [filters]",
        line="who searched, played, exported or shared what",
        example=AUDIT_EXAMPLE.replace("@person", "<@U0EXAMPLE|jane>"),
        detail=(
            f"Filters: `user:@person`, `recording:193228`, {AUDIT_VALUES}, and the time words "
            "and `since:`/`until:` of a search (`today`, `last 7d`, `this month`, "
            "`since:yesterday`, `until:2024-05-31`)."
        ),
    ),
    Entry(
        name="audit export",
        admin_only=True,
        usage="audit export [filters]",
        line="the matching audit rows as a CSV file in your DM",
        example="audit export last 30d",
        detail=(
            "Takes the filters of `audit`; the file holds every matching row (up to 100,000), "
            "formulas defused for spreadsheets. The export itself is audited."
        ),
    ),
    Entry(
        name="channel",
        admin_only=True,
        usage="channel allow|deny|direct|indirect|status",
        line="sharing and direct delivery in the channel you type it in",
        example="channel status",
        detail=(
            "`allow`: people may share recordings here; `deny` (the default) turns sharing "
            "and direct delivery off; `direct`: Play and export results come straight here "
            "(needs `allow`); `indirect`: they go to the person's DM; `status` (anyone) shows "
            "the setting."
        ),
    ),
)

ADMIN_SEARCH = f"*Admin filters:* {ADMIN_FILTERS}"
AUDIT_FILTERS = f"*Audit filters:* {AUDIT_VALUES}"


def entry(name: str) -> Entry | None:
    """The entry for ``help <name>``; ``filters`` and ``/recordings`` mean the search."""
    words = name.lower().removeprefix("/recordings").split() or ["search"]
    for word in (" ".join(words[:2]), words[0]):  # ``audit export``, then ``get`` of ``get 1``
        word = {"filters": "search", "filter": "search"}.get(word, word)
        if found := next((e for e in COMMANDS if e.name == word), None):
            return found
    return None


def entries_for(*, is_admin: bool) -> tuple[Entry, ...]:
    return tuple(e for e in COMMANDS if is_admin or not e.admin_only)
