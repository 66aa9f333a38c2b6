"""New-recording notices: rules (``rules``), the poll (``poller``), posting (``sender``).

``build_notices`` wires them from the settings; ``NoticeWatcher.run`` runs in every bot
process (the leases make several processes share the work, each notice posted once).
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.notices.poller import NoticeTuning
from bot.notices.rules import NoticeRules
from bot.notices.watcher import NoticeWatcher
from bot.ops.metrics import Metrics
from bot.people.directory import Directory
from bot.people.vbc_access import AccessFor
from bot.search.service import RecordingsService
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.vbc.client import VbcClient

__all__ = ["NoticeRules", "NoticeTuning", "NoticeWatcher", "build_notices"]


def build_notices(
    settings: Settings,
    *,
    store: Store,
    vbc: VbcClient,
    slack: SlackClients,
    directory: Directory,
    recordings: RecordingsService,
    clock: Clock,
    tuning: NoticeTuning | None = None,
    metrics: Metrics | None = None,
    access_for: AccessFor | None = None,
) -> tuple[NoticeRules, NoticeWatcher]:
    tuning = tuning or NoticeTuning(
        interval=float(settings.notify_poll_seconds),
        overlap=timedelta(minutes=settings.notify_overlap_minutes),
        sync_every=min(10.0, float(settings.notify_poll_seconds)),
        idle_wait=min(1.0, float(settings.notify_poll_seconds)),
    )
    watcher = NoticeWatcher(
        store=store,
        vbc=vbc,
        slack=slack,
        directory=directory,
        admins=settings.bot_admins,
        clock=clock,
        tuning=tuning,
        metrics=metrics,
        access_for=access_for,
    )
    rules = NoticeRules(
        store=store,
        directory=directory,
        recordings=recordings,
        slack=slack,
        admins=settings.bot_admins,
        clock=clock,
        changed=watcher.rules_changed,
    )
    return rules, watcher
