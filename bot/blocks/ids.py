"""The action_id / callback_id constants and the values our buttons and menus carry.

Renderers and ``handlers/`` both import these, so a button and its listener cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.vbc.models import Recording, RecordingKind

ACTION_DETAILS = "recording_details"
ACTION_PLAY = "recording_play"
ACTION_SHARE = "recording_share"
ACTION_ROW_MENU = "recording_menu"  # compact rows: an overflow of Play / Details
ACTION_PAGE_PREV = "results_prev"
ACTION_PAGE_NEXT = "results_next"
ACTION_EXPORT_ALL = "results_export"
ACTION_OPEN_MODAL = "open_search_modal"
ACTION_CONNECT_VBC = "connect_vbc"
ACTION_RETRY = "retry_action"
ACTION_AUDIT_PREV = "audit_prev"
ACTION_AUDIT_NEXT = "audit_next"
ACTION_JOBS_REFRESH = "jobs_refresh"
ACTION_EXPORT_CONFIRM = "export_confirm"
CALLBACK_SEARCH_MODAL = "search_modal"
CALLBACK_SHORTCUT_SEARCH = "search_recordings"
CALLBACK_MESSAGE_SHORTCUT = "find_recordings_for_number"


# -- recording references in button values --------------------------------------------------


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
    """Inverse of ``recording_ref``; raises ValueError for anything else."""
    tag, _, rest = value.partition(":")
    if tag == "c" and rest.isdigit():
        return RecordingRef(RecordingKind.COMPANY, int(rest))
    owner, _, rec_id = rest.rpartition(":")
    if tag == "o" and rec_id.isdigit() and ":" in rest:
        return RecordingRef(RecordingKind.ON_DEMAND, int(rec_id), owner or None)
    raise ValueError(f"not a recording reference: {value[:40]!r}")


def menu_value(action_id: str, rec: Recording) -> str:
    """An overflow option's value: which action, for which recording."""
    return f"{action_id}|{recording_ref(rec)}"


def parse_menu_value(value: str) -> tuple[str, RecordingRef]:
    """``recording_play|c:1`` -> (ACTION_PLAY, ref); raises ValueError for anything else."""
    action_id, _, ref = value.partition("|")
    if action_id not in (ACTION_PLAY, ACTION_DETAILS, ACTION_SHARE):
        raise ValueError(f"not a recording action: {value[:40]!r}")
    return action_id, parse_recording_ref(ref)


def parse_page_value(value: str) -> tuple[str, int]:
    """``"<key>:<page>"`` -> (key, page); the key may itself contain colons."""
    key, _, page = value.rpartition(":")
    if not key or not page.isdigit() or int(page) < 1:
        raise ValueError(f"not a page button value: {value[:40]!r}")
    return key, int(page)
