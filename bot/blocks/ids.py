"""The action_id / callback_id constants and the values our buttons and menus carry.

Renderers and ``handlers/`` both import these, so a button and its listener cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.vbc.models import Recording, RecordingKind

ACTION_DETAILS = "recording_details"
ACTION_PLAY = "recording_play"  # into the person's DM
ACTION_PLAY_HERE = "recording_play_here"  # into the channel, where it delivers directly
ACTION_SHARE = "recording_share"
ACTION_ROW_MENU = "recording_menu"  # compact rows: an overflow of Play / Details
ACTION_ROW_STATE = "recording_state"  # a row's "⏳ Uploading" / "✓ In your DM" (acked, no-op)
ACTION_PAGE_PREV = "results_prev"
ACTION_PAGE_NEXT = "results_next"
ACTION_EXPORT_ALL = "results_export"
ACTION_OPEN_MODAL = "open_search_modal"
ACTION_CONNECT_VBC = "connect_vbc"
ACTION_DISCONNECT_VBC = "disconnect_vbc"
ACTION_RETRY = "retry_action"
ACTION_AUDIT_PREV = "audit_prev"
ACTION_AUDIT_NEXT = "audit_next"
ACTION_JOBS_REFRESH = "jobs_refresh"
ACTION_EXPORT_CONFIRM = "export_confirm"
ACTION_LINK_MOVE = "link_move"  # an admin confirms moving a VBC user's link to another person
ACTION_DELETE_OPEN = "recording_delete"  # Details' "Delete…": opens the confirmation modal
ACTION_BULK_DELETE_OPEN = "bulk_delete_open"  # opens the modal where the count is typed
ACTION_DELETE_CANCEL = "deletion_cancel"  # on a deletion job's progress message
CALLBACK_DELETE_ONE = "delete_one_modal"
CALLBACK_DELETE_BULK = "delete_bulk_modal"
ACTION_RETENTION_SKIP = "retention_skip"  # value: "run:<retention run id>"
ACTION_NOTICE_REMOVE = "notice_rule_remove"  # value: the rule id
ACTION_NOTICE_TOGGLE = "notice_toggle"  # App Home: "notify me" on / off
CALLBACK_SEARCH_MODAL = "search_modal"
CALLBACK_SHORTCUT_SEARCH = "search_recordings"
CALLBACK_MESSAGE_SHORTCUT = "find_recordings_for_number"


# -- recording references in button values --------------------------------------------------

# A value is a hint the server re-checks; one that could not have come from our renderers is
# refused whole. ``str.isdigit()`` accepts "²" and ``int()`` reads "١٢٣", so numbers are ASCII
# digits only, and short: ids fit VBC's 64-bit integers, pages stay far below any offset limit.
NOT_MY_BUTTON = "That button is not one of mine; search again."
MAX_VALUE_LENGTH = 2000  # Slack's cap on a button or option value
MAX_ID_DIGITS = 18
MAX_PAGE = 1_000_000


def parse_id(text: str) -> int:
    """``"193228"`` -> 193228: 1 to 18 ASCII digits; raises ValueError for anything else."""
    if not (0 < len(text) <= MAX_ID_DIGITS and text.isascii() and text.isdigit()):
        raise ValueError(f"not an id: {text[:40]!r}")
    return int(text)


@dataclass(frozen=True)
class RecordingRef:
    """What a button says about a recording: a hint the server re-checks, never trusted."""

    kind: RecordingKind
    recording_id: int
    owner_user_id: str | None = None


def recording_ref(rec: Recording) -> str:
    """``c:193228`` (company) or ``o:745249:193228`` (on-demand, with its owner)."""
    if rec.kind is RecordingKind.ON_DEMAND:
        return f"o:{rec.owner_user_id or ''}:{rec.id}"
    return f"c:{rec.id}"


def whole_number(text: str) -> int | None:
    """``text`` as a number if it is 1 to 18 ASCII digits (a page in a button), else None.

    ``str.isdigit`` alone also passes ``²`` and 5,000 digits, which ``int`` refuses (raising
    ValueError), and other scripts' digits, which it reads; we render none of them.
    """
    if 0 < len(text) <= 18 and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse_recording_ref(value: str) -> RecordingRef:
    """Inverse of ``recording_ref``; raises ValueError for anything else.

    VBC user ids are numbers too, so an owner is ASCII digits (or empty, as rendered for an
    on-demand recording whose owner VBC did not say).
    """
    tag, *rest = value.split(":", 3)
    try:
        if tag == "c" and len(rest) == 1:
            return RecordingRef(RecordingKind.COMPANY, parse_id(rest[0]))
        if tag == "o" and len(rest) == 2:
            owner, number = rest
            if owner:
                parse_id(owner)
            return RecordingRef(RecordingKind.ON_DEMAND, parse_id(number), owner or None)
    except ValueError:
        pass
    raise ValueError(f"not a recording reference: {value[:40]!r}")


def menu_value(action_id: str, rec: Recording) -> str:
    """An overflow option's value: which action, for which recording."""
    return f"{action_id}|{recording_ref(rec)}"


