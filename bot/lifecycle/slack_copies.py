"""The bot's own Slack copies of a recording (uploaded audio): deleted from Slack, forgotten.

Deleting a recording deletes its copies too; retention of Slack copies deletes them by age.
Each file is deleted with ``files.delete``, its row forgotten, and the deletion audited
(``slack-copy-delete``); a file Slack no longer has counts as deleted.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.audio.text import slack_error
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.tables import UploadedFile

log = logging.getLogger(__name__)

AUDIT_ACTION = "slack-copy-delete"
_ALREADY_GONE = frozenset({"file_not_found", "file_deleted"})


async def delete_slack_file(client: AsyncWebClient, file_id: str) -> bool:
    """``files.delete``: True when deleted now, False when Slack no longer had it.

    The one call every path that deletes the bot's copies makes (a deletion, the retention
    sweep); other Slack errors raise.
    """
    try:
        await client.files_delete(file=file_id)
    except SlackApiError as exc:
        if slack_error(exc) not in _ALREADY_GONE:
            raise
        return False
    return True


class SlackCopies:
    def __init__(self, *, store: Store, slack: SlackClients) -> None:
        self._store = store
        self._slack = slack

    async def delete_for(self, team_id: str, recording_key: str, *, actor: str) -> int:
        """Delete every copy of ``recording_key`` the bot uploaded; how many went."""
        uploads = await self._store.uploads_of(team_id, recording_key)
        deleted = 0
        for upload in uploads:
            deleted += await self.delete(upload, actor=actor)
        return deleted

    async def which_have_copies(self, team_id: str, keys: list[str]) -> set[str]:
        """The recordings among ``keys`` with copies in Slack: a bulk job asks once a chunk."""
        return await self._store.recordings_with_uploads(team_id, keys)

    async def delete(self, upload: UploadedFile, *, actor: str) -> int:
        """Delete one uploaded file from Slack and forget it; 1 when it is gone, else 0."""
        where = f"file {upload.file_id} in {upload.conversation_id}"
        try:
            client = await self._slack.for_team(upload.team_id)
            if not await delete_slack_file(client, upload.file_id):
                where += " (already gone from Slack)"
        except SlackApiError as exc:
            error = slack_error(exc) or "error"
            log.warning("could not delete Slack %s: %s", where, error)
            await self._audit(upload, actor, "failed", f"{where}: Slack answered {error}")
            return 0
        except LookupError as exc:  # the workspace is no longer installed
            await self._audit(upload, actor, "failed", f"{where}: {exc}")
            return 0
        await self._store.forget_upload(upload.file_id)
        await self._audit(upload, actor, "allowed", where)
        return 1

    async def _audit(self, upload: UploadedFile, actor: str, outcome: str, detail: str) -> None:
        await self._store.audit(
            upload.team_id,
            actor,
            AUDIT_ACTION,
            outcome=outcome,
            target=upload.recording_key,
            detail=detail,
        )
