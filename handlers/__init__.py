"""Slack listeners: thin adapters from Bolt payloads to the services in ``bot``.

Listener modules (those with ``register``) never import each other; what several of them
share lives in support modules: ``payloads`` (what a body says), ``replies``, ``modals``.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.audio.service import AudioService
from bot.exports import ExportService
from bot.lifecycle.holds import HoldService
from bot.lifecycle.jobs import DeletionJobService
from bot.lifecycle.retention import RetentionService
from bot.lifecycle.single import SingleDelete
from bot.notices import NoticeRules
from bot.ops.audit_export import AuditExporter
from bot.ops.metrics import Metrics
from bot.people.admin import AdminService
from bot.people.directory import Directory
from bot.search.home import AppHome
from bot.search.service import RecordingsService
from bot.store import Store
from bot.store.installations import EncryptedInstallationStore
from handlers import (
    accounts,
    actions,
    commands,
    errors,
    events,
    lifecycle,
    retention,
    shortcuts,
    views,
)
from handlers import audio as audio_listeners
from handlers import exports as export_listeners
from handlers import notices as notice_listeners


def register_all(
    app: AsyncApp,
    *,
    store: Store,
    directory: Directory,
    recordings: RecordingsService,
    audio: AudioService,
    exports: ExportService,
    admin: AdminService,
    home: AppHome,
    holds: HoldService,
    retention_service: RetentionService,
    notices: NoticeRules,
    allowed_teams: frozenset[str],
    phone_region: str,
    installations: EncryptedInstallationStore | None,
    audit_exports: AuditExporter,
    metrics: Metrics,
    single_delete: SingleDelete,
    deletion_jobs: DeletionJobService,
) -> None:
    """Each listener module gets only the services it uses."""
    errors.register(app, allowed_teams=allowed_teams, count_error=metrics.count_error)
    accounts.register(app, directory=directory, store=store)  # after the workspace gate
    commands.register(
        app,
        recordings=recordings,
        directory=directory,
        admin=admin,
        audio=audio,
        exports=exports,
        audit_exports=audit_exports,
        single_delete=single_delete,
        deletion_jobs=deletion_jobs,
        holds=holds,
        retention=retention_service,
        notices=notices,
    )
    retention.register(app, retention=retention_service)
    # audio before actions: its Retry listener takes only play/share retries.
    audio_listeners.register(app, audio=audio, recordings=recordings)
    actions.register(app, recordings=recordings, admin=admin)
    export_listeners.register(app, exports=exports, home=home)
    lifecycle.register(app, single=single_delete, jobs=deletion_jobs)
    views.register(app, recordings=recordings, phone_region=phone_region)
    shortcuts.register(app, recordings=recordings, phone_region=phone_region)
    events.register(app, store=store, home=home, installations=installations)
    notice_listeners.register(app, notices=notices, home=home)
