"""Which VBC operation a request is (pure): the closed set of names metrics count calls by."""

from __future__ import annotations

from collections.abc import Callable

# (operation, status or failure, seconds): what the transport reports for each attempt.
VbcObserver = Callable[[str, str, float], None]

_COLLECTION = {
    "company_call_recordings": ("company_recordings", "company_recording"),
    "call_recordings": ("user_recordings", "user_recording"),
}


def operation_of(method: str, path: str) -> str:
    """``list_company_recordings``, ``get_export_job``, ``list_users`` ...; ``other`` if unknown.

    Ids in the path never become part of the name, so the set of names stays small.
    """
    segments = [s for s in path.split("/") if s]
    method = method.upper()
    for collection, (many, one) in _COLLECTION.items():
        if collection in segments:
            rest = segments[segments.index(collection) + 1 :]
            return _recordings(method, rest, many, one)
    if "provisioning" in segments and "accounts" in segments:
        rest = segments[segments.index("accounts") + 2 :]
        if rest == ["users"]:
            return "list_users"
        if len(rest) == 2 and rest[0] == "users":
            return "get_user"
        if rest == ["extensions"]:
            return "list_extensions"
    return "other"


def _recordings(method: str, rest: list[str], many: str, one: str) -> str:
    if not rest:
        return f"list_{many}" if method == "GET" else "other"
    if rest == ["export"] and method == "POST":
        return f"export_{many}"
    if rest[0] == "jobs":
        return "list_export_jobs" if len(rest) == 1 else "get_export_job"
    if len(rest) == 1:
        return {"GET": f"get_{one}", "DELETE": f"delete_{one}"}.get(method, "other")
    return "download" if method == "GET" else "other"
