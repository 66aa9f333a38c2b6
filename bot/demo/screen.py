"""What the console prints for one person: messages, their App Home, files, numbered buttons.

Pure rendering over the fake Slack's records, plus ``say``; the console decides when.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.demo.fake_slack import Message
from bot.demo.mrkdwn import render_mrkdwn
from bot.demo.render import Reader, Rendered, render_blocks
from bot.demo.stack import DemoPerson, DemoStack

Json = dict[str, Any]


class Screen:
    def __init__(self, stack: DemoStack, out: TextIO, *, ansi: bool = False) -> None:
        self.stack = stack
        self.out = out
        self.ansi = ansi

    def reader(self, person: DemoPerson) -> Reader:
        fake = self.stack.fake
        names = {uid: str(u.get("real_name", uid)) for uid, u in fake.users.items()}
        names |= {cid: str(c.get("name", cid)) for cid, c in fake.channels.items()}
        return Reader(tz=ZoneInfo(person.tz), now=self.stack.clock(), names=names, ansi=self.ansi)

    def render(self, reader: Reader, text: str, blocks: list[Json], *, first: int = 1) -> Rendered:
        if blocks:
            return render_blocks(blocks, reader, first_number=first)
        return render_blocks([{"type": "markdown", "text": text}], reader, first_number=first)

    def heading(self, message: Message, updated: bool) -> str:
        if message.deleted:
            return "┄ (a message was deleted)"
        if message.ephemeral:
            where = "only visible to you"
        elif message.channel.startswith("D"):
            where = "direct message"
        else:
            channel = self.stack.fake.channels.get(message.channel, {})
            where = "#" + str(channel.get("name", message.channel))
        what = "file" if message.kind == "file" else "recordings-bot"
        return f"┄ {what} · {where}{' · updated' if updated else ''}"

    def file_lines(self, message: Message) -> list[str]:
        lines = []
        for file_id in message.files:
            upload = self.stack.fake.uploads.get(file_id)
            if upload is not None:
                lines.append(f"📎 {upload.title or upload.filename} ({upload.size:,} bytes)")
        return lines

    def show_lines(self, lines: list[str]) -> None:
        self.say("\n".join("  " + line for line in lines if line.strip()))

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def text_of(node: Any, reader: Reader) -> str:
    """A text object as shown: mrkdwn rendered, plain text as is."""
    if not isinstance(node, Mapping):
        return str(node or "")
    text = str(node.get("text", ""))
    return render_mrkdwn(text, reader) if node.get("type") == "mrkdwn" else text