def parse_menu_value(value: str) -> tuple[str, RecordingRef]:
    """``recording_play|c:1`` -> (ACTION_PLAY, ref); raises ValueError for anything else."""
    action_id, _, ref = value.partition("|")
    if action_id not in (ACTION_PLAY, ACTION_PLAY_HERE, ACTION_DETAILS, ACTION_SHARE):
        raise ValueError(f"not a recording action: {value[:40]!r}")
    return action_id, parse_recording_ref(ref)


def link_move_value(slack_user: str, vbc_user_id: str, holders: frozenset[str]) -> str:
    """``U0NEW|745249|U0OLD``: who to link, to which VBC user, moved from whom (ids only)."""
    return f"{slack_user}|{vbc_user_id}|{','.join(sorted(holders))}"


def parse_link_move_value(value: str) -> tuple[str, str, frozenset[str]]:
    """Inverse of ``link_move_value``; raises ValueError for anything else."""
    parts = value.split("|")
    if len(parts) == 3:
        target, vbc_user_id, held = parts
        holders = held.split(",")
        if (
            _is_slack_user(target)
            and vbc_user_id.isascii()
            and vbc_user_id.isdigit()
            and len(vbc_user_id) <= 32
            and len(holders) <= 20
            and all(_is_slack_user(h) for h in holders)
        ):
            return target, vbc_user_id, frozenset(holders)
    raise ValueError(f"not a link move value: {value[:40]!r}")


def _is_slack_user(text: str) -> bool:
    return (
        3 <= len(text) <= 32
        and text[0] in "UW"
        and text.isascii()
        and text.isalnum()
        and text.isupper()
    )


def parse_page_value(value: str) -> tuple[str, int]:
    """``"<key>:<page>"`` -> (key, page); the key may itself contain colons."""
    key, page = parse_audit_page_value(value)
    if not key or not key.isprintable():
        raise ValueError(f"not a page button value: {value[:40]!r}")
    return key, page


def parse_audit_page_value(value: str) -> tuple[str, int]:
    """``"<audit filter text>:<page>"`` -> (text, page); the text is empty for all events."""
    key, sep, page = value.rpartition(":")
    try:
        number = parse_id(page)
    except ValueError:
        number = 0
    if len(value) > MAX_VALUE_LENGTH or not sep or not 1 <= number <= MAX_PAGE:
        raise ValueError(f"not a page button value: {value[:40]!r}")
    return key, number


# -- retention runs --------------------------------------------------------------------------


def retention_run_value(run_id: int) -> str:
    return f"run:{run_id}"


def parse_retention_run_value(value: str) -> int:
    """``"run:12"`` -> 12; raises ValueError for anything our notices never carried."""
    prefix, _, number = value.partition(":")
    if prefix != "run":
        raise ValueError(f"not a retention run: {value[:40]!r}")
    return parse_id(number)
