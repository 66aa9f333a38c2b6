"""``recordings-bot check`` against the VBC simulator and the fake Slack: every check passes
with good settings, and each bad one fails with a line saying what to fix."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path

from bot.ops.check import FAIL, OK, Line, run_checks
from bot.settings import Settings
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
)
from tests.fakes import FakeSlack
from tests.integration.conftest import SIGNING_SECRET

BOT_TOKEN = "xoxb-check-bot-token"


def env_for(sim: RunningSimulator, slack: FakeSlack, database_url: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "VBC_API_URL": sim.url,
        "VBC_CLIENT_ID": DEMO_CLIENT_ID,
        "VBC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "VBC_USERNAME": DEMO_USERNAME,
        "VBC_PASSWORD": DEMO_PASSWORD,
        "DATABASE_URL": database_url,
        "BOT_SECRET_KEY": "check-secret-key-0123456789abcdef-check",
    }


def by_name(lines: list[Line]) -> dict[str, Line]:
    return {line.name: line for line in lines}


async def test_every_check_passes_with_good_settings(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str
) -> None:
    sim, slack = backends
    lines = by_name(await run_checks(Settings.from_env(env_for(sim, slack, sqlite_url))))
    assert {name: line.status for name, line in lines.items()} == {
        "database": OK,
        "vbc token": OK,
        "vbc user": OK,
        "slack token": OK,
        "slack scopes": OK,
    }
    assert f"VBC user {sim.state.admin.id}" in lines["vbc user"].detail


async def test_each_bad_setting_fails_its_line_and_says_what_to_fix(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str, tmp_path: Path
) -> None:
    sim, slack = backends
    good = Settings.from_env(env_for(sim, slack, sqlite_url))

    async def failing(settings: Settings) -> dict[str, Line]:
        return {
            n: line
            for n, line in by_name(await run_checks(settings)).items()
            if line.status == FAIL
        }

    wrong_password = await failing(dataclasses.replace(good, vbc_password="not-it"))
    assert set(wrong_password) == {"vbc token"}
    assert "VBC_USERNAME and VBC_PASSWORD" in wrong_password["vbc token"].fix

    wrong_client = await failing(dataclasses.replace(good, vbc_client_secret="not-it"))
    assert "VBC_CLIENT_ID and VBC_CLIENT_SECRET" in wrong_client["vbc token"].fix

    wrong_account = await failing(dataclasses.replace(good, vbc_account_id="999"))
    assert set(wrong_account) == {"vbc user"}
    assert "VBC_ACCOUNT_ID" in wrong_account["vbc user"].fix

    slack.refused_tokens.add(BOT_TOKEN)
    refused = await failing(good)
    slack.refused_tokens.clear()
    assert set(refused) == {"slack token"}
    assert "invalid_auth" in refused["slack token"].detail
    assert "SLACK_BOT_TOKEN" in refused["slack token"].fix

    slack.granted_scopes.remove("files:write")
    scopes = await failing(good)
    assert set(scopes) == {"slack scopes"}
    assert "files:write" in scopes["slack scopes"].detail
    assert "reinstall" in scopes["slack scopes"].fix

    (tmp_path / "not-a-dir").write_text("")
    database = await failing(
        dataclasses.replace(good, database_url=f"sqlite:///{tmp_path}/not-a-dir/bot.db")
    )
    assert "database" in database
    assert "DATABASE_URL" in database["database"].fix


async def run_cli(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check",
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=str(cwd),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return await process.wait(), out.decode()


async def test_the_command_prints_a_line_per_check_and_its_status(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str, tmp_path: Path
) -> None:
    sim, slack = backends
    code, out = await run_cli(env_for(sim, slack, sqlite_url), tmp_path)
    assert code == 0, out
    assert out.strip().endswith("All checks pass.")
    assert DEMO_PASSWORD not in out
    bad = {**env_for(sim, slack, sqlite_url), "VBC_PASSWORD": ""}
    code, out = await run_cli(bad, tmp_path)
    assert code == 1
    assert "FAIL  configuration VBC_PASSWORD is not set" in out
