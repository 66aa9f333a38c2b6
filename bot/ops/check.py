"""``recordings-bot check``: each part of the configuration tried for real, one line each.

The first command an admin runs after filling ``.env``: the settings, the database, a VBC
token, the integration user in the Provisioning API, Slack's ``auth.test``, and the scopes
Slack granted (its ``x-oauth-scopes`` header) against those ``manifest.yml`` asks for.
Every failing line says what to fix. Nothing is written except an empty SQLite file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.app import BOT_SCOPES, build_vbc
from bot.ops.diagnose import describe, slack_problem, vbc_fix
from bot.settings import Settings, SettingsError
from bot.slack_clients import make_client
from bot.store.engine import DatabaseError, create_engine, schema_revision, shown_url
from bot.vbc.auth import VbcAuth
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcForbiddenError
from bot.vbc.models import User

OK, FAIL, NOTE = "ok  ", "FAIL", "note"


@dataclass(frozen=True)
class Line:
    status: str  # OK, FAIL or NOTE
    name: str
    detail: str
    fix: str = ""

    def render(self) -> str:
        text = f"{self.status}  {self.name:<13} {self.detail}"
        return f"{text}\n{'':6}{'':<13} -> {self.fix}" if self.fix else text


async def run_checks(settings: Settings) -> list[Line]:
    lines = [await _database(settings)]
    lines += await _vbc(settings)
    lines += await _slack(settings)
    return lines


def check_env(env: Mapping[str, str], write: Callable[[str], None]) -> int:
    """Print one line per check; the exit status is 1 when any failed."""
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        text = str(exc).removeprefix("Configuration problems: ")
        for problem in text.split("; "):
            write(Line(FAIL, "configuration", problem).render())
        write("Fix the configuration (.env or the environment), then run this again.")
        return 1
    write(Line(OK, "configuration", f"complete ({settings.mode} mode)").render())
    lines = asyncio.run(run_checks(settings))
    for line in lines:
        write(line.render())
    failed = [line.name for line in lines if line.status == FAIL]
    write(f"{len(failed)} check(s) failed: {', '.join(failed)}" if failed else "All checks pass.")
    return 1 if failed else 0


async def _database(settings: Settings) -> Line:
    where = shown_url(settings.database_url)
    try:
        engine = create_engine(settings.database_url)
        try:
            revision = await schema_revision(engine)
        finally:
            await engine.dispose()
    except (OSError, DatabaseError) as exc:
        return Line(
            FAIL,
            "database",
            f"{where} did not answer ({type(exc).__name__})",
            "check DATABASE_URL, that the database is up and this host may connect",
        )
    schema = f"schema at migration {revision}" if revision else "empty; `run` migrates it"
    return Line(OK, "database", f"{where} answers ({schema})")


async def _vbc(settings: Settings) -> list[Line]:
    vbc, endpoint, http = build_vbc(settings)
    try:
        try:
            tokens = await endpoint.password()
        except VbcError as exc:
            return [Line(FAIL, "vbc token", describe(exc), vbc_fix(exc))]
        lines = [Line(OK, "vbc token", f"password grant accepted for {settings.vbc_username}")]
        http.auth = VbcAuth(endpoint, tokens=tokens)  # the one token: no second grant
        lines.append(await _integration_user(settings, vbc))
        return lines
    finally:
        await http.aclose()


async def _integration_user(settings: Settings, vbc: VbcClient) -> Line:
    try:
        user = await _find_login(vbc, settings.vbc_username)
    except VbcForbiddenError:
        return Line(
            FAIL,
            "vbc user",
            "the Provisioning API refused the integration user",
            "give VBC_USERNAME the account admin role in VBC, so the bot can look people up",
        )
    except VbcError as exc:
        return Line(
            FAIL,
            "vbc user",
            describe(exc),
            f"check VBC_ACCOUNT_ID ({settings.vbc_account_id}) and VBC_API_URL",
        )
    if user is None:
        return Line(
            FAIL,
            "vbc user",
            f"no user {settings.vbc_username} in account {settings.vbc_account_id}",
            "check VBC_ACCOUNT_ID and VBC_USERNAME",
        )
    return Line(OK, "vbc user", f"{user.display_name} is VBC user {user.id}")


async def _find_login(vbc: VbcClient, username: str) -> User | None:
    """The integration user by login name, by email, or by the login before the ``@``."""
    wanted = username.lower()
    for login in dict.fromkeys((username, username.split("@")[0])):
        page = await vbc.list_users(login_name=login)
        found = [u for u in page.items if (u.login_name or "").lower() == login.lower()]
        if found:
            return found[0]
        if "@" in wanted and login == username:
            by_email = await vbc.find_user_by_email(username)
            if by_email is not None:
                return by_email
    return None


async def _slack(settings: Settings) -> list[Line]:
    if settings.mode == "oauth":
        return [
            Line(
                NOTE,
                "slack",
                f"OAuth install: each workspace installs at {settings.base_url}/slack/install; "
                "GET /readyz checks their tokens",
            )
        ]
    client = make_client(settings.slack_bot_token, settings.slack_api_url)
    try:
        answer = await client.auth_test()
    except (SlackApiError, OSError, TimeoutError) as exc:
        detail, fix = slack_problem(exc, setting="SLACK_BOT_TOKEN")
        return [Line(FAIL, "slack token", detail, fix)]
    lines = [
        Line(
            OK,
            "slack token",
            f"auth.test passes: bot {answer.get('user')} in workspace {answer.get('team')}",
        )
    ]
    header = _header(answer.headers, "x-oauth-scopes")
    if header is None:
        lines.append(Line(NOTE, "slack scopes", "Slack sent no x-oauth-scopes header to compare"))
        return lines
    granted = {s.strip() for s in header.split(",") if s.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        lines.append(
            Line(
                FAIL,
                "slack scopes",
                f"the token lacks {', '.join(missing)}",
                "add them from manifest.yml (OAuth & Permissions), reinstall the app, and copy "
                "the new Bot User OAuth Token into SLACK_BOT_TOKEN",
            )
        )
    else:
        lines.append(Line(OK, "slack scopes", "every scope manifest.yml asks for is granted"))
    return lines


def _header(headers: Mapping[str, object], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None
