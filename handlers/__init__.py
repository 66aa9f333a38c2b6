"""Slack listeners: thin adapters from Bolt payloads to the services in ``bot``.

Listener modules (those with ``register``) never import each other; what several of them
share lives in support modules: ``payloads`` (what a body says), ``replies``, ``modals``.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.audio.service import AudioService
from bot.exports import ExportService
from bot.notices import NoticeRules
from bot.people.admin import AdminService
from bot.people.directory import Directory
from bot.search.home import AppHome
from bot.search.service import RecordingsService
from bot.store import Store
from bot.store.installations import EncryptedInstallationStore
from handlers import accounts, actions, commands, errors, events, shortcuts, views
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
    notices: NoticeRules,
    allowed_teams: frozenset[str],
    phone_region: str,
    installations: EncryptedInstallationStore | None,
) -> None:
    """Each listener module gets only the services it uses."""
    errors.register(app, allowed_teams=allowed_teams)
    accounts.register(app, directory=directory, store=store)  # after the workspace gate
    commands.register(
        app,
        recordings=recordings,
        directory=directory,
        admin=admin,
        audio=audio,
        exports=exports,
        notices=notices,
    )
    # audio before actions: its Retry listener takes only play/share retries.
    audio_listeners.register(app, audio=audio, recordings=recordings)
    actions.register(app, recordings=recordings, admin=admin)
    export_listeners.register(app, exports=exports, home=home)
    views.register(app, recordings=recordings, phone_region=phone_region)
    shortcuts.register(app, recordings=recordings, phone_region=phone_region)
    events.register(app, store=store, home=home, installations=installations)
    notice_listeners.register(app, notices=notices, home=home)
