"""A member cannot tell an id that does not exist from a recording that is not theirs.

Every way in that names a recording by id (``/recordings get``, forged Details / Play buttons,
a signed link) gives a member the byte-identical answer for both; admins, who may see every
recording, still get VBC's own answer, and the audit log keeps the precise reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot import blocks
from bot.store import AuditQuery
from tests.integration.access import member_on_demand, other_recording
from tests.integration.conftest import ADMIN, MEMBER, TEAM, UNLINKED, Stack

RECORDING_API = "/t/vbc.prod/call_recording/api"


def missing_id(stack: Stack) -> int:
    """An id VBC has never given to any recording."""
    dataset = stack.sim.state.dataset
    taken = [r.id for r in dataset.company] + [r.id for r in dataset.on_demand]
    found = max(taken) + 7919
    assert stack.sim.state.recording(found) is None
    return found


def other_on_demand(stack: Stack) -> tuple[str, int]:
    """(owner, id) of an on-demand recording of another person."""
    other = stack.sim.state.users[1]
    rec = next(r for r in stack.sim.state.dataset.on_demand if r.owner_user_id == other.id)
    return str(other.id), rec.id


async def answer(stack: Stack, send: Callable[[], Awaitable[object]]) -> dict[str, Any]:
    """What the person saw in reply to one request: the response_url post's whole payload."""
    before = len(stack.slack.responses)
    await send()
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=15)
    return dict(stack.slack.responses[-1].args)


async def get(stack: Stack, user: str, recording_id: int) -> dict[str, Any]:
    return await answer(stack, lambda: stack.driver.command(user, f"get {recording_id}"))


async def press(stack: Stack, user: str, action_id: str, value: str) -> dict[str, Any]:
    return await answer(stack, lambda: stack.driver.click(user, action_id, value))


async def test_get_answers_a_member_alike_for_missing_and_not_theirs(stack: Stack) -> None:
    taken, missing = other_recording(stack).id, missing_id(stack)
    assert await get(stack, MEMBER, taken) == await get(stack, MEMBER, missing)
    assert "does not exist or is not yours" in (await get(stack, MEMBER, missing))["text"]
    # The audit log keeps the reason; an admin, who may see any recording, gets VBC's answer.
    store = stack.bot.runtime.services.store
    events, _ = await store.audit_events(
        TEAM, AuditQuery(actor=MEMBER, action="get"), offset=0, limit=20
    )
    company = {
        (e.target, e.outcome, e.detail) for e in events if (e.target or "").startswith("company")
    }
    assert company == {
        (f"company:{taken}", "refused", "not the person's recording"),
        (f"company:{missing}", "failed", "VBC could not find that recording."),
    }
    assert "could not find that recording" in (await get(stack, ADMIN, missing))["text"]


async def test_forged_buttons_answer_a_member_alike(stack: Stack) -> None:
    owner, on_demand = other_on_demand(stack)
    own = member_on_demand(stack).owner_user_id
    for action_id in (blocks.ACTION_DETAILS, blocks.ACTION_PLAY):
        answers = [
            await press(stack, MEMBER, action_id, f"c:{other_recording(stack).id}"),
            await press(stack, MEMBER, action_id, f"c:{missing_id(stack)}"),
            await press(stack, MEMBER, action_id, f"o:{owner}:{on_demand}"),
            await press(stack, MEMBER, action_id, f"o:{own}:{missing_id(stack)}"),
        ]
        assert all(a == answers[0] for a in answers), (action_id, answers)
    assert stack.slack.uploads == {}


async def test_signed_links_answer_a_member_alike(stack: Stack) -> None:
    links = stack.bot.runtime.services.links
    assert links is not None

    def url(recording_id: int) -> str:
        found, _ = links.url_for(
            "audio", team_id=TEAM, user_id=MEMBER, subject=f"c:{recording_id}", filename="x.mp3"
        )
        return stack.bot.url + urlsplit(found).path  # PUBLIC_URL is not where it listens

    async with httpx.AsyncClient(timeout=30) as http:
        not_theirs = await http.get(url(other_recording(stack).id))
        missing = await http.get(url(missing_id(stack)))
    assert (not_theirs.status_code, not_theirs.text) == (missing.status_code, missing.text)
    assert not_theirs.status_code == 403


async def test_an_unlinked_person_is_told_to_link_without_asking_vbc(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    exists = await get(stack, UNLINKED, other_recording(stack).id)
    missing = await get(stack, UNLINKED, missing_id(stack))
    details = await press(stack, UNLINKED, blocks.ACTION_DETAILS, f"c:{missing_id(stack)}")
    assert exists == missing
    assert exists["text"] == details["text"]
    assert "don't know who you are" in exists["text"]
    assert not [e for e in stack.sim.state.requests if e["path"].startswith(RECORDING_API)]
