"""Deps: the services built once by the composition root and handed to every handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.audio import AudioService
from bot.clock import Clock
from bot.crypto import Secrets
from bot.identity import Directory
from bot.links import Links
from bot.recordings import RecordingsService
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.vbc.client import VbcClient
from bot.vbc_connect import VbcConnect

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
