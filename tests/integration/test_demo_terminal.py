"""The demo console at a real (pseudo-)terminal, typed into the way a person types.

``recordings-bot demo`` runs as its own process on a pty, so prompt_toolkit's line editor,
``patch_stdout`` and the log file are the ones a person gets; pexpect types and reads.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path

import httpx
import pexpect
from pexpect.popen_spawn import PopenSpawn

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|[\r\x07]")
SIM_URL = r"VBC simulator: \W*(http://127\.0\.0\.1:\d+)"


BANNER_END = r"above the line you are typing\."


def spawn(tmp_path: Path) -> tuple[pexpect.spawn, str]:
    """The demo at a pty, its prompt up; and its banner, without ANSI codes.

    The banner goes through ``patch_stdout``'s writer thread, so it may reach the screen
    before the first prompt or just after it (the prompt is then drawn again below it):
    read up to the banner's last line, then up to a prompt.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VBC_"))}
    env |= {
        "PYTHONPATH": str(REPO),
        "TMPDIR": str(tmp_path),  # the log file goes to the temp dir
        "TERM": "xterm-256color",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect does not answer cursor-position queries
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "demo"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=40,
        dimensions=(60, 220),
    )
    child.expect(BANNER_END)
    banner = ANSI.sub("", (child.before or "") + str(child.after))
    child.expect("dana>")
    return child, banner


def typed(child: pexpect.spawn, line: str, until: str) -> str:
    """Type ``line`` and Enter; what the screen showed until ``until``, without ANSI codes."""
    child.send(line + "\r")
    child.expect(until)
    return ANSI.sub("", (child.before or "") + str(child.after))


def test_background_notice_home_shortcuts_rendering_and_logs(tmp_path: Path) -> None:
    child, banner = spawn(tmp_path)
    try:
        log_file = tmp_path / "recordings-bot-demo.log"
        assert f"log lines: {log_file}" in banner
        assert log_file.exists()

        typed(child, "export inbound last 7d", "Started export")
        child.expect("dana>")

        # Half a command typed, no Enter: the ready notice arrives and prints above it.
        child.send("inbound last")
        child.expect(r"ready in 2\s+zip files", timeout=40)
        assert "Started export" not in ANSI.sub("", child.before or "")  # nothing typed since
        # A link shows its URL (underlined), not only its label.
        child.expect(r"\(\x1b\[4mhttps://fake\.slack\.test/files/[^)]+part1\.zip\x1b\[24m\)")
        # The rest of the line, then Enter: the command typed around the notice is whole.
        search = typed(child, " 30d", "Page 1 of")
        assert "inbound last 30d" in search
        child.expect("dana>")

        home = typed(child, "home", r"Refresh exports\]")
        assert "App Home" in home
        assert "Recent recordings" in home
        assert "Exports" in home
        child.expect("dana>")

        form = typed(child, "shortcut", "modal: Search recordings")
        child.expect("Direction")
        closed = typed(child, "/cancel", r"modal closed without submitting")
        assert "Traceback" not in form + closed
        child.expect("dana>")

        found = typed(child, 'shortcut "call me at +1 732 555 0100"', r"Page 1 of")
        assert "with +1 732-555-0100" in found

        child.send("as admin\r")
        child.expect("alex>")
        child.send("audit\r")
        child.expect(r"Page \d+ of \d+")
        raw = child.before or ""
        audit = ANSI.sub("", raw)
        assert "📜" in audit
        assert ":scroll:" not in audit
        assert "\x1b[1mAudit log\x1b[22m" in raw  # bold, in the terminal's own way
        assert "*Audit log*" not in audit
        assert "@Dana Demo" in audit  # <@U0DEMO001> as the person's name
        assert "<!date" not in audit
        assert re.search(r"Today \d{1,2}:\d\d [AP]M", audit)  # the viewer's local time

        child.send("quit\r")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    screen = ANSI.sub("", child.before or "")
    assert "Traceback" not in screen
    assert " WARNING " not in screen
    assert " INFO " not in screen


def test_a_new_recording_notice_appears_with_nothing_typed(tmp_path: Path) -> None:
    """`notify me`, then calls end at the simulator: the notice prints at the prompt."""
    child, banner = spawn(tmp_path)
    try:
        sim = re.search(SIM_URL, banner)
        assert sim is not None, banner
        typed(child, "notify me", "Rule 1 is on")
        child.expect("dana>")

        # Ten calls end now (the seeded simulator gives Dana some of them), none listed late.
        answer = httpx.post(f"{sim[1]}/_sim/arrivals", json={"burst": 10, "late_share": 0})
        assert answer.status_code == 200
        assert len(answer.json()["burst"]) == 10

        child.expect(r"New recording · rule 1", timeout=40)  # the poll runs every 10 s
        assert "dana>" not in ANSI.sub("", child.before or "")  # nothing typed: it came
        child.expect(r"\[1 ▶ Play\]")

        played = typed(child, "press play", r"is in your DM with me")
        assert "📎" in played
        child.send("quit\r")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "Traceback" not in ANSI.sub("", child.before or "")


def test_piped_stdin_still_prints_what_arrives_meanwhile(tmp_path: Path) -> None:
    """Not a terminal: plain lines, and the ready notice prints while no line is sent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VBC_"))}
    env |= {"PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    child = PopenSpawn(
        [sys.executable, "-m", "bot", "demo"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=40,
    )
    try:
        child.sendline("export inbound last 7d")
        child.expect("Started export")
        child.expect(r"is ready in 2 zip files")
        meanwhile = child.before or ""
        assert "dana>" not in meanwhile  # no line was read: it arrived on its own
        assert "\x1b[" not in meanwhile  # plain text, no terminal styles
        assert "Download" not in meanwhile or "(http" in meanwhile
        child.sendline("quit")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        if child.proc.poll() is None:
            child.kill(signal.SIGKILL)
