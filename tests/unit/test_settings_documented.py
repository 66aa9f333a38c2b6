"""Every setting the bot reads is documented for the admin who installs it."""

from __future__ import annotations

import re

import pytest

from tests.paths import REPO

SETTINGS_SOURCE = (REPO / "bot" / "settings.py").read_text()
READ = sorted(set(re.findall(r'get\("([A-Z][A-Z0-9_]+)"', SETTINGS_SOURCE)))


def test_the_scan_finds_the_settings() -> None:
    assert {"SLACK_BOT_TOKEN", "NOTIFY_POLL_SECONDS", "MEMBERS_MAY_DELETE"} <= set(READ)


@pytest.mark.parametrize("key", READ)
def test_each_setting_is_in_the_readme_table_and_env_example(key: str) -> None:
    readme = (REPO / "README.md").read_text()
    example = (REPO / ".env.example").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    assert any(f"`{key}`" in row for row in rows), f"add {key} to the README's configuration table"
    assert re.search(rf"^#? ?{key}=", example, re.M), f"add {key} to .env.example"
