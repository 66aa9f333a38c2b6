"""What an export covers (for the person asking, exactly like their search), how many, and
the VBC jobs that build it: one export job per planned query.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.exports.messages import part_labels
from bot.grammar import SearchRequest, describe_filter, format_filter
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.people.policy import Plan, VbcQuery
from bot.people.vbc_access import VbcAccess
from bot.store.tables import ExportJobRow
from bot.vbc.client import VbcClient
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import Page, Recording, RecordingKind

JOBS_USER = "self"  # VBC lists export jobs under the user who started them: the bot's login


@dataclass(frozen=True)
class Prepared:
    """A parsed, access-checked export request, ready to count or start."""

    request: SearchRequest
    plan: Plan
    text: str  # canonical filter text: re-read on retry with the same absolute times
    tz: ZoneInfo
    summary: str
    counts: tuple[int, ...] | None = None  # per query, once counted: no job for an empty one

    @property
    def digest(self) -> str:
        """The access this export is made with: the exact VBC queries, hashed for storage."""
        return hashlib.sha256(self.plan.fingerprint.encode()).hexdigest()


async def prepare_export(
    directory: Directory, asker: Asker, request: SearchRequest, tz: ZoneInfo
) -> Prepared:
    """The person's plan (raises AccessRefusedError); export bodies carry filters only."""
    person = await directory.person(asker.team_id, asker.user_id)
    plan = await directory.plan_for(person, request)
    plan = replace(plan, queries=tuple(replace(q, filter=_bare(q.filter)) for q in plan.queries))
    text = format_filter(replace(request, filter=_bare(request.filter)), tz=tz)
    return Prepared(request, plan, text, tz, describe_filter(request, tz=tz))


async def count_matching(access: VbcAccess, prepared: Prepared) -> tuple[Prepared, int, bool]:
    """How many recordings match: ``total_items`` of page 1 (size 1) per query; exact?

    The plan comes back with the count of each query, so a query that matches nothing gets
    no VBC job (whose zip would be empty).
    """
    pages = await asyncio.gather(*(_first(access.for_query(q), q) for q in prepared.plan.queries))
    counts = tuple(p.total_items for p in pages)
    return replace(prepared, counts=counts), sum(counts), prepared.plan.disjoint


async def start_jobs(access: VbcAccess, prepared: Prepared, request_id: str) -> list[ExportJobRow]:
    """One VBC export per query that matched something, in order; raises VbcError (the POST
    is never retried). Each job keeps what its zip holds, named among all the queries.

    A person's own on-demand recordings are exported with their own login when they connected
    VBC; that job is then theirs, read under their user (by the integration user, like any
    other user's recordings).
    """
    queries = prepared.plan.queries
    labels = part_labels(queries)
    counts = prepared.counts or (None,) * len(queries)
    jobs: list[ExportJobRow] = []
    for query, label, count in zip(queries, labels, counts, strict=True):
        if count == 0:
            continue  # its zip would hold nothing: not requested
        vbc = access.for_query(query)
        jobs_user = JOBS_USER
        if query.kind is RecordingKind.ON_DEMAND and query.user_id:
            ids = await vbc.export_user_recordings(query.user_id, query.filter)
            if access.is_own(query.kind, query.user_id):
                jobs_user = query.user_id
        else:
            ids = await vbc.export_company_recordings(query.filter)
        jobs += [
            ExportJobRow(
                vbc_job_id=job_id,
                request_id=request_id,
                vbc_user_id=jobs_user,
                kind=query.kind.value,
                holds=label if len(ids) == 1 else None,
            )
            for job_id in ids
        ]
    return jobs


def left_out(prepared: Prepared) -> list[str]:
    """What the queries that matched nothing would have held: no zip was requested for them."""
    counts = prepared.counts or ()
    labels = part_labels(prepared.plan.queries)
    return [label for label, count in zip(labels, counts, strict=False) if count == 0]


async def _first(vbc: VbcClient, query: VbcQuery) -> Page[Recording]:
    probe = replace(query.filter, page=1, page_size=1)
    if query.kind is RecordingKind.ON_DEMAND and query.user_id:
        return await vbc.list_user_recordings(query.user_id, probe)
    return await vbc.list_company_recordings(probe)


def _bare(filters: RecordingFilter) -> RecordingFilter:
    """Without paging or order: an export body is filters only."""
    return replace(filters, order=None, page=None, page_size=None)
