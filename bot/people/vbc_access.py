"""Which VBC login serves one person's request: their own for their own on-demand recordings.

A person who connected their own VBC login ("Connect VBC") has their on-demand recordings
(``users/{their VBC user id}/call_recordings``: lists, details, audio, exports) read with it.
Company recordings, and an admin's view of anyone else, stay with the integration user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.people.policy import VbcQuery
from bot.vbc.client import VbcClient
from bot.vbc.models import Recording, RecordingKind


@dataclass(frozen=True)
class VbcAccess:
    """The clients for one person: ``own`` (their login, when connected) and the integration
    user's; both share the process's one connection pool."""

    integration: VbcClient
    own: VbcClient | None = None
    own_user_id: str | None = None

    def is_own(self, kind: RecordingKind, vbc_user_id: str | None) -> bool:
        return (
            self.own is not None
            and kind is RecordingKind.ON_DEMAND
            and vbc_user_id is not None
            and vbc_user_id == self.own_user_id
        )

    def for_user(self, kind: RecordingKind, vbc_user_id: str | None) -> VbcClient:
        if self.own is not None and self.is_own(kind, vbc_user_id):
            return self.own
        return self.integration

    def for_query(self, query: VbcQuery) -> VbcClient:
        return self.for_user(query.kind, query.user_id)

    def for_recording(self, recording: Recording) -> VbcClient:
        return self.for_user(recording.kind, recording.owner_user_id)


# (team_id, slack_user_id) -> the access for that person's requests.
AccessFor = Callable[[str, str], Awaitable[VbcAccess]]


def integration_only(vbc: VbcClient) -> AccessFor:
    """Everyone on the integration user (no Connect VBC wired: unit tests, benchmarks)."""
    access = VbcAccess(vbc)

    async def access_for(_team_id: str, _slack_user_id: str) -> VbcAccess:
        return access

    return access_for
