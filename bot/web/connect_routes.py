"""HTTP callback of the per-person "Connect VBC" sign-in (authorization-code grant)."""

from __future__ import annotations

import html
import logging

from bot.people.connect import VbcConnect
from bot.people.crypto import CryptoError
from bot.people.directory import LinkError
from bot.vbc.errors import VbcError
from bot.web.http import Request, Response, Routes

log = logging.getLogger(__name__)
CALLBACK_PATH = "/vbc/oauth/callback"


def install(router: Routes, connect: VbcConnect) -> None:
    async def callback(request: Request) -> Response:
        code, state = request.query.get("code"), request.query.get("state")
        if not code or not state:
            error = request.query.get("error") or "the sign-in was cancelled"
            return _page("VBC was not connected", f"VBC said: {error}. Try again from Slack.", 400)
        try:
            link = await connect.complete(code=code, state=state)
        except (CryptoError, LinkError, VbcError) as exc:
            log.warning("connect VBC failed: %s", exc)
            return _page("VBC was not connected", str(exc), 400)
        return _page(
            "VBC connected",
            f"Your Slack account now uses your own VBC login (VBC user {link.vbc_user_id}). "
            "You can close this tab and go back to Slack.",
        )

    router.add("GET", CALLBACK_PATH, callback)


def _page(title: str, text: str, status: int = 200) -> Response:
    body = (
        f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return Response.html(body, status)
