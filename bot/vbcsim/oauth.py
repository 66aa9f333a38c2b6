"""OAuth2 routes: ``POST /token`` (password, refresh and code grants) and ``/authorize``."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping

from aiohttp import web
from yarl import URL

from bot.vbcsim.context import state_of
from bot.vbcsim.state import SimState


def add_routes(app: web.Application) -> None:
    app.router.add_post("/token", issue_token)
    app.router.add_get("/authorize", authorize)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


def _client_credentials(request: web.Request, form: Mapping[str, str]) -> tuple[str, str]:
    """From the form, or from HTTP Basic auth (both are allowed by RFC 6749 2.3.1)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


def _grant_user(state: SimState, form: Mapping[str, str], grant: str) -> int | str | None:
    """The user a grant authenticates, or an OAuth error code."""
    if grant == "password":
        user = state.user_by_login(form.get("username", ""))
        if user is None or not _same(form.get("password", ""), state.config.password):
            return None
        return user.id
    if grant == "refresh_token":
        return state.tokens.redeem_refresh(form.get("refresh_token", ""))
    if grant == "authorization_code":
        code, redirect_uri = form.get("code", ""), form.get("redirect_uri", "")
        return state.tokens.redeem_code(code, state.config.client_id, redirect_uri)
    return "unsupported_grant_type"


async def issue_token(request: web.Request) -> web.Response:
    state = state_of(request)
    form = await request.post()
    text_form = {key: value for key, value in form.items() if isinstance(value, str)}
    grant = str(text_form.get("grant_type", ""))
    if not grant:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    client_id, secret = _client_credentials(request, text_form)
    if not (_same(client_id, state.config.client_id) and _same(secret, state.config.client_secret)):
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    user_id = _grant_user(state, text_form, grant)
    if user_id == "unsupported_grant_type":
        return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant {grant!r}")
    if not isinstance(user_id, int):
        return _oauth_error(400, "invalid_grant", "The grant is invalid, expired or used")
    grant_body = state.tokens.issue(user_id).to_json()
    return web.json_response(grant_body, headers={"Cache-Control": "no-store"})


async def authorize(request: web.Request) -> web.Response:
    """Auto-approve as the demo user (or ``login_hint``) and redirect back with a code."""
    state = state_of(request)
    query = request.query
    redirect_uri = query.get("redirect_uri", "")
    if query.get("client_id") != state.config.client_id or not redirect_uri:
        return _oauth_error(400, "invalid_request", "Unknown client_id or missing redirect_uri")
    target = URL(redirect_uri)
    if query.get("response_type") != "code":
        params = {"error": "unsupported_response_type", "state": query.get("state", "")}
        raise web.HTTPFound(str(target.update_query(params)))
    hint = query.get("login_hint")
    user = (state.user_by_login(hint) if hint else None) or state.demo_user
    code = state.tokens.create_code(user.id, state.config.client_id, redirect_uri)
    params = {"code": code}
    if "state" in query:
        params["state"] = query["state"]
    raise web.HTTPFound(str(target.update_query(params)))
