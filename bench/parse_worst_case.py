"""Benchmark: parsing a person's text takes time linear in its length (no regex backtracks).

Target (issue text, item 4): for every entry of a fixed adversarial corpus, and for the worst
shape a hypothesis search finds, parse time at 4n characters <= 5x parse time at n (a linear
parser shows ~4x, less when fixed per-call costs dominate; a quadratic one ~16x). Also
printed, in the same run: the e-mail regex ``link`` used before, on the same 10,000 and
40,000 characters as its replacement (the issue's "9 s blocking every other ack").

The corpus is ``CORPUS`` below, kept in the repo and built deterministically: long runs of
``@``, ``.``, quotes, digits, ``<@``, ``:``, Slack escapes and unicode, plus each regex's own
worst case (named after the regex), each wrapped in a shape that reaches its parser:
- ``command``: the whole ``/recordings`` path as the handlers run it: ``parse_command``, then
  ``parse_filter`` (search, export) or ``parse_audit_query`` (audit), errors included;
- ``form:<field>``: ``parse_search_modal`` with that search-form field filled in;
- ``shortcut``: ``extract_numbers``, the message shortcut's scan of a message.
A hypothesis search (fixed seed, bounded) then looks for a worse (path, prefix, unit, suffix).

Each entry is timed at n=1,000 vs 4,000 characters through the code as shipped (4,000 is the
cap), and at 10,000 vs 40,000 with the cap switched off (``uncapped``), which shows the
parsers themselves are linear, cap or no cap. Beyond the cap a text outgrows the CPU's
fastest cache, and the fastest steps (string copies, regex scans) cost more per character
from then on: a step, not growth, but it can put a linear entry a little over 5x at
10k -> 40k. Such an entry is re-timed at 40k -> 160k, where a linear one is back near 4x
and a quadratic one still shows ~16x; its verdict uses that figure (both are printed).

A figure is CPU time of this thread (``time.thread_time``, so other processes on a busy
machine do not inflate it) per call, gc off like timeit. A run loops the call until it lasts
>= 2 ms; each round is one run at n and one at 4n, back to back; times are the median over
the rounds and a ratio is the median of the rounds' ratios (a disturbance spoils a round,
not the figure).

Run: ``.venv/bin/python bench/parse_worst_case.py [--examples N] [--strict]``. Prints a table;
a missed target prints FAIL and exits 0 unless ``--strict``. Every loop is bounded in count;
the search also by CPU time. About 25 s of CPU, a third of it the old regex; on a busy
machine the wall time grows, up to HARD_STOP, past which the remaining rows are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NamedTuple
from unittest import mock
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import strategies as st

import bot.grammar.limits as limits
import bot.grammar.phones as phones
from bot.blocks import modal
from bot.grammar import FilterError, extract_numbers, parse_filter
from bot.grammar.audit import AuditQueryError, parse_audit_query
from bot.grammar.commands import Audit, CommandError, Export, Search, is_email, parse_command

RATIO_MAX = 5.0
CAPPED = (1000, 4000)  # within the 4,000-character cap, through the shipped code
RAW = (10_000, 40_000)  # beyond it, cap switched off
RECHECK = (40_000, 160_000)  # for a RAW ratio over target: a cache step, or growth?
NOW = datetime(2024, 6, 12, 15, 30, 12, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")
RUN_SECONDS = 0.002  # one timed run lasts at least this long (loops of the same call)
ROUNDS = 8  # timed runs per figure after calibration, n and 4n alternating; minimum kept
RAW_ROUNDS = 3  # the same beyond the cap, where one call may take a tenth of a second
SEARCH_CPU = 8.0  # CPU seconds the hypothesis search may use (it also stops at --examples)
HARD_STOP = 150.0  # wall seconds: past this (a very busy machine) the rest is skipped
OLD_EMAIL = r"[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+"  # bot/commands.py before this change
OLD_TIMEOUT = 25.0  # seconds the old regex may take at 40,000 characters before we give up


# -- the parsers, as the handlers call them ---------------------------------------------------


def run_command(text: str) -> None:
    """handlers/commands.py: parse_command, then the grammar the sub-command hands its text to."""
    try:
        command = parse_command(text)
        if isinstance(command, Search | Export):
            parse_filter(command.text, now=NOW, tz=TZ)
        elif isinstance(command, Audit):
            parse_audit_query(command.text, tz=TZ, now=NOW)
    except (CommandError, FilterError, AuditQueryError):
        pass


def form(block_id: str) -> Callable[[str], None]:
    """handlers/views.py: the search form submitted with one field holding ``text``."""

    def submit(text: str) -> None:
        values = {block_id: {"value": {"type": "plain_text_input", "value": text}}}
        with contextlib.suppress(modal.ModalErrors):
            modal.parse_search_modal(values, tz=TZ)

    return submit


def run_shortcut(text: str) -> None:
    """handlers/shortcuts.py: the phone numbers in a message."""
    extract_numbers(text)


PATHS: dict[str, Callable[[str], None]] = {
    "command": run_command,
    "form:name": form(modal.BLOCK_NAME),
    "form:either": form(modal.BLOCK_EITHER),
    "form:caller": form(modal.BLOCK_CALLER),
    "form:call": form(modal.BLOCK_CALL_ID),
    "shortcut": run_shortcut,
}


@contextlib.contextmanager
def uncapped() -> Iterator[None]:
    """The same code without the 4,000-character cap (command, form) or scan cut (shortcut)."""
    with (
        mock.patch.object(limits, "MAX_TEXT", sys.maxsize),
        mock.patch.object(phones, "scanned_part", lambda text: text),
    ):
        yield


# -- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """``prefix + unit * k + suffix``, ``k`` chosen so the text is ``n`` characters long."""

    name: str
    path: str
    prefix: str
    unit: str
    suffix: str = ""

    def text(self, n: int) -> str:
        room = n - len(self.prefix) - len(self.suffix)
        body = (self.unit * (room // len(self.unit) + 1))[:room]
        return self.prefix + body + self.suffix


LINK = "link <@U0JANE|jane> "
CORPUS = [
    # link's e-mail check: the old regex was quadratic in the dots after "@"
    Entry("link: e-mail, run of dots", "command", f"{LINK}a@", ".", "@"),
    Entry("link: e-mail, a.a.a.", "command", f"{LINK}a@", "a.", "@"),
    Entry("link: e-mail, no dot", "command", f"{LINK}a@", "a", "|"),
    Entry("link: <mailto:, bars", "command", f"{LINK}<mailto:a", "a", "|>>"),
    Entry("link: <mailto:, >>>", "command", f"{LINK}<mailto:a|", ">"),
    Entry("link: @ run", "command", LINK, "@"),
    # runs of one character, bare: the reader tries every form on one huge piece
    Entry("search: @ run", "command", "", "@"),
    Entry("search: . run", "command", "", "."),
    Entry("search: .. and 1 (RANGE)", "command", "", "1.."),
    Entry('search: " run', "command", "", '"'),
    Entry("search: “ run", "command", "", "“"),
    Entry("search: „ run", "command", "", "„"),
    Entry("search: digit run", "command", "", "9"),
    Entry("search: digits, spaced", "command", "", "9 "),
    Entry("search: digit-dash (NUMBERISH)", "command", "", "1-"),
    Entry("search: ( run + digit", "command", "", "(", "9x"),
    Entry("search: <@ run", "command", "", "<@"),
    Entry("search: <@U long id", "command", "<@U", "A", ">"),
    Entry("search: : run", "command", "", ":"),
    Entry("search: a: run", "command", "", "a:"),
    Entry("search: &lt; escapes", "command", "", "&lt;"),
    Entry("search: &amp;lt; escapes", "command", "", "&amp;lt;"),
    Entry("search: word (suggestion re)", "command", "a", ".", "!"),
    Entry("search: é run", "command", "", "é"),
    Entry("search: emoji run", "command", "", "\U0001f600"),
    Entry("search: U+2010 dash run", "command", "9", "\u2010"),
    Entry("search: … run", "command", "", "…"),
    Entry("search: ≥ run", "command", "", "≥"),
    Entry("search: fullwidth digits", "command", "", "\uff11"),
    Entry("search: no-break spaces", "command", "x", "\u00a0"),
    # each regex's own worst case, reached through its key
    Entry("DURATION: >1m1m1m...x", "command", ">", "1m", "x"),
    Entry("DURATION: 1.5ms run", "command", "", "1.5ms"),
    Entry("DURATION: 9999...m", "command", ">", "9", "m"),
    Entry("COMPARISON: >= run", "command", "", ">="),
    Entry("RANGE: 1m.. run", "command", "", "1m.."),
    Entry("NUMBERISH: from:(((", "command", "from:", "(", "x"),
    Entry("NUMBERISH: from:+111", "command", "from:+", "1"),
    Entry("NUMBERISH: from:1 1 1", "command", "from:", "1 "),
    Entry("phone: to:-.-.", "command", "to:9", "-."),
    Entry('name:" unclosed, words', "command", 'name:"', "a "),
    Entry('name:" unclosed, quotes', "command", 'name:"', "“"),
    Entry("name: valid, long", "command", 'name:"', "ab ", '"'),
    Entry("_MOMENT: since: spaces", "command", 'since:"2024-05-01 09:30', " ", 'x"'),
    Entry("_MOMENT: since:222", "command", "since:", "2"),
    Entry("CLOCK/DATE: 12:30 run", "command", "", "12:30 "),
    Entry("_WINDOW: last 999", "command", "last ", "9"),
    Entry("user:<@U|>>>", "command", "user:<@U12|", ">"),
    Entry("user:<@U|xxx", "command", "user:<@U12|", "x"),
    Entry("call: long id", "command", "call:", "a"),
    Entry("ext: long", "command", "ext:", "1"),
    Entry("page-size: long", "command", "page-size:", "9"),
    Entry("<#channel|...", "command", "<#C1|", "x", ">"),
    # other sub-commands
    Entry("audit: one long token", "command", "audit ", "x"),
    Entry("audit: user:<@ run", "command", "audit user:", "<@"),
    Entry("audit: since:222", "command", "audit since:", "2"),
    Entry("audit: valid tokens", "command", "audit", " recording:1"),
    Entry("export: ( run", "command", "export ", "(", "9"),
    Entry("get: digit run", "command", "get ", "9"),
    Entry("get: : run", "command", "get ", ":"),
    Entry("channel: words", "command", "channel ", "x "),
    # the search form's free-text fields
    Entry("form name: run", "form:name", "", "n"),
    Entry("form either: 1, run", "form:either", "", "1,"),
    Entry("form either: ( run", "form:either", "", "("),
    Entry("form caller: digits", "form:caller", "+", "1"),
    Entry("form call id: run", "form:call", "", "a"),
    # the message shortcut: Slack markup, then phonenumbers' matcher
    Entry("shortcut: numbers", "shortcut", "", "(732) 555-0100, "),
    Entry("shortcut: digits, spaced", "shortcut", "", "1 "),
    Entry("shortcut: +1 run", "shortcut", "", "+1"),
    Entry("shortcut: ( run", "shortcut", "", "("),
    Entry("shortcut: 12- run", "shortcut", "", "12-"),
    Entry("shortcut: < run", "shortcut", "", "<"),
    Entry("shortcut: <tel: links", "shortcut", "", "<tel:+17325550100|x> "),
    Entry("shortcut: <a| run", "shortcut", "", "<a|"),
    Entry("shortcut: text", "shortcut", "", "call me back "),
]


# -- timing -----------------------------------------------------------------------------------


@contextlib.contextmanager
def gc_off() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(fn: Callable[[str], None], text: str, loops: int) -> float:
    started = time.thread_time()
    for _ in range(loops):
        fn(text)
    return time.thread_time() - started


def _calibrate(fn: Callable[[str], None], text: str) -> tuple[int, float]:
    """Loops per run so that a run lasts RUN_SECONDS, and the per-call time seen meanwhile."""
    loops, best = 1, math.inf
    while True:
        elapsed = _run(fn, text, loops)
        best = min(best, elapsed / loops)
        if elapsed >= RUN_SECONDS or loops >= 1 << 14:
            return loops, best
        loops *= max(2, min(10, math.ceil(RUN_SECONDS / max(elapsed, 1e-7))))


class Timing(NamedTuple):
    small: float  # seconds per call at n (median over rounds)
    large: float  # at 4n
    ratio: float  # median over rounds of large / small


def timed_pair(fn: Callable[[str], None], small: str, large: str, rounds: int = ROUNDS) -> Timing:
    """CPU time per call for both texts; each round times one run of each, back to back.

    The ratio is the median of the rounds' ratios: a disturbance (another process on the core,
    a hypervisor steal) spoils one round, not the figure.
    """
    with gc_off():
        loops_small, _ = _calibrate(fn, small)
        loops_large, _ = _calibrate(fn, large)
        smalls, larges = [], []
        for _ in range(rounds):
            smalls.append(_run(fn, small, loops_small) / loops_small)
            larges.append(_run(fn, large, loops_large) / loops_large)
    ratios = [big / little for little, big in zip(smalls, larges, strict=True)]
    return Timing(statistics.median(smalls), statistics.median(larges), statistics.median(ratios))


@dataclass
class Row:
    name: str
    path: str
    capped: Timing
    raw: Timing
    recheck: Timing | None = None  # at RECHECK, when raw was over the target

    @property
    def raw_ratio(self) -> float:
        """10k -> 40k, or 40k -> 160k when that was re-timed (see the module docstring)."""
        return (self.recheck or self.raw).ratio


def measure(entry: Entry) -> Row:
    fn = PATHS[entry.path]
    capped = timed_pair(fn, *(entry.text(n) for n in CAPPED))
    with uncapped():
        raw = timed_pair(fn, *(entry.text(n) for n in RAW), rounds=RAW_ROUNDS)
        recheck = None
        if raw.ratio > RATIO_MAX:
            recheck = timed_pair(fn, *(entry.text(n) for n in RECHECK), rounds=RAW_ROUNDS)
    return Row(entry.name, entry.path, capped, raw, recheck)


def show(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


# -- the hypothesis search --------------------------------------------------------------------

PREFIXES = [
    "",
    LINK,
    f"{LINK}a@",
    "audit ",
    "audit user:",
    "export ",
    "get ",
    "from:",
    "to:+",
    'name:"',
    "since:",
    "last ",
    ">",
    "user:",
    "<@U1",
]
ALPHABET = '@."“”„<>|:;&#!^ 019+-()xUa…≥é\u2010\u00a0'


@dataclass
class Found:
    ratio: float = 0.0
    entry: Entry | None = None
    tried: int = 0
    crashes: tuple[str, ...] = ()


def search_worst(examples: int, hard_stop: float) -> Found:
    """Hypothesis looks for the (path, prefix, unit, suffix) with the worst n -> 4n ratio.

    Uncapped, at 1,000 -> 4,000 characters (quick timings, so targeting can steer); fixed seed,
    at most ``examples`` shapes and SEARCH_CPU seconds of CPU. The caller re-times the worst.
    """
    found = Found()
    crashes: list[str] = []
    cpu_stop = time.process_time() + SEARCH_CPU

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        path=st.sampled_from(sorted(PATHS)),
        prefix=st.sampled_from(PREFIXES),
        unit=st.text(alphabet=ALPHABET, min_size=1, max_size=6),
        suffix=st.text(alphabet=ALPHABET, max_size=3),
    )
    def probe(path: str, prefix: str, unit: str, suffix: str) -> None:
        if time.process_time() > cpu_stop or time.perf_counter() > hard_stop:
            return
        found.tried += 1
        entry = Entry("hypothesis", path, prefix if path == "command" else "", unit, suffix)
        fn = PATHS[path]
        try:
            with uncapped():
                ratio = timed_pair(fn, *(entry.text(n) for n in CAPPED), rounds=3).ratio
        except Exception as exc:  # a crash is a finding too; report it, keep searching
            crashes.append(f"{entry!r}: {exc!r}")
            return
        target(ratio)
        if ratio > found.ratio:
            found.ratio, found.entry = ratio, entry

    probe()
    found.crashes = tuple(crashes[:5])
    return found


# -- the old e-mail regex, for the same-run baseline ------------------------------------------


def email_attack(n: int) -> str:
    """``a@a.a.a. ... a.@``, ``n`` characters: what made the old regex backtrack."""
    return "a@" + ("a." * n)[: n - 3] + "@"


def old_email_seconds(n: int) -> float | None:
    """CPU seconds of the old regex on ``email_attack(n)``, in a child (a regex cannot be
    interrupted); None when it ran past OLD_TIMEOUT."""
    code = textwrap.dedent(f"""
        import re, time
        pattern = re.compile({OLD_EMAIL!r})
        text = "a@" + ("a." * {n})[: {n} - 3] + "@"
        assert len(text) == {n}
        started = time.thread_time()
        assert pattern.fullmatch(text) is None
        print(time.thread_time() - started)
    """)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=OLD_TIMEOUT,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip())


# -- report -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def row_line(row: Row) -> str:
    line = (
        f"{row.name:<33}{row.path:<12}"
        f"{show(row.capped.small):>10}{show(row.capped.large):>10}{row.capped.ratio:>6.2f}x  |"
        f"{show(row.raw.small):>10}{show(row.raw.large):>10}{row.raw.ratio:>6.2f}x"
    )
    if row.recheck:
        line += f"  40k->160k {row.recheck.ratio:.2f}x"
    if max(row.capped.ratio, row.raw_ratio) > RATIO_MAX:
        line += "  <-- over target"
    return line


def email_baseline() -> None:
    print("\nthe e-mail regex link used before, same run, on a@a.a.a...a.@ (refused by both):")
    old = [old_email_seconds(n) for n in RAW]
    new = timed_pair(is_email, *(email_attack(n) for n in RAW))
    with uncapped():
        whole = timed_pair(run_command, *(f"{LINK}{email_attack(n)}" for n in RAW))
    cells = [show(t) if t is not None else f"> {OLD_TIMEOUT:.0f} s" for t in old]
    old_ratio = f"{old[1] / old[0]:.1f}x" if old[0] and old[1] else "n/a"
    print(f"  old regex           10,000: {cells[0]:>10}   40,000: {cells[1]:>10}   {old_ratio}")
    for label, timing in (("is_email", new), ("whole link command", whole)):
        print(
            f"  {label:<20}10,000: {show(timing.small):>10}   40,000: {show(timing.large):>10}"
            f"   {timing.ratio:.1f}x"
        )
    if old[1]:
        print(
            f"  at 40,000 characters the old regex took {old[1] / new.large:,.0f}x as long as "
            f"is_email, {old[1] / whole.large:,.0f}x as long as the whole command"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="Parse time against text length.")
    parser.add_argument(
        "--examples", type=int, default=200, help="hypothesis shapes to try (<= 1000)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    began, began_cpu = time.perf_counter(), time.process_time()
    hard_stop = began + HARD_STOP

    print("CPU time per call, median of several rounds; ratio = time(4n) / time(n)")
    print(f"target: every ratio <= {RATIO_MAX:.2f}x (linear ~4x, quadratic ~16x)\n")
    print(f"{'':<45}--- capped, as shipped ---   ---- uncapped (raw) ----")
    print(
        f"{'corpus entry':<33}{'path':<12}"
        f"{'n=1,000':>10}{'n=4,000':>10}{'ratio':>7}  |"
        f"{'10,000':>10}{'40,000':>10}{'ratio':>7}"
    )
    rows: list[Row] = []
    for entry in CORPUS:
        if time.perf_counter() > hard_stop:
            break
        rows.append(measure(entry))
        print(row_line(rows[-1]))
    if len(rows) < len(CORPUS):
        print(f"({len(CORPUS) - len(rows)} corpus entries skipped: the time budget ran out)")

    examples = max(1, min(args.examples, 1000))
    found = search_worst(examples, hard_stop)
    print(f"\nhypothesis search: {found.tried} shapes tried (fixed seed, <= {examples})")
    if found.entry is not None:
        entry = found.entry
        print(
            f"  worst: path {entry.path}, prefix {entry.prefix!r}, unit {entry.unit!r}, "
            f"suffix {entry.suffix!r}; {found.ratio:.2f}x while searching (quick timing), re-timed:"
        )
        rows.append(measure(replace(entry, name="hypothesis worst")))
        print(row_line(rows[-1]))
    for crash in found.crashes:
        print(f"  CRASH {crash}")

    email_baseline()

    worst_capped = max(rows, key=lambda r: r.capped.ratio)
    worst_raw = max(rows, key=lambda r: r.raw_ratio)
    slowest = max(rows, key=lambda r: r.capped.large)
    rechecked = sum(1 for r in rows if r.recheck)
    timed = sum(1 for r in rows if r.name != "hypothesis worst")
    checks = [
        (
            f"capped n -> 4n <= {RATIO_MAX:.0f}x (worst: {worst_capped.name})",
            f"{worst_capped.capped.ratio:.2f}x",
            worst_capped.capped.ratio <= RATIO_MAX,
        ),
        (
            f"uncapped n -> 4n <= {RATIO_MAX:.0f}x (worst: {worst_raw.name})",
            f"{worst_raw.raw_ratio:.2f}x",
            worst_raw.raw_ratio <= RATIO_MAX,
        ),
        ("no crash found by the search", str(len(found.crashes)), not found.crashes),
        ("every corpus entry timed", f"{timed}/{len(CORPUS)}", timed == len(CORPUS)),
    ]
    print(
        f"\nslowest call at the 4,000-character cap: {show(slowest.capped.large)} ({slowest.name})"
    )
    print(f"uncapped rows re-timed at 40k->160k (over {RATIO_MAX:.0f}x at 10k->40k): {rechecked}")
    print(f"\n{'target':<76}{'figure':>8}  verdict")
    for name, figure, ok in checks:
        print(f"{name:<76}{figure:>8}  {verdict(ok)}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(
        f"\nwhole bench {wall:.1f} s ({cpu:.1f} s CPU here, plus the old regex's child); ", end=""
    )
    print(f"load average {load} ", end="")
    print(f"on {os.cpu_count()} CPUs (figures are CPU time; a busy machine still skews them)")
    missed = not all(ok for _, _, ok in checks)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
