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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import httpx

from bot.demo.fake_slack import Message
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

CONSOLE_HELP = """\
Commands (anything else is sent as /recordings <text>):
  inbound yesterday            search; same as /recordings inbound yesterday
  /recordings help             the bot's help: the whole search grammar
  /recordings                  the search form (a modal), field by field
  1, 2, …                      press a numbered button of the last reply
  press next                   press the first button whose label contains "next"
  user:@dana last 30d          name a person with @ (as if picked from Slack's list)
  as admin  (as sam, as dana)  act as another person; `people` lists them
  ?                            this list;  quit  leaves"""


@dataclass
class _Seen:
    """What one person has been shown: message versions and the last modal."""

    messages: dict[tuple[str, str], tuple[int, bool]] = field(default_factory=dict)
    view: tuple[str, str] | None = None


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
        self._seen: dict[str, _Seen] = {}
        self._targets: list[_Target] = []

    # ---- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        self.say(self.banner())
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
            self.say(self.people_text())
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
            self.say(f"(nobody called {who!r} here)\n{self.people_text()}")
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
            await fake.wait_for(lambda: self._has_pending(user), FIRST_PATIENCE)
        except TimeoutError:
            self.say("(still working…)")
            try:
                await fake.wait_for(
                    lambda: self._has_pending(user), REPLY_DEADLINE - FIRST_PATIENCE
                )
            except TimeoutError:
                self.say(f"(no reply within {REPLY_DEADLINE:.0f} s)")
                return
        await self._settle(user)
        await self._show_pending_and_modal()

    async def _settle(self, user: str) -> None:
        """Wait until replies stop arriving (a progress note may be replaced a moment later)."""
        for _ in range(int(REPLY_DEADLINE / QUIET)):
            before = self._version(user)
            try:
                await self.stack.fake.wait_for(
                    functools.partial(self._changed_since, user, before), QUIET
                )
            except TimeoutError:
                return

    async def _show_pending_and_modal(self) -> None:
        self._show_pending()
        view = self.stack.fake.current_view(self.me.user_id)
        seen = self._seen_by(self.me.user_id)
        if view is not None and (view["id"], view["hash"]) != seen.view:
            seen.view = (view["id"], view["hash"])
            session = ModalSession(self.stack.driver, self.me.user_id, view, self.source, self.say)
            if await session.run():
                await self.wait_and_show()

    # ---- what the person sees --------------------------------------------------------------
    def _visible(self, user: str) -> list[Message]:
        fake = self.stack.fake
        dm = fake.dm_channel(user)
        return [
            m
            for m in fake.messages
            if m.channel == dm
            or (m.ephemeral and m.user == user)
            or (not m.ephemeral and m.channel in fake.channels)
        ]

    def _seen_by(self, user: str) -> _Seen:
        return self._seen.setdefault(user, _Seen())

    def _changed_since(self, user: str, before: tuple[object, ...]) -> bool:
        return self._version(user) != before

    def _version(self, user: str) -> tuple[object, ...]:
        view = self.stack.fake.current_view(user)
        messages = tuple((m.channel, m.ts, m.edits, m.deleted) for m in self._visible(user))
        return messages, (view["id"], view["hash"]) if view else None

    def _fresh(self, user: str) -> list[Message]:
        """New or changed since last shown; a deletion counts only if the message was shown."""
        seen = self._seen_by(user).messages
        fresh = []
        for message in self._visible(user):
            shown = seen.get((message.channel, message.ts))
            version = (message.edits, message.deleted)
            if (shown is None and not message.deleted) or (shown not in (None, version)):
                fresh.append(message)
        return fresh

    def _has_pending(self, user: str) -> bool:
        view = self.stack.fake.current_view(user)
        new_view = view is not None and (view["id"], view["hash"]) != self._seen_by(user).view
        return bool(self._fresh(user)) or new_view

    def _show_pending(self) -> None:
        fresh = self._fresh(self.me.user_id)
        if not fresh:
            return
        seen = self._seen_by(self.me.user_id).messages
        targets: list[_Target] = []
        for message in fresh:
            key = (message.channel, message.ts)
            updated = key in seen
            seen[key] = (message.edits, message.deleted)
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

    # ---- static text -----------------------------------------------------------------------
    def people_text(self) -> str:
        rows = [
            f"  @{p.alias:<6} {p.name:<11} {p.user_id:<10} {p.tz:<20} {p.email}"
            + (" · recordings admin" if p.is_admin else "")
            for p in self.stack.people
        ]
        return "People in this workspace (@name in a command means that person):\n" + "\n".join(
            rows
        )

    def banner(self) -> str:
        me = self.me
        return (
            "recordings-bot demo: the bot, a fake Slack workspace and a simulated VBC account,\n"
            "all on this machine; nothing here talks to Slack or Vonage. Type what a person\n"
            "would type in Slack: each command and click reaches the bot as a signed Slack\n"
            "request, and what the bot shows that person is printed below.\n"
            f"  bot: {self.stack.server.url}  ·  VBC simulator: {self.stack.sim.url}\n\n"
            f"You are {me.name} ({me.user_id}, time zone {me.tz}). Your Slack email\n"
            f"matches VBC user {me.vbc_name}, so the bot links you on first use.\n"
            f"{self.people_text()}\n"
            "To name a person in a command type @ and their name, e.g. `user:@dana last 30d`\n"
            "or `link @sam <email>` (admins only): the console sends it the way Slack does\n"
            f"when you pick someone from the list ({self.stack.people[0].mention}).\n\n"
            f"{CONSOLE_HELP}\n"
        )


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
