"""App Home: the person's identity and scope, recent recordings, export jobs, a Search button."""

from __future__ import annotations

import logging
from typing import Any

from bot import blocks
from bot.blocks.lifecycle_views import home_lifecycle_blocks
from bot.exports import ExportService
from bot.grammar import SearchRequest
from bot.lifecycle.holds import HoldService
from bot.lifecycle.retention import RetentionService
from bot.notices.rules import NoticeRules
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.people.policy import AccessRefusedError, plan_search
from bot.search.merge import search_page
from bot.search.service import RecordingsService
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording

log = logging.getLogger(__name__)
RECENT = 5


class AppHome:
    def __init__(
        self,
        *,
        directory: Directory,
        recordings: RecordingsService,
        exports: ExportService,
        holds: HoldService,
        retention: RetentionService,
        notices: NoticeRules,
    ) -> None:
        self._notices = notices
        self._directory = directory
        self._recordings = recordings  # whose VBC login reads the person's recent recordings
        self._exports = exports
        self._holds = holds  # admins see the holds standing and the next retention run
        self._retention = retention

    async def render(self, asker: Asker) -> dict[str, Any]:
        """The Home tab view for the asker, published as is by ``views.publish``."""
        team_id, user_id = asker.team_id, asker.user_id
        person = await self._directory.person(team_id, user_id)
        recent: list[Recording] = []
        if person.identity is not None:
            person_line = f"<@{user_id}> · VBC user {person.identity.display_name or ''} " + (
                f"({person.identity.vbc_user_id})"
            )
            try:
                plan = plan_search(person, SearchRequest())
                access = await self._recordings.access(asker)
                page = await search_page(
                    access, plan, offsets=[0] * len(plan.queries), page_size=RECENT, page=1
                )
                recent = page.recordings
            except (AccessRefusedError, VbcError) as exc:
                log.info("home: no recent recordings for %s: %s", user_id, exc)
        else:
            person_line = f"<@{user_id}> · not linked to VBC yet (`/recordings whoami` explains)"
        jobs = await self._exports.jobs_for(team_id, user_id)
        lifecycle = (
            home_lifecycle_blocks(
                await self._holds.active(team_id), await self._retention.status(team_id)
            )
            if person.is_admin
            else []
        )
        return blocks.render_home(
            person_line=person_line,
            scope=person.scope_label,
            recent=recent,
            jobs=jobs,
            admin_blocks=lifecycle,
            notices=await self._notices.home(asker, person),
        )
