"""The composition root: settings in, a wired AsyncApp and its services out."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
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
from bot.lifecycle.copies import SlackCopies
from bot.lifecycle.holds import HoldService
from bot.lifecycle.ports import DeletionJobs
from bot.lifecycle.retention import RetentionService
from bot.lifecycle.setup import Lifecycle, build_lifecycle
from bot.notices import NoticeRules, NoticeWatcher, build_notices
from bot.ops.audit_export import AuditExporter
from bot.ops.metrics import Metrics
from bot.ops.readiness import CredentialWatch, Readiness
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
from bot.store.holds import HoldRows
from bot.store.housekeeping import tidy_forever
from bot.store.installations import EncryptedInstallationStore
from bot.store.retention import RetentionRows
from bot.vbc.auth import TokenEndpoint, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.web import connect_routes, ops_routes
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
    readiness: Readiness
    credential_watch: CredentialWatch
    audit_exports: AuditExporter
    lifecycle: Lifecycle
    holds: HoldService
    retention: RetentionService
    slack_copies: SlackCopies
    notices: NoticeRules
    notice_watcher: NoticeWatcher


@dataclass
class Runtime:
    app: AsyncApp
    settings: Settings
    services: Services
    metrics: Metrics
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
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    metrics: Metrics | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[VbcClient, TokenEndpoint, httpx.AsyncClient]:
    """One connection pool per process for every VBC call, counted in ``metrics``."""
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
    endpoint = TokenEndpoint(
        http,
        f"{settings.vbc_api_url}/token",
        credentials,
        monotonic,
        observe=metrics.observe_grant if metrics else None,
    )
    http.auth = VbcAuth(endpoint, clock=monotonic)
    observe = metrics.observe_vbc if metrics else None
    return VbcClient(http, account_id=settings.vbc_account_id, observe=observe), endpoint, http


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
    monotonic: Callable[[], float] = time.monotonic,
    deletion_jobs: DeletionJobs | None = None,
) -> Runtime:
    """``monotonic`` times token lifetimes and the 5 minutes between refused password grants."""
    secrets = Secrets(*settings.secret_keys)
    metrics = Metrics()  # this runtime's own registry: several apps in one process never mix
    engine = create_engine(settings.database_url)
    await migrate(engine)
    store = Store(engine, clock=clock)
    closers: list[Closer] = [store.close]
    vbc, endpoint, http = build_vbc(
        settings, transport=vbc_transport, metrics=metrics, monotonic=monotonic
    )
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
        members_may_delete=settings.members_may_delete,
    )
    # Slack's upload URLs get their own pool and long timeouts (bot/audio/uploads.py).
    uploads_http = httpx.AsyncClient(
        timeout=UPLOAD_TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        event_hooks={"response": [functools.partial(_count_upload, metrics=metrics)]},
    )
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
    audit_exports = AuditExporter(
        store=store,
        slack=slack,
        http=uploads_http,
        tz_of=recordings.tz_of,
        admins=settings.bot_admins,
        clock=clock,
    )
    readiness = Readiness(
        store=store,
        vbc_token=http.auth.current if isinstance(http.auth, VbcAuth) else endpoint.password,
        slack_teams=functools.partial(_slack_teams, slack, installations),
        slack_setting="SLACK_BOT_TOKEN"
        if installations is None
        else "BOT_SECRET_KEY (a key removed from it cannot open stored installs) or reinstall "
        "the app in that workspace",
        oauth=installations is not None,
        clock=clock,
    )
    credential_watch = CredentialWatch(readiness, sleep=asyncio.sleep)
    holds = HoldService(
        store=store,
        rows=HoldRows(store),
        recordings=recordings,
        directory=directory,
        clock=clock,
        admins=settings.bot_admins,
    )
    lifecycle = build_lifecycle(
        settings,
        store=store,
        vbc=vbc,
        directory=directory,
        recordings=recordings,
        slack=slack,
        clock=clock,
        access_for=logins.access_for,
        holds=holds,
        metrics=metrics,
    )
    retention_rows = RetentionRows(store)
    retention = RetentionService(
        store=store,
        rows=retention_rows,
        recordings=recordings,
        directory=directory,
        vbc=vbc,
        slack=slack,
        holds=holds,
        jobs=deletion_jobs or lifecycle.jobs,
        clock=clock,
        admins=settings.bot_admins,
    )
    slack_copies = SlackCopies(
        store=store, rows=retention_rows, slack=slack, holds=holds, clock=clock
    )
    notices, notice_watcher = build_notices(
        settings,
        store=store,
        vbc=vbc,
        slack=slack,
        directory=directory,
        recordings=recordings,
        clock=clock,
        metrics=metrics,
        access_for=logins.access_for,
    )
    home = AppHome(
        directory=directory,
        recordings=recordings,
        exports=exports,
        holds=holds,
        retention=retention,
        notices=notices,
    )
    register_all(
        app,
        store=store,
        directory=directory,
        recordings=recordings,
        audio=audio,
        exports=exports,
        admin=admin,
        home=home,
        holds=holds,
        retention_service=retention,
        notices=notices,
        allowed_teams=settings.allowed_teams,
        phone_region=settings.phone_region,
        installations=installations,
        audit_exports=audit_exports,
        metrics=metrics,
        single_delete=lifecycle.single,
        deletion_jobs=lifecycle.jobs,
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
        holds=holds,
        retention=retention,
        slack_copies=slack_copies,
        lifecycle=lifecycle,
        readiness=readiness,
        credential_watch=credential_watch,
        audit_exports=audit_exports,
        notices=notices,
        notice_watcher=notice_watcher,
    )
    runtime = Runtime(
        app=app, settings=settings, services=services, metrics=metrics, closers=closers
    )
    runtime.routes.append(functools.partial(connect_routes.install, connect=connect))
    runtime.routes.append(
        functools.partial(
            ops_routes.install,
            readiness=readiness,
            metrics=metrics,
            store=store,
            metrics_token=settings.metrics_token,
        )
    )
    audit_days = settings.audit_retention_days
    runtime.background.append(
        functools.partial(
            tidy_forever,
            store,
            clock=clock,
            audit_retention=timedelta(days=audit_days) if audit_days else None,
        )
    )
    runtime.background.append(credential_watch.run)
    runtime.routes.append(links.install)
    runtime.background.append(export_watcher.run)
    runtime.background.append(lifecycle.worker.run)
    runtime.background.append(slack_copies.run)
    runtime.background.append(retention.run)
    runtime.background.append(notice_watcher.run)
    return runtime


async def _slack_teams(
    slack: SlackClients, installations: EncryptedInstallationStore | None
) -> list[tuple[str, AsyncWebClient | LookupError]]:
    """The Slack client of each workspace to check: the one token, or each installation's."""
    teams = [None] if installations is None else await installations.installed_teams()
    found: list[tuple[str, AsyncWebClient | LookupError]] = []
    for team in teams:
        try:
            found.append((team or "", await slack.for_team(team)))
        except LookupError as exc:  # stored, but its token cannot be read (or is gone)
            found.append((team or "", exc))
    return found


async def _count_upload(response: httpx.Response, *, metrics: Metrics) -> None:
    """Every POST on the uploads client is the bytes of one Slack upload (bot/audio/uploads.py)."""
    request = response.request
    if request.method != "POST":
        return
    length = request.headers.get("Content-Length", "")
    outcome = "ok" if response.status_code == 200 else f"http_{response.status_code}"
    metrics.observe_upload(outcome, int(length) if length.isdigit() else 0)


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
