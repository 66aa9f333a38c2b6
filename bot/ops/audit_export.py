"""``/recordings audit export [filters]``: the matching audit rows as a CSV in the admin's DM.

The filters are the audit command's own (``bot.grammar.audit``). Rows are read up to the
moment the export starts, so rows written meanwhile neither shift the pages nor appear.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.audio.uploads import UploadError, upload_stream
from bot.clock import Clock
from bot.exports.slack import dm_of
from bot.grammar.audit import AuditQueryError, parse_audit_query
from bot.ops.audit_csv import audit_csv
from bot.people.asker import Asker
from bot.slack_clients import SlackClients
from bot.store import AuditQuery, Store
from bot.store.tables import AuditEvent

log = logging.getLogger(__name__)

Message = dict[str, Any]
MAX_EXPORT_ROWS = 100_000  # about 15 MB of CSV; more is a sign the filters are too wide
PAGE = 1000


class AuditExporter:
    def __init__(
        self,
        *,
        store: Store,
        slack: SlackClients,
        http: httpx.AsyncClient,
        tz_of: Callable[[Asker], Awaitable[ZoneInfo]],
        admins: frozenset[str],
        clock: Clock,
    ) -> None:
        self._store = store
        self._slack = slack
        self._http = http
        self._tz_of = tz_of
        self._admins = admins
        self._clock = clock

    async def export(self, asker: Asker, text: str) -> Message:
        if asker.user_id not in self._admins:
            await self._store.audit(
                asker.team_id, asker.user_id, "audit", outcome="refused", detail=_detail(text)
            )
            return blocks.render_error("Only recordings admins can export the audit log.")
        now = self._clock()
        try:
            query = parse_audit_query(text, tz=await self._tz_of(asker), now=now)
        except AuditQueryError as exc:
            return blocks.render_error(str(exc))
        query = dataclasses.replace(query, until=min(query.until, now) if query.until else now)
        events, total = await self._collect(asker.team_id, query)
        if not events:
            return blocks.render_notice("No audit rows match those filters; nothing to export.")
        data = audit_csv(events)
        name = f"audit-{now:%Y-%m-%d-%H%M}.csv"
        try:
            client = await self._slack.for_team(asker.team_id)
            dm = await dm_of(client, asker.user_id)
            await upload_stream(
                client,
                self._http,
                filename=name,
                length=len(data),
                chunks=_once(data),
                title=name,
                channel_id=dm,
                initial_comment=f"Audit log export: {_rows(len(events))}"
                + (f" matching `{text}`" if text else ""),
            )
        except (UploadError, SlackApiError) as exc:
            log.warning("audit export: the upload failed (%s)", type(exc).__name__)
            await self._store.audit(
                asker.team_id, asker.user_id, "audit", outcome="failed", detail=_detail(text)
            )
            reason = str(exc) if isinstance(exc, UploadError) else "Slack refused it"
            return blocks.render_error(f"I could not upload the CSV ({reason}). Try again.")
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            "audit",
            outcome="allowed",
            detail=f"export of {_rows(len(events))}: {text}".rstrip(": "),
        )
        more = (
            f" It holds the newest {len(events)} of {total}; narrow the filters "
            "(since:/until:) for the rest."
            if total > len(events)
            else ""
        )
        return blocks.render_notice(
            f":white_check_mark: The CSV of {_rows(len(events))} is in your DM with me.{more}"
        )

    async def _collect(self, team_id: str, query: AuditQuery) -> tuple[list[AuditEvent], int]:
        """Newest first, up to ``MAX_EXPORT_ROWS``; written out oldest first."""
        events: list[AuditEvent] = []
        total = 0
        while len(events) < MAX_EXPORT_ROWS:
            page, total = await self._store.audit_events(
                team_id, query, offset=len(events), limit=min(PAGE, MAX_EXPORT_ROWS - len(events))
            )
            events.extend(page)
            if len(page) < PAGE:
                break
        return events[::-1], total


def _rows(count: int) -> str:
    return f"{count} audit row" if count == 1 else f"{count:,} audit rows"


def _detail(text: str) -> str:
    return f"export {text}".strip()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
