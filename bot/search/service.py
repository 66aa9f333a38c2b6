"""The search service: from a person and their words to a rendered page of recordings.

Every step re-checks the person who clicked (never a button's value alone) and leaves an
audit event; expected failures come back as clear ephemeral messages. Fetching one recording
(Details, ``get``, Play) is ``bot.search.lookup``.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.clock import Clock
from bot.grammar import (
    FilterError,
    SearchRequest,
    describe_recordings,
    format_filter,
    parse_filter,
)
from bot.people.asker import Asker, zone
from bot.people.directory import Directory
from bot.people.policy import AccessRefusedError, Person, Plan
from bot.people.vbc_access import AccessFor
from bot.search.form import read_search_form
from bot.search.lookup import RecordingLookup
from bot.search.merge import CursorState, ResultPage, recording_key, search_page
from bot.search.shown import ShownPage, row_views
from bot.store import Store
from bot.store.tables import AuditEvent, SearchCursor
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError
from bot.vbc.filter import ORDER_NEWEST
from bot.vbc.models import RecordingKind

log = logging.getLogger(__name__)

Message = dict[str, Any]
DEFAULT_PAGE_SIZE = 10


@dataclass(frozen=True)
class PageReply:
    message: Message
    in_place: bool = False  # replace the clicked message (only the asker's own results)


@dataclass(frozen=True)
class SavedSearch:
    """A search behind a results message's short key, read back in its asker's zone."""

    cursor: SearchCursor
    request: SearchRequest
    tz: ZoneInfo


async def read_saved_search(
    store: Store, key: str, team_id: str, *, now: datetime, region: str
) -> SavedSearch | None:
    """None when the key is unknown or another workspace's; raises FilterError when the
    stored text no longer reads (paging and "Export all matching" both start here)."""
    cursor = await store.get_cursor(key)
    if cursor is None or cursor.team_id != team_id:
        return None
    tz = zone(cursor.tz)
    request = parse_filter(cursor.request_text, now=now, tz=tz, region=region)
    return SavedSearch(cursor=cursor, request=request, tz=tz)


class RecordingsService(RecordingLookup):
    """Searches and their pages, on top of the one-recording lookup that results lead to."""

    def __init__(
        self,
        *,
        vbc: VbcClient,
        store: Store,
        directory: Directory,
        clock: Clock,
        region: str = "US",
        default_page_size: int = DEFAULT_PAGE_SIZE,
        access_for: AccessFor | None = None,
        members_may_delete: bool = False,
    ) -> None:
        super().__init__(
            vbc=vbc,
            store=store,
            directory=directory,
            access_for=access_for,
            members_may_delete=members_may_delete,
        )
        self._clock = clock
        self._region = region
        self._page_size = default_page_size

    async def tz_of(self, asker: Asker) -> ZoneInfo:
        """The asker's Slack time zone; UTC if Slack cannot tell us (and we say so in logs)."""
        try:
            profile = await self._directory.profile(asker.team_id, asker.user_id)
        except (LookupError, SlackApiError) as exc:
            log.warning("no Slack profile for %s (%s); reading times in UTC", asker.user_id, exc)
            return ZoneInfo("UTC")
        return zone(profile.tz)

    def now(self) -> datetime:
        """The injected clock's time, for time words read outside a search (audit filters)."""
        return self._clock()

    def _now(self) -> datetime:
        return self._clock().replace(microsecond=0)

    async def read_form(
        self, asker: Asker, values: Mapping[str, Any], *, tz: ZoneInfo, region: str
    ) -> SearchRequest:
        """The search form, checked before its modal closes; raises ModalErrors."""
        return await read_search_form(
            values,
            tz=tz,
            region=region,
            now=self._clock(),
            person=functools.partial(self._directory.person, asker.team_id, asker.user_id),
        )

    async def parse(self, asker: Asker, text: str) -> SearchRequest:
        """Parse in the asker's time zone; raises FilterError before any VBC call."""
        tz = await self.tz_of(asker)
        return parse_filter(text, now=self._clock(), tz=tz, region=self._region)

    async def search(self, asker: Asker, request: SearchRequest) -> Message:
        tz = await self.tz_of(asker)
        pinned = request.filter.start_lte is None
        if pinned:
            # Pin the window's end, so recordings arriving while someone pages do not shift
            # rows from one page to the next.
            request = replace(request, filter=replace(request.filter, start_lte=self._now()))
        text = format_filter(request, tz=tz)
        try:
            person = await self._directory.person(asker.team_id, asker.user_id)
            plan = await self._plan(person, request)
        except AccessRefusedError as refusal:
            await self._audit(asker, "search", "refused", text, str(refusal))
            return blocks.render_error(str(refusal))
        except VbcError as exc:
            await self._audit(asker, "search", "failed", text, str(exc))
            # Kept with no plan: its Retry plans again, then searches (``_turn``).
            kept = self._cursor(asker, text, tz, CursorState(fingerprint="", page_size=0))
            await self._store.save_cursor(kept)
            return blocks.render_error(str(exc), retry_value=f"page:{kept.key}:1")
        size = request.filter.page_size or self._page_size
        state = CursorState(fingerprint=plan.fingerprint, page_size=size, pages=[], pinned=pinned)
        cursor = self._cursor(asker, text, tz, state)
        return await self._show(asker, request, plan, cursor, state, page=1)

    def _cursor(self, asker: Asker, text: str, tz: ZoneInfo, state: CursorState) -> SearchCursor:
        return SearchCursor(
            key=secrets.token_urlsafe(9),
            team_id=asker.team_id,
            owner=asker.user_id,
            request_text=text,
            tz=str(tz),
            state=state.dumps(),
        )

    async def page(self, asker: Asker, cursor_key: str, page: int) -> PageReply:
        """Prev/Next: re-plan for whoever clicked; another person starts their own search.

        Only the asker's own results are replaced in place; anyone else gets a new reply.
        """
        expired = blocks.render_error(
            "These results have expired. Run the search again with `/recordings`."
        )
        try:
            saved = await read_saved_search(
                self._store, cursor_key, asker.team_id, now=self._clock(), region=self._region
            )
        except FilterError:
            return PageReply(
                blocks.render_error("These results can't be paged any more; search again.")
            )
        if saved is None:
            await self._audit(asker, "page", "refused", cursor_key[:64], "unknown cursor")
            return PageReply(expired)
        cursor, request = saved.cursor, saved.request
        if cursor.owner != asker.user_id:
            await self._audit(asker, "page", "refused", cursor.request_text, "not the asker")
            return PageReply(await self.search(asker, request))
        return PageReply(await self._turn(asker, cursor, request, page), in_place=True)

    async def _turn(
        self, asker: Asker, cursor: SearchCursor, request: SearchRequest, page: int
    ) -> Message:
        try:
            person = await self._directory.person(asker.team_id, asker.user_id)
            plan = await self._plan(person, request)
        except AccessRefusedError as refusal:
            await self._audit(asker, "page", "refused", cursor.request_text, str(refusal))
            return blocks.render_error(str(refusal))
        except VbcError as exc:
            return blocks.render_error(str(exc), retry_value=f"page:{cursor.key}:{page}")
        state = CursorState.loads(cursor.state)
        if state.fingerprint != plan.fingerprint or not 1 <= page <= max(1, len(state.pages)):
            return await self.search(asker, request)
        return await self._show(asker, request, plan, cursor, state, page=page)

    async def _show(
        self,
        asker: Asker,
        request: SearchRequest,
        plan: Plan,
        cursor: SearchCursor,
        state: CursorState,
        *,
        page: int,
    ) -> Message:
        tz = zone(cursor.tz)
        if page == 1 and not state.pages:
            state.pages.append([0] * len(plan.queries))
        offsets = state.pages[page - 1]
        try:
            result = await search_page(
                await self.access(asker),
                plan,
                offsets=offsets,
                page_size=state.page_size,
                page=page,
                exclude=state.shown_before(page),
            )
        except VbcError as exc:
            cursor.state = state.dumps()
            await self._store.save_cursor(cursor)  # so the Retry button finds it
            await self._audit(asker, "search", "failed", cursor.request_text, str(exc))
            return blocks.render_error(str(exc), retry_value=f"page:{cursor.key}:{page}")
        if len(state.pages) == page and result.has_next:
            state.pages.append(result.next_offsets)
        state.remember(page, [recording_key(r) for r in result.recordings])
        if state.pinned:  # the person never typed that end time: don't show it
            request = replace(request, filter=replace(request.filter, start_lte=None))
        summary = describe_recordings(request, tz=tz, now=self._clock())
        shown = ShownPage(result, summary, plan.scope, _mixed(plan, result))
        state.view = shown.to_json() if result.recordings else None
        cursor.state = state.dumps()
        event = AuditEvent(
            team_id=asker.team_id,
            actor=asker.user_id,
            action="search" if page == 1 else "page",
            outcome="allowed",
            target=cursor.request_text[:255],
            detail=f"page {page}: {plan.scope}",
        )
        await self._store.save_cursor(cursor, event)  # one transaction for both
        if not result.recordings:
            return blocks.render_empty(
                summary=summary, scope=plan.scope, suggestion=_suggestion(request)
            )
        return await self._draw(asker, cursor.key, shown)

    async def redraw(
        self, asker: Asker, cursor_key: str, links: Mapping[str, str] | None = None
    ) -> Message | None:
        """The results message behind ``cursor_key`` as it stands, without asking VBC.

        None unless it is ``asker``'s own list with a page on screen: only the person who
        searched sees (and so may have redrawn) that ephemeral message. ``links``: download
        links just made, by recording ref (never stored).
        """
        shown = await self._on_screen(asker, cursor_key)
        if shown is None:
            return None
        return await self._draw(asker, cursor_key, shown, links)

    async def shows_list(self, asker: Asker, cursor_key: str) -> bool:
        """Whether ``redraw`` would draw that list, without drawing it (one database read)."""
        return await self._on_screen(asker, cursor_key) is not None

    async def _on_screen(self, asker: Asker, cursor_key: str) -> ShownPage | None:
        """The page ``asker``'s own list behind ``cursor_key`` shows; None if not theirs."""
        cursor = await self._store.get_cursor(cursor_key)
        if cursor is None or (cursor.team_id, cursor.owner) != (asker.team_id, asker.user_id):
            return None
        view = CursorState.loads(cursor.state).view
        return None if view is None else ShownPage.from_json(view)

    async def _draw(
        self,
        asker: Asker,
        cursor_key: str,
        shown: ShownPage,
        links: Mapping[str, str] | None = None,
    ) -> Message:
        can_share, play_here = await self.offers(asker)
        return blocks.render_results(
            shown.page,
            cursor_key=cursor_key,
            summary=shown.summary,
            scope=shown.scope,
            show_kind=shown.show_kind,
            can_share=can_share,
            play_here=play_here,
            rows=row_views(await self._store.row_states(cursor_key), links or {}),
        )

    async def _plan(self, person: Person, request: SearchRequest) -> Plan:
        plan = await self._directory.plan_for(person, request)
        order = request.filter.order or ORDER_NEWEST
        return replace(
            plan,
            queries=tuple(
                replace(q, filter=replace(q.filter, order=order, page=None, page_size=None))
                for q in plan.queries
            ),
        )


def _mixed(plan: Plan, result: ResultPage) -> bool:
    return len({q.kind for q in plan.queries}) > 1 or any(
        r.kind is RecordingKind.ON_DEMAND for r in result.recordings
    )


def _suggestion(request: SearchRequest) -> str:
    """What to loosen, naming only the filters the person actually gave."""
    f = request.filter
    hints: list[str] = []
    if f.call_id:
        hints.append("check the call id (Details shows a recording's call id)")
    if f.caller_id or f.dnis or request.numbers:
        hints.append("check the number, or search by `name:` instead")
    if f.cnam:
        hints.append("use part of the caller name, e.g. one word")
    if f.duration_gte or f.duration_lte:
        hints.append("drop the duration filter")
    if f.call_direction:
        hints.append("drop the direction")
    if f.extension:
        hints.append("drop `ext:`")
    if f.start_gte or f.start_lte:
        hints.append("widen the time window, e.g. `last 30d`")
    if not hints:
        return "Try `/recordings last 30d` to see your most recent recordings."
    return "Try to " + "; or ".join(hints[:3]) + "."
