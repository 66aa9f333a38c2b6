"""The demo console end to end: scripted sessions against the real bot, fake Slack and simulator."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.demo import main_demo, run_demo
from bot.demo.console import Console
from bot.demo.render import Reader, render_blocks, render_mrkdwn
from bot.demo.stack import DemoStack, running_demo
from bot.demo.terminal import LogFile

Step = str | Callable[[str], str]
REPO = Path(__file__).resolve().parents[2]


class Typist:
    """Types scripted lines; a callable step reads the transcript so far to decide what to type."""

    def __init__(self, steps: list[Step], out: io.StringIO) -> None:
        self.steps = list(steps)
        self.out = out
        self.typed: list[str] = []

    async def read(self, prompt: str) -> str | None:
        if not self.steps:
            return None
        step = self.steps.pop(0)
        line = step(self.out.getvalue()) if callable(step) else step
        self.typed.append(line)
        self.out.write(f"{prompt}{line}\n")
        return line


def button(label: str) -> Callable[[str], str]:
    """The number the last reply gave the first button labelled ``label``."""

    def pick(transcript: str) -> str:
        last_reply = transcript.rsplit("> ", 1)[-1]
        found = re.search(rf"\[(\d+) {re.escape(label)}\]", last_reply)
        assert found, f"no [n {label}] button in:\n{last_reply}"
        return found.group(1)

    return pick


async def session(tmp_path: Path, steps: list[Step]) -> tuple[str, DemoStack]:
    out = io.StringIO()
    async with running_demo(tmp_path) as stack:
        await Console(stack, Typist(steps, out), out).run()
    return out.getvalue(), stack


def replies(transcript: str) -> list[str]:
    """The text printed after each typed command, in order."""
    return re.split(r"^\w+> .*$", transcript, flags=re.MULTILINE)[1:]


async def test_search_page_details_help(tmp_path: Path) -> None:
    transcript, stack = await session(
        tmp_path, ["inbound last 30d", button("Next ▶"), button("Details"), "help"]
    )
    search, page_two, details, help_text, *_ = replies(transcript)
    assert "Page 1 of" in search
    assert len(re.findall(r"↓ Inbound", search)) >= 5
    assert re.search(r"\+1 \d{3}-555-\d{4} → \+1 732-555-1001", search)
    assert "· updated" in page_two  # replace_original swapped the same message
    assert "Page 2 of" in page_two
    assert re.search(r"\[\d+ ◀ Prev\]", page_two)
    assert re.search(r"== Recording \d+ ==", details)
    for label in ("Start:", "Duration:", "Caller:", "Call ID:", "File:", "Kind:"):
        assert label in details, label
    assert "<!date" not in details  # dates are rendered for the reader
    assert "Direction" in help_text
    assert "Your scope" in help_text
    assert "(no reply" not in transcript
    assert transcript.rstrip().endswith("bye")
    assert stack.fake.problems == []
    assert len(stack.fake.responses) >= 4  # every reply came through a response_url


async def test_people_errors_and_the_modal(tmp_path: Path) -> None:
    transcript, stack = await session(
        tmp_path,
        [
            "7",  # nothing to press yet
            "bogus:thing",
            "scope:company yesterday",
            "as nobody",
            "as admin",
            "scope:company last 7d page-size:2",
            "press no-such-label",
            "/recordings",
            "outbound",  # Direction
            "company",  # Kind
            "",  # Caller number: keep
            "",  # Dialed number: keep
            "",  # Either side: keep
            "",  # Caller name: keep
            "",  # Extension: keep
            "",  # Call ID: keep
            "not a date",  # From date, refused by the console
            "/submit",
            "quit",
            "never typed",
        ],
    )
    nothing, bogus, refused, nobody, admin, company, no_label, modal, *_ = replies(transcript)
    assert "nothing to press" in nothing
    assert "bogus:thing" in bogus
    assert "Only recordings admins" in refused
    assert "nobody called 'nobody'" in nobody
    assert "you are now Alex Admin" in admin
    assert "the company" in company
    assert "Page 1 of" in company
    assert "no such button" in no_label
    assert "[1 ▶ Play]" in no_label
    assert "┄ modal: Search recordings" in modal
    assert "(type a date as YYYY-MM-DD)" in modal
    assert "(submitted)" in modal
    assert "outbound" in modal.split("(submitted)")[1].lower()
    assert "never typed" not in transcript
    assert stack.fake.problems == []


def sams_email(transcript: str) -> str:
    """Sam's Slack email as the banner's people list shows it."""
    found = re.search(r"^\s+@sam\s+Sam Member\s+\S+\s+\S+\s+(\S+@\S+)", transcript, re.MULTILINE)
    assert found, transcript
    return f"link @sam {found.group(1)}"


async def test_naming_people_url_buttons_confirm_and_numbers(tmp_path: Path) -> None:
    transcript, stack = await session(
        tmp_path,
        [
            "whoami",
            button("Connect my own VBC login"),
            "as admin",
            "user:@dana last 30d",
            sams_email,
            "101",
            "channel allow",
            "inbound last 30d",
            button("Details"),
            "press share",
            "n",  # the confirm dialog's answer
        ],
    )
    whoami, connect, _, dana, link, big, _, _, details, share = replies(transcript)[:10]
    assert all(p.user_id.startswith("U0") and "_" not in p.user_id for p in stack.people)
    assert "user:@dana" in transcript.split("dana> ", 1)[0], "the banner shows how to name people"
    assert "Connect my own VBC login" in whoami
    assert connect.strip().startswith("open this link in a browser: http://localhost:")
    assert "/vbc/oauth/start?t=" in connect  # the bot's own start URL sets the sign-in cookie
    assert "not there any more" not in transcript
    assert "Dana Demo's recordings" in dana
    assert "Page 1 of" in dana
    assert "⚠️" not in dana
    assert "is now linked to VBC user" in link
    assert "@Sam Member" in link
    assert re.search(r"there is no button 101 \(the last reply has \d+\)", big)
    assert "type from:101 or ext:101" in big
    assert "Share to channel" in details
    assert "┄ Share this recording?\n  Everyone in this channel" in share
    assert "?:" not in share
    assert "y = Share, n = Cancel" in share
    assert "(cancelled)" in share
    assert stack.fake.problems == []


def test_render_dates_links_and_buttons() -> None:
    reader = Reader(
        tz=ZoneInfo("America/Los_Angeles"),
        now=datetime(2024, 5, 2, 12, tzinfo=UTC),
        names={"U1": "Dana Demo"},
    )
    stamp = int(datetime(2024, 5, 1, 16, 5, tzinfo=UTC).timestamp())
    date = f"<!date^{stamp}^{{date_short_pretty}} {{time}}|2024-05-01 16:05 UTC>"
    text = f"{date} <@U1> <https://x.test|the file> &lt;3"
    assert (
        render_mrkdwn(text, reader) == "Yesterday 9:05 AM @Dana Demo the file (https://x.test) <3"
    )
    assert render_mrkdwn(f"<!date^{stamp}^{{nonsense}}|fallback>", reader) == "fallback"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "a", "value": "1", "text": {"text": "Next ▶"}},
                {
                    "type": "overflow",
                    "action_id": "m",
                    "options": [{"text": {"text": "Play"}, "value": "p"}],
                },
            ],
        },
    ]
    rendered = render_blocks(blocks, reader, first_number=3)
    assert rendered.lines == ["hi", "[3 Next ▶] [4 Play]"]
    assert [(c.action_id, c.value) for c in rendered.clickables] == [("a", "1"), ("m", "p")]


def test_main_demo_reads_a_script() -> None:
    out = io.StringIO()
    main_demo(["help", "quit"], env={}, out=out)
    text = out.getvalue()
    assert "recordings-bot demo" in text
    assert "Direction" in text
    assert text.rstrip().endswith("bye")


def test_python_m_bot_demo_with_piped_stdin(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VBC_"))}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        input="inbound last 30d\n",
        capture_output=True,
        text=True,
        timeout=50,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "dana> inbound last 30d" in result.stdout
    assert "Page 1 of" in result.stdout
    assert result.stdout.rstrip().endswith("bye")


async def test_log_lines_go_to_the_file_not_the_console(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Records of the bot's loggers and of uvicorn's own handlers land in the file only."""

    class Noisy:
        def __init__(self) -> None:
            self.lines = ["inbound last 30d"]

        async def read(self, prompt: str) -> str | None:
            logging.getLogger("bot.web").warning("a warning for the file")
            logging.getLogger("uvicorn.error").error("an error for the file")
            return self.lines.pop() if self.lines else None

    out = io.StringIO()
    log_path = tmp_path / "demo.log"
    with LogFile(log_path) as log_file:
        await run_demo(Noisy(), out, workdir=tmp_path, log_file=log_file)
    logged = log_path.read_text()
    assert "WARNING bot.web: a warning for the file" in logged
    assert "ERROR uvicorn.error: an error for the file" in logged
    screen = out.getvalue()
    assert f"log lines: {log_path}" in screen
    assert "Page 1 of" in screen
    captured = capfd.readouterr()
    for text in (screen, captured.out, captured.err):
        assert "for the file" not in text
