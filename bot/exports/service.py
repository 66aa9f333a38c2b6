"""Bulk exports from Slack: count what matches, confirm, create the VBC jobs, list them.

A member's export is restricted exactly like their search (``plan_search``): one VBC export
job per planned query. The request is stored before VBC is asked (``bot.exports.start``: one
export per click) and its jobs before anyone is told, so the watcher
(``bot.exports.watcher``) in any bot process can carry them to their one notice.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.clock import Clock
from bot.exports import messages as export_messages
from bot.exports.plan import Prepared, count_matching, left_out, prepare_export
from bot.exports.start import ExportStarter
from bot.grammar import FilterError, SearchRequest, format_filter, parse_filter
from bot.people.asker import Asker, zone
from bot.people.directory import Directory
from bot.people.policy import AccessRefusedError
from bot.people.vbc_access import AccessFor, integration_only
from bot.search.merge import CursorState
from bot.search.service import SavedSearch, read_saved_search
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.exports import ExportRows
from bot.store.tables import ExportJobRow, ExportRequest, SearchCursor
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError

log = logging.getLogger(__name__)

Message = dict[str, Any]
CONFIRM_ABOVE = 50  # more recordings than this: ask before starting
JOBS_LISTED = 25


class ExportService:
    def __init__(
        self,
        *,
        vbc: VbcClient,
        store: Store,
        directory: Directory,
        slack: SlackClients,
        clock: Clock,
        region: str = "US",
        on_created: Callable[[], None] | None = None,
        access_for: AccessFor | None = None,
    ) -> None:
        self._access_for = access_for or integration_only(vbc)
        self._store = store
        self._rows = ExportRows(store)
        self._directory = directory
        self._slack = slack
        self._clock = clock
        self._region = region
        self._starter = ExportStarter(
            access_for=self._access_for, store=store, slack=slack, clock=clock
        )
        self.on_created = on_created  # wakes this process's watcher
        # Mints a fresh short-lived link per listing (``ExportLinks.listed_url``, set up later:
        # the link kind re-plans through this service).
        self.listed_url: Callable[[ExportRequest, list[ExportJobRow]], str] | None = None

    # -- listing -----------------------------------------------------------------------------

    async def jobs_for(
        self, team_id: str, user_id: str
    ) -> list[tuple[ExportRequest, list[ExportJobRow]]]:
        """The person's newest export requests with their VBC jobs, ready to show.

        A finished export without a Slack file gets a link minted now, valid briefly, in
        ``result_permalink`` (of the detached row: nothing is written back); stored links
        would outlive the access they were minted for.
        """
        listed = await self._rows.newest_for(team_id, user_id, JOBS_LISTED)
        mint = self.listed_url
        for request, jobs in listed:
            if mint and request.state == "complete" and not request.result_permalink and jobs:
                request.result_permalink = mint(request, jobs)
        return listed

    async def jobs(self, asker: Asker) -> Message:
        return blocks.render_jobs(await self.jobs_for(asker.team_id, asker.user_id))

    # -- starting ----------------------------------------------------------------------------

    async def start(self, asker: Asker, text: str) -> Message:
        """``/recordings export [filters]``: nothing goes to VBC for words that do not parse."""
        try:
            tz = zone((await self._directory.profile(asker.team_id, asker.user_id)).tz)
        except (LookupError, SlackApiError) as exc:  # as searches do: Slack may not tell us
            log.warning("no Slack profile for %s (%s); reading times in UTC", asker.user_id, exc)
            tz = ZoneInfo("UTC")
        try:
            request = parse_filter(text, now=self._clock(), tz=tz, region=self._region)
        except FilterError as exc:
            return blocks.render_error(str(exc))
        return await self._offer(asker, request, tz, cursor_key=None, origin=None)

    async def start_from_results(self, asker: Asker, cursor_key: str) -> Message:
        """The "Export all matching" button under a result page; the cursor holds the search."""
        with contextlib.suppress(ValueError):
            cursor_key, _ = blocks.parse_page_value(cursor_key)  # a "<key>:<page>" value
        try:
            _, cursor_key = export_messages.parse_export_value(
                f"{export_messages.CURSOR_PREFIX}{cursor_key}"
            )
        except ValueError:
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        found = await self._read_cursor(asker, cursor_key)
        if not isinstance(found, SavedSearch):
            return found
        request, tz, cursor = found.request, found.tz, found.cursor
        own = cursor.key if cursor.owner == asker.user_id else None
        origin = _from_cursor(cursor.key, asker)
        return await self._offer(asker, request, tz, cursor_key=own, origin=origin)

    async def confirm(self, asker: Asker, value: str) -> Message:
        """The confirm or retry button: ``c:<cursor key>`` or ``r:<export request id>``."""
        try:
            prefix, key = export_messages.parse_export_value(value)
        except ValueError:
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        if prefix == export_messages.RETRY_PREFIX:
            return await self._retry(asker, key)
        found = await self._read_cursor(asker, key)
        if not isinstance(found, SavedSearch):
            return found
        origin = _from_cursor(key, asker)
        return await self._checked_create(asker, found.request, found.tz, origin=origin)

    async def _retry(self, asker: Asker, request_id: str) -> Message:
        old = await self._rows.get(request_id)
        if old is None or old.team_id != asker.team_id or old.slack_user_id != asker.user_id:
            await self._audit(asker, "refused", request_id, "retry of another person's export")
            return blocks.render_error("That export is not yours, so I can't retry it.")
        tz = zone(old.tz)
        try:
            request = parse_filter(old.request_text, now=self._clock(), tz=tz, region=self._region)
        except FilterError:
            return blocks.render_error("That export can't be repeated; start a new one.")
        origin = f"{export_messages.RETRY_PREFIX}{request_id}"
        return await self._checked_create(asker, request, tz, origin=origin)

    async def _read_cursor(self, asker: Asker, key: str) -> SavedSearch | Message:
        try:
            saved = await read_saved_search(
                self._store, key, asker.team_id, now=self._clock(), region=self._region
            )
        except FilterError:
            return blocks.render_error("That search can't be exported any more; search again.")
        if saved is None:
            return blocks.render_error(
                "These results have expired. Run `/recordings export [filters]` instead."
            )
        return saved

    async def prepare(self, asker: Asker, request: SearchRequest, tz: ZoneInfo) -> Prepared:
        """Plan for whoever clicked, exactly like their search; raises AccessRefusedError."""
        return await prepare_export(self._directory, asker, request, tz)

    async def _offer(
        self,
        asker: Asker,
        request: SearchRequest,
        tz: ZoneInfo,
        *,
        cursor_key: str | None,
        origin: str | None,
    ) -> Message:
        counted = await self._counted(asker, request, tz)
        if isinstance(counted, dict):
            return counted
        prepared, total, exact = counted
        if total <= CONFIRM_ABOVE:
            return await self._create(asker, prepared, total, exact, origin=origin)
        key = cursor_key or await self._save_cursor(asker, prepared)
        words = export_messages.prompt_words(prepared.request, prepared.plan.queries, tz)
        return blocks.render_export_prompt(
            summary=words.summary,
            scope=words.scope,
            kind=words.kind,
            count=total,
            exact=exact,
            value=f"{export_messages.CURSOR_PREFIX}{key}",
            ask_above=CONFIRM_ABOVE,
        )

    async def _checked_create(
        self, asker: Asker, request: SearchRequest, tz: ZoneInfo, *, origin: str
    ) -> Message:
        counted = await self._counted(asker, request, tz)
        if isinstance(counted, dict):
            return counted
        return await self._create(asker, *counted, origin=origin)

    async def _counted(
        self, asker: Asker, request: SearchRequest, tz: ZoneInfo
    ) -> tuple[Prepared, int, bool] | Message:
        """Plan and count for the clicker, or the message that says why not."""
        try:
            prepared = await self.prepare(asker, request, tz)
            access = await self._access_for(asker.team_id, asker.user_id)
            prepared, total, exact = await count_matching(access, prepared)
        except AccessRefusedError as refusal:
            await self._audit(asker, "refused", format_filter(request, tz=tz), str(refusal))
            return blocks.render_error(str(refusal))
        except VbcError as exc:
            return blocks.render_error(f"I couldn't count the recordings to export: {exc}")
        if total == 0:
            words = export_messages.prompt_words(prepared.request, prepared.plan.queries, tz)
            what = " ".join(w for w in (words.kind, "recordings", words.scope) if w)
            none = f"No {what} match {words.summary}" if words.summary else f"There are no {what}"
            return blocks.render_notice(f":mag: {none}, so there is nothing to export.")
        return prepared, total, exact

    async def _save_cursor(self, asker: Asker, prepared: Prepared) -> str:
        state = CursorState(fingerprint=prepared.plan.fingerprint, page_size=1)
        cursor = SearchCursor(
            key=secrets.token_urlsafe(9),
            team_id=asker.team_id,
            owner=asker.user_id,
            request_text=prepared.text,
            tz=str(prepared.tz),
            state=state.dumps(),
        )
        return (await self._store.save_cursor(cursor)).key

    async def _create(
        self, asker: Asker, prepared: Prepared, total: int, exact: bool, *, origin: str | None
    ) -> Message:
        try:
            started = await self._starter.create(asker, prepared, total, exact, origin=origin)
        except AccessRefusedError as refusal:
            await self._audit(asker, "refused", prepared.text, str(refusal))
            return blocks.render_error(str(refusal))
        except VbcError as exc:
            await self._audit(asker, "failed", prepared.text, str(exc))
            return blocks.render_error(f"VBC did not start the export: {exc}")
        if not started.new:
            return started.reply
        ids = ", ".join(j.vbc_job_id for j in started.jobs)
        jobs = export_messages.plural(len(started.jobs), "VBC job")
        await self._audit(asker, "allowed", prepared.text, f"{started.request.id}: {jobs} {ids}")
        if self.on_created is not None:
            self.on_created()
        holds = export_messages.job_parts(started.jobs)
        return export_messages.with_parts(started.reply, holds, left_out=left_out(prepared))

    async def _audit(self, asker: Asker, outcome: str, target: str, detail: str = "") -> None:
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            "export",
            outcome=outcome,
            target=target or "all recordings",
            detail=detail or None,
        )


def _from_cursor(key: str, asker: Asker) -> str:
    """One export per result set and person: the origin of its buttons' clicks."""
    return f"{export_messages.CURSOR_PREFIX}{key}:{asker.user_id}"
