"""Deps: the services built once by the composition root and handed to every handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.audio.service import AudioService
from bot.clock import Clock
from bot.people.connect import VbcConnect
from bot.people.crypto import Secrets
from bot.people.directory import Directory
from bot.search.service import RecordingsService
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.vbc.client import VbcClient
from bot.web.links import Links

if TYPE_CHECKING:  # the export service itself takes Deps in its handlers' helper
    from bot.exports import ExportService


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
    exports: ExportService | None = None
    audio: AudioService | None = None
    links: Links | None = None
