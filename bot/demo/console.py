"""The demo console: type what a Slack person would, read what the bot shows them.

Every command, click, shortcut, App Home visit and modal submission is a signed HTTP request
to the bot's real ``/slack/events`` endpoint; replies are whatever the bot posted to the fake
Slack (response_urls, ephemeral messages, DMs, modals, files, App Home), rendered as text.
What arrives while nobody types (an export's progress and ready notice, any other notice) is
printed as it arrives, by a background task that takes turns with the command being run.
A little past 300 lines as one class on purpose: the loop, the background printer and the
commands share the turn lock, the inbox and the last reply's buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TextIO

import httpx

from bot.blocks import CALLBACK_MESSAGE_SHORTCUT, CALLBACK_SHORTCUT_SEARCH
from bot.demo.buttons import Target, find_target, is_button_number
from bot.demo.console_text import CONSOLE_HELP, banner, people_text
from bot.demo.inbox import Inbox
from bot.demo.lines import LineSource
from bot.demo.modal_session import ModalSession
from bot.demo.render import Reader
from bot.demo.screen import Screen, text_of
from bot.demo.stack import DemoPerson, DemoStack

Json = dict[str, Any]
FIRST_PATIENCE = 2.0  # seconds before "(still working…)"
REPLY_DEADLINE = 15.0
QUIET = 0.4  # a reply is complete once nothing more arrives for this long
CHECK_EVERY = 0.02  # how often a recorded session asks whether the bot is done
IDLE_CHECK = 60.0  # the background task re-reads who is typing at least this often
# ``@dana`` typed on its own (not inside an email address or an existing ``<@U…>``).
_TYPED_MENTION = re.compile(r"(?<![\w@<|])@([A-Za-z][\w-]*)")


class Console:
    def __init__(
        self,
        stack: DemoStack,
        source: LineSource,
        out: TextIO,
        *,
        ansi: bool = False,
        log_path: str | None = None,
        quiet: float = QUIET,
        patience: float = FIRST_PATIENCE,
    ) -> None:
        """``quiet``: how long replies must stop changing before they print; ``patience``:
        how long before "(still working…)" (a recorded session raises both, so the machine's
        load cannot change what it shows)."""
        self.stack = stack
        self.source = source
        self.screen = Screen(stack, out, ansi=ansi)
        self.me: DemoPerson = stack.people[0]
        self.log_path = log_path
        self.quiet = quiet
        self.patience = min(patience, REPLY_DEADLINE)
        self.shown = 0  # blocks printed so far (messages, App Home): scripts wait on it
        self._inbox = Inbox(stack.fake)
        self._targets: list[Target] = []
        self._turn = asyncio.Lock()  # the command being run, or the background printer
        self._events = itertools.count(1)

    # ---- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        self.say(banner(self.stack, self.me, log_path=self.log_path))
        background = asyncio.create_task(self._print_background())
        try:
            while (line := await self.source.read(f"{self.me.short}> ")) is not None:
                async with self._turn:
                    if not await self.handle(line.strip()):
                        break
        finally:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
        self.say("bye")

    async def _print_background(self) -> None:
        """Print what arrives while the person is at the prompt, once it stops changing."""
        fake = self.stack.fake
        while True:
            try:
                await fake.wait_for(lambda: self._inbox.has_news(self.me.user_id), IDLE_CHECK)
            except TimeoutError:
                continue
            await self._settle(self.me.user_id)
            async with self._turn:  # a command's own replies are shown by the command
                self._show_pending()

    async def time_passes(
        self,
        steps: Iterable[Callable[[], None]],
        idle: Callable[[], Awaitable[bool]],
        deadline: float,
    ) -> bool:
        """Sit at the prompt while a still clock moves, one step at a time (recorded sessions).

        The screen is held: after each step, once ``idle`` says the bot has done all that
        step made due, what it posted is printed together. So what a step shows, and how its
        buttons are numbered, does not depend on how fast the machine ran. True when
        something was printed; a bot still busy after ``deadline`` seconds is said so.
        """
        before = self.shown
        async with self._turn:
            for step in (lambda: None, *steps):  # first whatever is due before time moves
                step()
                if not await _within(deadline, idle):
                    self.say(f"(the bot was still busy after {deadline:.0f} s)")
                if self._inbox.has_news(self.me.user_id):
                    await self._settle(self.me.user_id)
                    self._show_pending()
        return self.shown > before

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
        elif line.lower() == "home":
            await self.open_home()
        elif word.lower() == "shortcut":
            await self.shortcut(rest.strip())
        elif is_button_number(line) or word.lower() in ("press", "click"):
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

    async def open_home(self) -> None:
        """Open the app's Home tab: Slack sends ``app_home_opened``, the bot publishes a view."""
        user = self.me.user_id
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.stack.fake.dm_channel(user),
            "tab": "home",
            "event_ts": f"{self.stack.clock().timestamp():.6f}",
        }
        event_id = f"Ev{next(self._events):04d}{user}"
        await self.send(lambda: self.stack.driver.event(event, event_id=event_id))

    async def shortcut(self, text: str) -> None:
        """``shortcut``: the global "Search recordings"; ``shortcut "text"``: the message
        shortcut "Find recordings for this number" on a message saying ``text``."""
        driver, user = self.stack.driver, self.me.user_id
        if not text:
            await self.send(lambda: driver.shortcut(user, CALLBACK_SHORTCUT_SEARCH))
            return
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1]
        await self.send(lambda: driver.message_shortcut(user, CALLBACK_MESSAGE_SHORTCUT, text))

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
                lambda: driver.click(
                    user, click.action_id, click.value, message=target.message, view=target.view
                )
            )
        except AssertionError:
            self.say("(that button is not there any more)")

    async def _confirmed(self, confirm: Mapping[str, Any]) -> bool:
        """Slack's confirm dialog: title, text, then its two buttons as the question."""
        reader = self.reader()
        self.say(f"┄ {text_of(confirm.get('title'), reader)}")
        self._show_lines([text_of(confirm.get("text"), reader)])
        yes = text_of(confirm.get("confirm"), reader) or "Confirm"
        no = text_of(confirm.get("deny"), reader) or "Cancel"
        answer = await self.source.read(f"  y = {yes}, n = {no} [y/N] ")
        return (answer or "").strip().lower() in ("y", "yes")

    def _target_for(self, line: str) -> Target | None:
        found = find_target(self._targets, line)
        if isinstance(found, str):
            self.say(found)
            return None
        return found

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
            rendered = self.screen.render(
                self.reader(), answer.get("text", ""), answer.get("blocks") or []
            )
            self._show_lines(rendered.lines)
        await self.wait_and_show()

    async def wait_and_show(self) -> None:
        fake, user = self.stack.fake, self.me.user_id
        try:
            await fake.wait_for(lambda: self._inbox.has_pending(user), self.patience)
        except TimeoutError:
            if self.patience < REPLY_DEADLINE:
                self.say("(still working…)")
            try:
                await fake.wait_for(
                    lambda: self._inbox.has_pending(user), REPLY_DEADLINE - self.patience
                )
            except TimeoutError:
                self.say(f"(no reply within {REPLY_DEADLINE:.0f} s)")
                return
        await self._settle(user)
        await self._show_pending_and_modal()

    async def _settle(self, user: str) -> None:
        """Wait until replies stop arriving (a progress note may be replaced a moment later)."""
        for _ in range(int(REPLY_DEADLINE / self.quiet)):
            before = self._inbox.version(user)
            try:
                await self.stack.fake.wait_for(
                    functools.partial(self._inbox.changed_since, user, before), self.quiet
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
        """Print the person's new and changed messages, then their App Home if it changed."""
        user = self.me.user_id
        reader = self.reader()
        targets: list[Target] = []
        for message in self._inbox.fresh(user):
            updated = self._inbox.mark_shown(user, message)
            self.say(self.screen.heading(message, updated))
            self.shown += 1
            if message.deleted:
                continue
            rendered = self.screen.render(
                reader, message.text, message.blocks, first=len(targets) + 1
            )
            targets += [Target(c, message) for c in rendered.clickables]
            self._show_lines(rendered.lines + self.screen.file_lines(message))
        home = self._inbox.take_home(user)
        if home is not None:
            self.say("┄ App Home · recordings-bot")
            self.shown += 1
            rendered = self.screen.render(reader, "", home["blocks"], first=len(targets) + 1)
            targets += [Target(c, None, home) for c in rendered.clickables]
            self._show_lines(rendered.lines)
        if targets:
            self._targets = targets

    def reader(self) -> Reader:
        return self.screen.reader(self.me)

    def _show_lines(self, lines: list[str]) -> None:
        self.screen.show_lines(lines)

    def say(self, text: str) -> None:
        self.screen.say(text)


async def _within(seconds: float, condition: Callable[[], Awaitable[bool]]) -> bool:
    """Wait until ``condition`` holds, checking every ``CHECK_EVERY``; False at the deadline."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not await condition():
        if loop.time() >= end:
            return False
        await asyncio.sleep(CHECK_EVERY)
    return True


def _json_or_none(response: httpx.Response) -> Json | None:
    if "json" not in response.headers.get("content-type", "") or not response.content:
        return None
    try:
        body = response.json()
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None
