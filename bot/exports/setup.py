"""Wiring for exports: the service, its link kind, the notifier and this process's watcher."""

from __future__ import annotations

import httpx

from bot.clock import Clock
from bot.exports.links import ExportLinks
from bot.exports.notify import ExportNotifier
from bot.exports.service import ExportService
from bot.exports.state import WatchTuning
from bot.exports.watcher import ExportWatcher
from bot.people.directory import Directory
from bot.people.vbc_access import AccessFor
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.vbc.client import VbcClient
from bot.web.links import Links


def build_exports(
    settings: Settings,
    *,
    store: Store,
    vbc: VbcClient,
    directory: Directory,
    slack: SlackClients,
    clock: Clock,
    links: Links,
    http: httpx.AsyncClient,
    tuning: WatchTuning | None = None,
    access_for: AccessFor | None = None,
) -> tuple[ExportService, ExportWatcher]:
    """Called once by the composition root; the watcher's ``run`` goes into ``background``.

    ``access_for`` gives each person's requests their own VBC login when they connected it.
    """
    service = ExportService(
        vbc=vbc,
        store=store,
        directory=directory,
        slack=slack,
        clock=clock,
        region=settings.phone_region,
        access_for=access_for,
    )
    export_links = ExportLinks(links=links, store=store, vbc=vbc, exports=service, clock=clock)
    notifier = ExportNotifier(
        store=store,
        vbc=vbc,
        slack=slack,
        http=http,
        links=export_links,
        upload_cap=settings.upload_cap_bytes,
    )
    watcher = ExportWatcher(store=store, vbc=vbc, notifier=notifier, clock=clock, tuning=tuning)
    service.on_created = watcher.wake
    service.listed_url = export_links.listed_url
    return service, watcher
