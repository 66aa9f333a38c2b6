"""App Home: the person's identity and scope, recent recordings, export jobs, a Search button."""

from __future__ import annotations

import logging
from typing import Any

from bot import blocks
from bot.deps import Deps
from bot.grammar import SearchRequest
from bot.people.asker import Asker
from bot.people.policy import AccessRefusedError, plan_search
from bot.search.merge import search_page
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording

log = logging.getLogger(__name__)
RECENT = 5


async def render_home_for(deps: Deps, *, team_id: str, user_id: str) -> dict[str, Any]:
    person = await deps.directory.person(team_id, user_id)
    recent: list[Recording] = []
    if person.identity is not None:
        person_line = f"<@{user_id}> · VBC user {person.identity.display_name or ''} " + (
            f"({person.identity.vbc_user_id})"
        )
        try:
            plan = plan_search(person, SearchRequest())
            access = await deps.recordings.access(Asker(team_id, user_id))
            page = await search_page(
                access, plan, offsets=[0] * len(plan.queries), page_size=RECENT, page=1
            )
            recent = page.recordings
        except (AccessRefusedError, VbcError) as exc:
            log.info("home: no recent recordings for %s: %s", user_id, exc)
    else:
        person_line = f"<@{user_id}> · not linked to VBC yet (`/recordings whoami` explains)"
    jobs = await deps.exports.jobs_for(team_id, user_id) if deps.exports else []
    return blocks.render_home(
        person_line=person_line, scope=person.scope_label, recent=recent, jobs=jobs
    )
