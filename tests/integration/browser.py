"""A browser for Connect VBC: the whoami button's start URL, VBC's sign-in, the callback.

It keeps its own cookies, as one browser does; two ``Browser`` objects are two browsers.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bot import blocks
from bot.vbcsim.tokens import bearer_digest
from tests.integration.access import latest_reply, seen_count
from tests.integration.conftest import TEAM, Stack


class Browser:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = httpx.AsyncClient()

    async def aclose(self) -> None:
        await self.http.aclose()

    def on_bot(self, url: str) -> str:
        """PUBLIC_URL is unknown before the test server picks its port: aim at the real one."""
        return url.replace(self.stack.settings.base_url, self.stack.bot.url)

    async def start(self, start_url: str) -> str:
        """Open the button's URL; the bot sets its cookie and sends us to VBC's /authorize."""
        response = await self.http.get(self.on_bot(start_url))
        assert response.status_code == 302, response.text
        return response.headers["location"]

    async def sign_in(self, authorize_url: str) -> str:
        """VBC (the simulator) signs the person in and sends the browser back: the callback."""
        response = await self.http.get(authorize_url)
        assert response.status_code == 302, response.text
        return self.on_bot(response.headers["location"])

    async def callback(self, callback_url: str) -> httpx.Response:
        return await self.http.get(callback_url)

    async def connect(self, start_url: str) -> httpx.Response:
        return await self.callback(await self.sign_in(await self.start(start_url)))


async def whoami_blocks(stack: Stack, user: str) -> list[dict[str, Any]]:
    before = seen_count(stack, user)
    await stack.driver.command(user, "whoami")
    await latest_reply(stack, user, before)
    found: list[dict[str, Any]] = stack.slack.messages_for(user)[-1].blocks
    return found


def button_url(found: list[dict[str, Any]], action_id: str) -> str | None:
    elements = [e for b in found for e in b.get("elements", [])]
    urls = [e.get("url") for e in elements if e.get("action_id") == action_id]
    return str(urls[0]) if urls else None


async def start_url(stack: Stack, user: str) -> str:
    """The Connect button's URL on the person's whoami."""
    url = button_url(await whoami_blocks(stack, user), blocks.ACTION_CONNECT_VBC)
    assert url, "no Connect VBC button on whoami"
    return url


async def connect_vbc(stack: Stack, user: str) -> Browser:
    """Connect VBC for ``user`` in a browser of their own, which is returned (to close)."""
    browser = Browser(stack)
    response = await browser.connect(await start_url(stack, user))
    assert response.status_code == 200, response.text
    assert "VBC connected" in response.text
    return browser


def state_of(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


async def own_bearer(stack: Stack, user: str) -> str:
    """The request log's name for the access token stored for ``user`` (decrypted here)."""
    runtime = stack.bot.runtime
    link = await runtime.services.store.get_link(TEAM, user)
    assert link is not None
    assert link.token_ciphertext, "no stored tokens"
    tokens = json.loads(runtime.services.secrets.decrypt(link.token_ciphertext))
    return bearer_digest(str(tokens["access_token"]))
