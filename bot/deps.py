"""Deps: the services built once by the composition root and handed to every handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.audio import AudioService
from bot.clock import Clock
from bot.crypto import Secrets
from bot.identity import Directory
from bot.links import Links
from bot.recordings import RecordingsService
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc_connect import VbcConnect


class JobLister(Protocol):
    async def jobs_for(
        self, team_id: str, user_id: str
    ) -> list[tuple[ExportRequest, list[ExportJobRow]]]: ...


@dataclass
class Deps:
    settings: Settings
    store: Store
    vbc: VbcClient
    directory: Directory
    recordings: RecordingsService
    secrets: Secrets
    slack: SlackClients
    clock: Clock
    connect: VbcConnect | None = None
    exports: JobLister | None = None
    audio: AudioService | None = None
    links: Links | None = None
