"""Wiring the deletion side of the recording lifecycle, once per process.

``build_lifecycle`` makes the deletion side once per process: the one-recording delete, the
bulk deletion jobs (``DeletionJobs`` for retention too) and the worker that runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.lifecycle.deleter import Deleter
from bot.lifecycle.jobs import DeletionJobService
from bot.lifecycle.ports import HoldCheck, NoHolds
from bot.lifecycle.single import SingleDelete
from bot.lifecycle.slack_copies import SlackCopies
from bot.lifecycle.worker import DeletionWorker
from bot.ops.metrics import Metrics
from bot.people.directory import Directory
from bot.people.vbc_access import AccessFor
from bot.search.lookup import RecordingLookup
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.vbc.client import VbcClient


@dataclass(frozen=True)
class Lifecycle:
    single: SingleDelete
    jobs: DeletionJobService
    worker: DeletionWorker
    deleter: Deleter  # its ``holds`` is the one HoldCheck every delete path asks


def build_lifecycle(
    settings: Settings,
    *,
    store: Store,
    vbc: VbcClient,
    directory: Directory,
    recordings: RecordingLookup,
    slack: SlackClients,
    clock: Clock,
    access_for: AccessFor,
    holds: HoldCheck | None = None,
    metrics: Metrics | None = None,
) -> Lifecycle:
    """Every delete path asks ``holds`` (``NoHolds`` until legal holds are wired in)."""
    copies = SlackCopies(store=store, slack=slack)
    deleter = Deleter(holds=holds or NoHolds(), copies=copies)
    worker = DeletionWorker(
        store=store, vbc=vbc, deleter=deleter, slack=slack, clock=clock, metrics=metrics
    )
    jobs = DeletionJobService(
        vbc=vbc,
        store=store,
        directory=directory,
        clock=clock,
        region=settings.phone_region,
        on_started=worker.wake,
    )
    single = SingleDelete(
        lookup=recordings,
        directory=directory,
        store=store,
        vbc=vbc,
        deleter=deleter,
        access_for=access_for,
        members_may_delete=settings.members_may_delete,
    )
    return Lifecycle(single=single, jobs=jobs, worker=worker, deleter=deleter)
