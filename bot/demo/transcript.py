"""The recorded demo session: ``docs/demo.md``, written by the console from a script.

``make demo-transcript`` runs ``python -m bot.demo.transcript docs/demo-script.txt
docs/demo.md``: the whole stack (bot, fake Slack, VBC simulator) on a ``StillClock``, the
console reading the script's lines as if typed. A test compares the committed file with a
fresh run, so the page cannot drift from what the console really prints.

Script lines: ``# text`` is narration (printed as is), a blank line is skipped, ``@later 1m``
types nothing while a minute passes (what arrives meanwhile is printed, as at a terminal),
anything else is typed. Time passes a minute at a time; after each minute, once the bot has
done all that was due by then (``bot.demo.settle``), what it posted is printed together.
Values that differ in every run whatever the clock (ports, the temporary directory, random
export and VBC job ids, signed link tokens) become fixed stand-ins.
"""

from __future__ import annotations

import asyncio
import functools
import io
import re
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.demo.clock import StillClock
from bot.demo.console import REPLY_DEADLINE, Console
from bot.demo.settle import idle_at
from bot.demo.stack import DemoStack, running_demo
from bot.demo.terminal import LogFile

START = datetime(2025, 6, 10, 15, 0, tzinfo=UTC)  # a Tuesday; 11:00 AM for Dana in New York
BACKGROUND_DEADLINE = 30.0  # seconds a ``@later`` step waits for the bot to be done
STEP = 60.0  # seconds: time passes a minute at a time, the bot catching up after each
QUIET = 1.0  # replies print once unchanged this long: a busy machine splits no reply in two
_LATER = re.compile(r"^@later\s+(\d+)\s*(s|m|h)$")
_UNITS = {"s": (1, "second"), "m": (60, "minute"), "h": (3600, "hour")}
_EXPORT_ID = re.compile(r"export `([0-9a-f]{12})`")
# A signed token in a query (``?t=``) or as a path segment of a signed link (``/links/…/``).
_SIGNED = re.compile(r"([?&](?:t|token|sig)=|/links/)[A-Za-z0-9_\-.~%]+")
HEADER = """\
# The demo, recorded

A session of `recordings-bot demo` (what `make run` starts without credentials): the console
typed the lines of [`demo-script.txt`](demo-script.txt), and this is everything it printed.
`make demo-transcript` writes this page; `tests/integration/test_demo_transcript.py` fails
when it differs from a fresh run, so it shows what the console does today.

How to read it: `dana> …` is a line typed at the prompt; `┄ recordings-bot · …` is a message
from the bot (and where it appeared in Slack); `[3 ▶ Play]` is a button, pressed by typing
`3` or `press play`; `# …` is the script's narration. `dana> (nothing typed for a minute)` is
time passing at the prompt: what arrives meanwhile (an export's ready notice, a new-recording
notice) is printed as it arrives, above the prompt, as at a terminal. Time passes a minute at
a time; what each minute brought is printed once the bot has done all that was due by then.

The session runs on a fixed clock ({start}); ports, the temporary directory,
random ids (exports, VBC jobs) and signed link tokens are replaced by fixed stand-ins.

"""


class ScriptedTyping:
    """A ``LineSource`` that types the script; ``@later`` lets time pass at the prompt."""

    def __init__(self, lines: Iterable[str], out: TextIO, clock: StillClock) -> None:
        self._lines = [line.rstrip("\n") for line in lines]
        self._out = out
        self._clock = clock
        self.console: Console | None = None

    async def read(self, prompt: str) -> str | None:
        while self._lines:
            line = self._lines.pop(0)
            if not line.strip():
                continue
            if line.startswith("#"):
                self._write(line)
                continue
            later = _LATER.match(line.strip())
            if later is None:
                self._write(f"{prompt}{line}")
                return line
            await self._let_time_pass(prompt, int(later[1]), later[2])
        return None

    async def _let_time_pass(self, prompt: str, count: int, unit: str) -> None:
        seconds, name = _UNITS[unit]
        span = f"a {name}" if count == 1 else f"{count} {name}s"
        self._write(f"{prompt}(nothing typed for {span})")
        console = self.console
        assert console is not None
        store, clock = console.stack.runtime.services.store, self._clock
        admins = console.stack.runtime.settings.bot_admins
        moves = [
            functools.partial(clock.advance, timedelta(seconds=s))
            for s in time_steps(count * seconds, STEP)
        ]
        if not await console.time_passes(
            moves, lambda: idle_at(store, clock(), admins), BACKGROUND_DEADLINE
        ):
            self._write("(nothing arrived)")

    def _write(self, text: str) -> None:
        self._out.write(text + "\n")


async def record(script: Iterable[str], workdir: Path) -> str:
    """Run the script through the console; its output, stand-ins in place."""
    clock = StillClock(START)
    out = io.StringIO()
    source = ScriptedTyping(script, out, clock)
    with LogFile(workdir / "demo.log") as log_file:
        async with running_demo(workdir, clock=clock) as stack:
            log_file.reroute_streams()
            console = Console(
                stack,
                source,
                out,
                log_path=str(log_file.path),
                quiet=QUIET,
                patience=REPLY_DEADLINE,
            )
            source.console = console
            await console.run()
            return scrub(out.getvalue(), stack, workdir)


def time_steps(total: float, step: float) -> list[float]:
    """``total`` seconds as steps of at most ``step``."""
    steps = [step] * int(total // step)
    rest = total - step * len(steps)
    return [*steps, rest] if rest > 0 else steps


def scrub(text: str, stack: DemoStack, workdir: Path) -> str:
    """Fixed stand-ins for what differs in every run whatever the clock."""
    stand_ins: list[tuple[str, str]] = [
        (str(workdir), "/tmp/rb-demo"),  # noqa: S108 - shown, never opened
        (stack.server.url, "http://127.0.0.1:3000"),
        (stack.runtime.settings.base_url, "http://localhost:3000"),
        (stack.sim.url, "http://127.0.0.1:8090"),
        (stack.fake.base, "http://127.0.0.1:9000"),
    ]
    for n, job_id in enumerate(stack.sim.state.jobs, start=1):
        stand_ins.append((job_id, f"00000000-0000-4000-8000-{n:012d}"))
    for n, export_id in enumerate(dict.fromkeys(_EXPORT_ID.findall(text)), start=1):
        stand_ins.append((export_id, f"{n:012d}"))
    for value, stand_in in stand_ins:
        text = text.replace(value, stand_in)
    return _SIGNED.sub(lambda m: f"{m[1]}SIGNED", text)


def page(transcript: str) -> str:
    start = f"{START:%A %Y-%m-%d %H:%M} UTC"
    return HEADER.format(start=start) + "```text\n" + transcript.rstrip() + "\n```\n"


def render_page(script_path: Path) -> str:
    """The whole of ``docs/demo.md`` for the script at ``script_path``."""
    script = script_path.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory(prefix="rb-demo-") as workdir:
        return page(asyncio.run(record(script, Path(workdir))))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.exit("usage: python -m bot.demo.transcript SCRIPT OUTPUT.md")
    text = render_page(Path(args[0]))
    Path(args[1]).write_text(text, encoding="utf-8")
    print(f"wrote {args[1]} ({len(text.splitlines())} lines)")


if __name__ == "__main__":
    main()
