"""The demo console: type what a Slack person would, read what the bot shows them.

Every command, click and modal submission is a signed HTTP request to the bot's real
``/slack/events`` endpoint; replies are whatever the bot posted to the fake Slack
(response_urls, ephemeral messages, DMs, modals, files), rendered as text.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import httpx

from bot.demo.console_text import CONSOLE_HELP, banner, people_text
from bot.demo.fake_slack import Message
from bot.demo.inbox import Inbox
from bot.demo.lines import LineSource
from bot.demo.modal_session import ModalSession
from bot.demo.render import Clickable, Reader, Rendered, render_blocks, render_mrkdwn
from bot.demo.stack import DemoPerson, DemoStack

Json = dict[str, Any]
FIRST_PATIENCE = 2.0  # seconds before "(still working…)"
REPLY_DEADLINE = 15.0
QUIET = 0.4  # a reply is complete once nothing more arrives for this long
# ``@dana`` typed on its own (not inside an email address or an existing ``<@U…>``).
_TYPED_MENTION = re.compile(r"(?<![\w@<|])@([A-Za-z][\w-]*)")


@dataclass(frozen=True)
class _Target:
    clickable: Clickable
    message: Message | None


class Console:
    def __init__(self, stack: DemoStack, source: LineSource, out: TextIO) -> None:
        self.stack = stack
        self.source = source
        self.out = out
        self.me: DemoPerson = stack.people[0]
        self._inbox = Inbox(stack.fake)
        self._targets: list[_Target] = []

    # ---- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        self.say(banner(self.stack, self.me))
        while (line := await self.source.read(f"{self.me.short}> ")) is not None:
            if not await self.handle(line.strip()):
                break
        self.say("bye")

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False means leave."""
        self._show_pending()
        word, _, rest = line.partition(" ")
        if not line:
            return True
        if line.lower() in ("quit", "exit", "q"):
            return False
        if line == "?":
            self.say(CONSOLE_HELP)
        elif line.lower() in ("people", "who"):
            self.say(people_text(self.stack.people))
        elif word.lower() == "as" and rest:
            self.switch(rest)
        elif _is_button_number(line) or word.lower() in ("press", "click"):
            await self.press(line)
        elif word.startswith("/") and word != "/recordings":
            self.say(f"(only /recordings exists in this workspace, not {word})")
        else:
            text = self.escape_mentions(rest if word == "/recordings" else line).strip()
            await self.send(lambda: self.stack.driver.command(self.me.user_id, text))
        return True

    def escape_mentions(self, text: str) -> str:
        """``@dana`` -> ``<@U0DEMO001|dana>``, as a Slack client sends a person picked from
        the autocomplete when the command has ``should_escape: true``; unknown names stay."""

        def mention(match: re.Match[str]) -> str:
            person = self.stack.person(match[1])
            return person.mention if person is not None else match[0]

        return _TYPED_MENTION.sub(mention, text)

    def switch(self, who: str) -> None:
        person = self.stack.person(who)
        if person is None:
            self.say(f"(nobody called {who!r} here)\n{people_text(self.stack.people)}")
            return
        self.me = person
        self._targets = []  # someone else's buttons are not this person's to press
        self.say(f"(you are now {person.name}, {person.user_id})")
        self._show_pending()

    async def press(self, line: str) -> None:
        target = self._target_for(line)
        if target is None:
            return
        click = target.clickable
        if click.confirm is not None and not await self._confirmed(click.confirm):
            self.say("(cancelled)")
            return
        if click.url:
            self.say(f"open this link in a browser: {click.url}")
            return
        driver, user = self.stack.driver, self.me.user_id
        try:
            await self.send(
                lambda: driver.click(user, click.action_id, click.value, message=target.message)
            )
        except AssertionError:
            self.say("(that button is not there any more)")

    async def _confirmed(self, confirm: Mapping[str, Any]) -> bool:
        """Slack's confirm dialog: title, text, then its two buttons as the question."""
        reader = self.reader()
        self.say(f"┄ {_text(confirm.get('title'), reader)}")
        self._show_lines([_text(confirm.get("text"), reader)])
        yes = _text(confirm.get("confirm"), reader) or "Confirm"
        no = _text(confirm.get("deny"), reader) or "Cancel"
        answer = await self.source.read(f"  y = {yes}, n = {no} [y/N] ")
        return (answer or "").strip().lower() in ("y", "yes")

    def _target_for(self, line: str) -> _Target | None:
        number = int(line) if _is_button_number(line) else None
        search_hint = f"to search a number type from:{line} or ext:{line}"
        if not self._targets:
            hint = f"; {search_hint}" if number is not None else ""
            self.say(f"(nothing to press: no reply with buttons yet{hint})")
            return None
        if number is not None:
            found = [t for t in self._targets if t.clickable.number == number]
            if not found:
                count = len(self._targets)
                self.say(f"there is no button {number} (the last reply has {count}); {search_hint}")
                return None
        else:
            wanted = line.partition(" ")[2].strip().lower()
            found = [t for t in self._targets if wanted and wanted in t.clickable.label.lower()]
        if not found:
            shown = " ".join(f"[{t.clickable.number} {t.clickable.label}]" for t in self._targets)
            self.say(f"(no such button; the last reply has {shown})")
            return None
        return found[0]

    # ---- talking to the bot ----------------------------------------------------------------
    async def send(self, request: Callable[[], Awaitable[httpx.Response]]) -> None:
        """Send one signed request, show any direct answer, then the replies it caused."""
        try:
            response = await request()
        except httpx.HTTPError as exc:
            self.say(f"(could not reach the bot: {exc!r})")
            return
        if response.status_code != 200:
            self.say(f"(the bot answered HTTP {response.status_code}: {response.text[:200]})")
            return
        answer = _json_or_none(response)
        if answer and (answer.get("text") or answer.get("blocks")):
            self._show_lines(self._render(answer.get("text", ""), answer.get("blocks") or []).lines)
        await self.wait_and_show()

    async def wait_and_show(self) -> None:
        fake, user = self.stack.fake, self.me.user_id
        try:
            await fake.wait_for(lambda: self._inbox.has_pending(user), FIRST_PATIENCE)
        except TimeoutError:
            self.say("(still working…)")
            try:
                await fake.wait_for(
                    lambda: self._inbox.has_pending(user), REPLY_DEADLINE - FIRST_PATIENCE
                )
            except TimeoutError:
                self.say(f"(no reply within {REPLY_DEADLINE:.0f} s)")
                return
        await self._settle(user)
        await self._show_pending_and_modal()

    async def _settle(self, user: str) -> None:
        """Wait until replies stop arriving (a progress note may be replaced a moment later)."""
        for _ in range(int(REPLY_DEADLINE / QUIET)):
            before = self._inbox.version(user)
            try:
                await self.stack.fake.wait_for(
                    functools.partial(self._inbox.changed_since, user, before), QUIET
                )
            except TimeoutError:
                return

    async def _show_pending_and_modal(self) -> None:
        self._show_pending()
        view = self._inbox.take_view(self.me.user_id)
        if view is not None:
            session = ModalSession(self.stack.driver, self.me.user_id, view, self.source, self.say)
            if await session.run():
                await self.wait_and_show()

    # ---- what the person sees --------------------------------------------------------------
    def _show_pending(self) -> None:
        fresh = self._inbox.fresh(self.me.user_id)
        if not fresh:
            return
        targets: list[_Target] = []
        for message in fresh:
            updated = self._inbox.mark_shown(self.me.user_id, message)
            self.say(self._heading(message, updated))
            if message.deleted:
                continue
            rendered = self._render(message.text, message.blocks, first=len(targets) + 1)
            targets += [_Target(c, message) for c in rendered.clickables]
            self._show_lines(rendered.lines + self._file_lines(message))
        if targets:
            self._targets = targets

    def _heading(self, message: Message, updated: bool) -> str:
        fake = self.stack.fake
        if message.deleted:
            return "┄ (a message was deleted)"
        if message.ephemeral:
            where = "only visible to you"
        elif message.channel.startswith("D"):
            where = "direct message"
        else:
            where = "#" + str(fake.channels.get(message.channel, {}).get("name", message.channel))
        what = "file" if message.kind == "file" else "recordings-bot"
        return f"┄ {what} · {where}{' · updated' if updated else ''}"

    def _file_lines(self, message: Message) -> list[str]:
        lines = []
        for file_id in message.files:
            upload = self.stack.fake.uploads.get(file_id)
            if upload is not None:
                lines.append(f"📎 {upload.title or upload.filename} ({upload.size:,} bytes)")
        return lines

    def _render(self, text: str, blocks: list[Json], *, first: int = 1) -> Rendered:
        reader = self.reader()
        if blocks:
            return render_blocks(blocks, reader, first_number=first)
        return render_blocks([{"type": "markdown", "text": text}], reader, first_number=first)

    def reader(self) -> Reader:
        fake = self.stack.fake
        names = {uid: str(u.get("real_name", uid)) for uid, u in fake.users.items()}
        names |= {cid: str(c.get("name", cid)) for cid, c in fake.channels.items()}
        return Reader(tz=ZoneInfo(self.me.tz), now=datetime.now(UTC), names=names)

    def _show_lines(self, lines: list[str]) -> None:
        self.say("\n".join("  " + line for line in lines if line.strip()))

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _is_button_number(line: str) -> bool:
    """Short numbers press buttons; longer digit strings are phone numbers to search for."""
    return line.isdigit() and len(line) <= 3


def _text(node: Any, reader: Reader) -> str:
    """A text object as shown: mrkdwn rendered, plain text as is."""
    if not isinstance(node, Mapping):
        return str(node or "")
    text = str(node.get("text", ""))
    return render_mrkdwn(text, reader) if node.get("type") == "mrkdwn" else text


def _json_or_none(response: httpx.Response) -> Json | None:
    if "json" not in response.headers.get("content-type", "") or not response.content:
        return None
    try:
        body = response.json()
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None
