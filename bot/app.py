"""The composition root: settings in, a wired AsyncApp and its services out."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from secrets import token_hex
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.audio.service import LINK_KIND as AUDIO_LINK_KIND
from bot.audio.service import AudioService
from bot.audio.uploads import UPLOAD_TIMEOUT
from bot.clock import Clock, system_clock
from bot.exports import ExportService, ExportWatcher, build_exports
from bot.notices import NoticeRules, NoticeWatcher, build_notices
from bot.people.admin import AdminService
from bot.people.connect import VbcConnect
from bot.people.crypto import Secrets
from bot.people.directory import Directory, SlackProfile
from bot.people.own_login import OwnLogins
from bot.search.home import AppHome
from bot.search.service import RecordingsService
from bot.settings import Settings
from bot.slack_clients import SlackClients, make_client
from bot.store import Store
from bot.store.engine import create_engine, create_tables, migrate
from bot.store.housekeeping import tidy_forever
from bot.store.installations import EncryptedInstallationStore
from bot.vbc.auth import TokenEndpoint, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.web import connect_routes
from bot.web.install import GatedOAuthFlow
from bot.web.links import Links
from bot.web.router import Router
from handlers import register_all

log = logging.getLogger(__name__)

BOT_SCOPES = [
    "commands",
    "chat:write",
    "files:read",
    "files:write",
    "im:write",
    "users:read",
    "users:read.email",
]
USER_AGENT = "vbc-recordings-bot/0.1 (+https://github.com/vbc-recordings-bot)"
Closer = Callable[[], Awaitable[None]]


RouteInstaller = Callable[["Router"], None]
Background = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Services:
    """What ``build_runtime`` built, for tests and benchmarks to reach; never handed down whole."""

    store: Store
    vbc: VbcClient
    directory: Directory
    recordings: RecordingsService
    secrets: Secrets
    slack: SlackClients
    clock: Clock
    connect: VbcConnect
    links: Links
    audio: AudioService
    exports: ExportService
    export_watcher: ExportWatcher
    admin: AdminService
    home: AppHome
    notices: NoticeRules
    notice_watcher: NoticeWatcher


@dataclass
class Runtime:
    app: AsyncApp
    settings: Settings
    services: Services
    closers: list[Closer] = field(default_factory=list)
    routes: list[RouteInstaller] = field(default_factory=list)  # extra HTTP routes
    background: list[Background] = field(default_factory=list)  # run in every bot process

    async def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                await closer()
            except Exception:  # pragma: no cover - best effort on shutdown
                log.exception("error while shutting down")


def build_vbc(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[VbcClient, TokenEndpoint, httpx.AsyncClient]:
    """One connection pool per process for every VBC call."""
    http = httpx.AsyncClient(
        base_url=settings.vbc_api_url,
        timeout=httpx.Timeout(settings.vbc_timeout, connect=5.0),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        transport=transport,
    )
    credentials = VbcCredentials(
        client_id=settings.vbc_client_id,
        client_secret=settings.vbc_client_secret,
        username=settings.vbc_username,
        password=settings.vbc_password,
    )
    endpoint = TokenEndpoint(http, f"{settings.vbc_api_url}/token", credentials, time.monotonic)
    http.auth = VbcAuth(endpoint)
    return VbcClient(http, account_id=settings.vbc_account_id), endpoint, http


def profile_fetcher(slack: SlackClients) -> Callable[[str, str], Awaitable[SlackProfile]]:
    async def fetch(team_id: str, user_id: str) -> SlackProfile:
        client = await slack.for_team(team_id)
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            # A proxy's or a gateway's error page is not JSON: no error code to read then.
            answer = exc.response.data if isinstance(exc.response.data, dict) else {}
            if answer.get("error") in ("user_not_found", "user_not_visible"):
                raise LookupError(f"Slack has no user {user_id}") from exc
            raise
        user: dict[str, Any] = response["user"]
        profile = user.get("profile") or {}
        return SlackProfile(
            user_id=user_id,
            name=str(user.get("real_name") or user.get("name") or user_id),
            tz=str(user.get("tz") or "UTC"),
            email=profile.get("email"),
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
        )

    return fetch


async def build_runtime(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    vbc_transport: httpx.AsyncBaseTransport | None = None,
) -> Runtime:
    secrets = Secrets(*settings.secret_keys)
    engine = create_engine(settings.database_url)
    await migrate(engine)
    store = Store(engine, clock=clock)
    closers: list[Closer] = [store.close]
    vbc, endpoint, http = build_vbc(settings, transport=vbc_transport)
    closers.append(http.aclose)

    app, slack, installations = await _build_bolt(settings, engine_store=store, secrets=secrets)
    directory = Directory(
        store, vbc, admins=settings.bot_admins, fetch_profile=profile_fetcher(slack), clock=clock
    )
    logins = OwnLogins(secrets=secrets, endpoint=endpoint, store=store, vbc=vbc)
    connect = VbcConnect(
        vbc_api_url=settings.vbc_api_url,
        client_id=settings.vbc_client_id,
        redirect_uri=f"{settings.base_url}{connect_routes.CALLBACK_PATH}",
        start_uri=f"{settings.base_url}{connect_routes.START_PATH}",
        secrets=secrets,
        logins=logins,
        vbc=vbc,
        directory=directory,
        store=store,
    )
    recordings = RecordingsService(
        vbc=vbc,
        store=store,
        directory=directory,
        clock=clock,
        region=settings.phone_region,
        access_for=logins.access_for,
    )
    # Slack's upload URLs get their own pool and long timeouts (bot/audio/uploads.py).
    uploads_http = httpx.AsyncClient(timeout=UPLOAD_TIMEOUT, headers={"User-Agent": USER_AGENT})
    closers.append(uploads_http.aclose)
    links = Links(
        secrets=secrets,
        store=store,
        clock=clock,
        base_url=settings.base_url,
        check_account=functools.partial(directory.require_active, fresh=True),
    )
    audio = AudioService(
        recordings=recordings,
        store=store,
        slack=slack,
        http=uploads_http,
        links=links,
        upload_cap=settings.upload_cap_bytes,
    )
    links.register(AUDIO_LINK_KIND, audio.open_link)
    exports, export_watcher = build_exports(
        settings,
        store=store,
        vbc=vbc,
        directory=directory,
        slack=slack,
        clock=clock,
        links=links,
        http=uploads_http,
        access_for=logins.access_for,
    )
    admin = AdminService(
        directory=directory,
        store=store,
        connect=connect,
        recordings=recordings,
        admins=settings.bot_admins,
    )
    notices, notice_watcher = build_notices(
        settings,
        store=store,
        vbc=vbc,
        slack=slack,
        directory=directory,
        recordings=recordings,
        clock=clock,
    )
    home = AppHome(directory=directory, recordings=recordings, exports=exports, notices=notices)
    register_all(
        app,
        store=store,
        directory=directory,
        recordings=recordings,
        audio=audio,
        exports=exports,
        admin=admin,
        home=home,
        notices=notices,
        allowed_teams=settings.allowed_teams,
        phone_region=settings.phone_region,
        installations=installations,
    )
    services = Services(
        store=store,
        vbc=vbc,
        directory=directory,
        recordings=recordings,
        secrets=secrets,
        slack=slack,
        clock=clock,
        connect=connect,
        links=links,
        audio=audio,
        exports=exports,
        export_watcher=export_watcher,
        admin=admin,
        home=home,
        notices=notices,
        notice_watcher=notice_watcher,
    )
    runtime = Runtime(app=app, settings=settings, services=services, closers=closers)
    runtime.routes.append(functools.partial(connect_routes.install, connect=connect))
    runtime.background.append(functools.partial(tidy_forever, store))
    runtime.routes.append(links.install)
    runtime.background.append(export_watcher.run)
    runtime.background.append(notice_watcher.run)
    return runtime


async def _build_bolt(
    settings: Settings, *, engine_store: Store, secrets: Secrets
) -> tuple[AsyncApp, SlackClients, EncryptedInstallationStore | None]:
    """The Bolt app, Slack clients for work outside a request, and the OAuth installs if any."""
    if settings.mode == "oauth":
        assert settings.slack_client_id
        assert settings.slack_client_secret
        installations = EncryptedInstallationStore(
            client_id=settings.slack_client_id, engine=engine_store.engine, secrets=secrets
        )
        states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine_store.engine)
        # slack_sdk owns these tables (its own metadata); create them under the migration lock.
        await create_tables(engine_store.engine, states.metadata)
        await installations.prepare()
        oauth_settings = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=installations,
            state_store=states,
            redirect_uri=f"{settings.base_url}/slack/oauth_redirect",
        )
        app = AsyncApp(
            signing_secret=settings.slack_signing_secret,
            client=make_client(None, settings.slack_api_url),
            installation_store=installations,
            oauth_flow=GatedOAuthFlow(settings=oauth_settings, allowed=settings.allowed_teams),
        )
        slack = SlackClients(base_url=settings.slack_api_url, installations=installations)
        return app, slack, installations
    slack = SlackClients(base_url=settings.slack_api_url, token=settings.slack_bot_token)
    client: AsyncWebClient | None = slack.default
    # Socket Mode is not signed (Bolt skips verification there) and no HTTP route reaches this
    # app's dispatch then; Bolt still wants a secret: one made now, which nobody knows.
    socket_only = settings.mode == "socket"
    signing_secret = token_hex(32) if socket_only else settings.slack_signing_secret
    if not signing_secret:  # None would have Bolt read the environment for one
        raise ValueError("SLACK_SIGNING_SECRET is required outside Socket Mode")
    app = AsyncApp(client=client, signing_secret=signing_secret)
    return app, slack, None
