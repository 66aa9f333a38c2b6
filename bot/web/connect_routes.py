"""HTTP side of the per-person "Connect VBC" sign-in: its start (sets the browser's nonce
cookie, sends it to VBC) and its callback (needs that cookie; authorization-code grant)."""

from __future__ import annotations

import html
import logging
import re
from http.cookies import CookieError, SimpleCookie

from bot.people.connect import VbcConnect
from bot.people.crypto import CryptoError
from bot.people.directory import LinkError
from bot.vbc.errors import VbcError
from bot.web.http import Request, Response, Routes

log = logging.getLogger(__name__)
START_PATH = "/vbc/oauth/start"
CALLBACK_PATH = "/vbc/oauth/callback"
COOKIE_PATH = "/vbc/oauth/"
COOKIE = "vbc_connect"
NOT_CONNECTED = "VBC was not connected"
# The code and state in our URLs must not leak to another site, and no page may be cached.
_CODE = re.compile(r"`([^`]*)`")
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def install(router: Routes, connect: VbcConnect) -> None:
    secure = connect.redirect_uri.startswith("https://")
    # Browsers keep a __Secure- cookie to HTTPS pages only and let no plain-HTTP page set it.
    name = f"__Secure-{COOKIE}" if secure else COOKIE

    async def start(request: Request) -> Response:
        try:
            sign_in = await connect.start(request.query.get("t", ""))
        except CryptoError as exc:
            log.warning("connect VBC start refused: %s", exc)
            again = "Press Connect in `/recordings whoami` in Slack again."
            return _page(NOT_CONNECTED, f"{exc} {again}", 400)
        cookie = _cookie(name, sign_in.nonce, max_age=sign_in.max_age, secure=secure)
        headers = {**PRIVATE, "Location": sign_in.authorize_url, "Set-Cookie": cookie}
        return Response(302, headers=headers)

    async def callback(request: Request) -> Response:
        code, state = request.query.get("code"), request.query.get("state")
        if not code or not state:
            error = request.query.get("error") or "the sign-in was cancelled"
            return _page(NOT_CONNECTED, f"VBC said: {error}. Try again from Slack.", 400)
        nonce = _read_cookie(request.headers.get("cookie", ""), name)
        try:
            link = await connect.complete(code=code, state=state, nonce=nonce)
        except (CryptoError, LinkError, VbcError) as exc:
            log.warning("connect VBC failed: %s", exc)
            return _page(NOT_CONNECTED, str(exc), 400)
        page = _page(
            "VBC connected",
            f"Your Slack account now uses your own VBC login (VBC user {link.vbc_user_id}). "
            "You can close this tab and go back to Slack.",
        )
        page.headers["Set-Cookie"] = _cookie(name, "", max_age=0, secure=secure)
        return page

    router.add("GET", START_PATH, start)
    router.add("GET", CALLBACK_PATH, callback)


def _cookie(name: str, value: str, *, max_age: int, secure: bool) -> str:
    """HttpOnly (no script reads it), SameSite=Lax (sent on VBC's top-level redirect back)."""
    parts = [f"{name}={value}", f"Max-Age={max_age}", f"Path={COOKIE_PATH}", "HttpOnly"]
    parts.append("SameSite=Lax")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _read_cookie(header: str, name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def _page(title: str, text: str, status: int = 200) -> Response:
    words = _CODE.sub(r"<code>\1</code>", html.escape(text))
    body = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
        f"<h1>{html.escape(title)}</h1><p>{words}</p>"
    )
    response = Response.html(body, status)
    response.headers.update(PRIVATE)
    return response
