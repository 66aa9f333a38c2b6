"""The search form's submission, checked while the modal is still open.

Slack wants the view_submission answered within 3 s, and only that answer can put errors on
the form's fields. The pure checks (``bot.blocks.modal``) take no time; whose an extension is
comes from the person's link, which keeps their VBC extensions in the database (refreshed
from VBC every few hours, ``Directory``), so it is a database read, not a VBC call. Only a
person not yet linked, or with a stale link, waits on VBC: that wait is capped, and when it
runs out the form is accepted and the search itself answers (it re-checks everything).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.blocks.modal import BLOCK_EXTENSION, ModalErrors, parse_search_modal, typed_extension
from bot.grammar import SearchRequest
from bot.people.policy import Person
from bot.vbc.errors import VbcError

log = logging.getLogger(__name__)

CHECK_BUDGET = 1.5  # seconds of the 3 s ack spent at most on whose an extension is


async def read_search_form(
    values: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    region: str,
    now: datetime,
    person: Callable[[], Awaitable[Person]],
    budget: float = CHECK_BUDGET,
) -> SearchRequest:
    """The form -> SearchRequest; raises ModalErrors naming every bad field at once."""
    errors: dict[str, str] = {}
    request: SearchRequest | None = None
    try:
        request = parse_search_modal(values, tz=tz, region=region, now=now)
    except ModalErrors as exc:
        errors = dict(exc.errors)
    extension = typed_extension(values)
    if extension is not None and BLOCK_EXTENSION not in errors:
        problem = await _extension_problem(extension, person, budget)
        if problem:
            errors[BLOCK_EXTENSION] = problem
    if errors or request is None:
        raise ModalErrors(errors)
    return request


async def _extension_problem(
    extension: str, person: Callable[[], Awaitable[Person]], budget: float
) -> str | None:
    """Why ``extension`` cannot be searched from the form; None when it can, or when we
    cannot tell in time (the search then says so itself)."""
    # Shielded: a lookup still running goes on, and the search right after finds it done.
    lookup = asyncio.ensure_future(person())
    try:
        found = await asyncio.wait_for(asyncio.shield(lookup), timeout=budget)
    except TimeoutError:
        log.info("extension check ran out of time; the search will check it")
        return None
    except (VbcError, LookupError, SlackApiError) as exc:
        log.info("extension check not possible (%s); the search will check it", exc)
        return None
    identity = found.identity
    if identity is None or extension in identity.extensions:
        return None  # not linked: the search explains who to ask
    if not identity.extensions:
        return f"Extension {extension} is not yours: you have no extension in VBC."
    mine = ", ".join(identity.extensions[:10])
    return (
        f"Extension {extension} is not one of yours ({mine}). Use one of those, or leave it empty."
    )
