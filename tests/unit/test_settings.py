"""Settings name every missing or unworkable value in one message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import Settings, SettingsError, is_unconfigured

COMPLETE = {
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "s",
    "VBC_CLIENT_ID": "c",
    "VBC_CLIENT_SECRET": "cs",
    "VBC_USERNAME": "u",
    "VBC_PASSWORD": "p",
    "BOT_SECRET_KEY": "k" * 32,
}


def test_a_complete_environment_gives_http_mode_with_defaults() -> None:
    settings = Settings.from_env(COMPLETE)
    assert settings.mode == "http"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///recordings-bot.db"
    assert "xoxb-1" not in repr(settings)
    assert "k" * 32 not in repr(settings)
    assert "cs" not in repr(settings).replace("vbc_client_id='c'", "")


def test_every_problem_is_named_at_once() -> None:
    env = {
        **COMPLETE,
        "VBC_PASSWORD": "",
        "VBC_API_URL": "notaurl",
        "PHONE_REGION": "ZZ",
        "UPLOAD_CAP_BYTES": "-5",
        "PORT": "http",
        "BOT_SECRET_KEY": "short",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    for key in ("VBC_PASSWORD", "VBC_API_URL", "PHONE_REGION", "UPLOAD_CAP_BYTES", "PORT"):
        assert key in message
    assert "BOT_SECRET_KEY" in message


def test_oauth_mode_requires_the_allowed_workspaces() -> None:
    env = {**COMPLETE, "SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"}
    with pytest.raises(SettingsError, match="SLACK_ALLOWED_TEAMS"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "SLACK_ALLOWED_TEAMS": "T1,T2"}).allowed_teams == {"T1", "T2"}


def test_only_a_completely_empty_configuration_counts_as_unconfigured() -> None:
    assert is_unconfigured({})
    assert not is_unconfigured({"VBC_CLIENT_ID": "c"})


def test_run_with_nothing_configured_and_no_terminal_says_what_to_do(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=str(tmp_path),
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert ".env.example" in done.stderr
    assert "recordings-bot demo" in done.stderr


def test_operations_settings_default_off_and_bad_values_are_named() -> None:
    settings = Settings.from_env(COMPLETE)
    assert settings.metrics_token is None
    assert settings.audit_retention_days is None
    on = Settings.from_env({**COMPLETE, "METRICS_TOKEN": "m" * 16, "AUDIT_RETENTION_DAYS": "365"})
    assert on.audit_retention_days == 365
    assert "m" * 16 not in repr(on)
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({**COMPLETE, "METRICS_TOKEN": "short", "AUDIT_RETENTION_DAYS": "0"})
    assert "METRICS_TOKEN must be at least 16 characters" in str(bad.value)
    assert "AUDIT_RETENTION_DAYS must be a number of days" in str(bad.value)
    with pytest.raises(SettingsError, match="AUDIT_RETENTION_DAYS must be a whole number"):
        Settings.from_env({**COMPLETE, "AUDIT_RETENTION_DAYS": "a year"})


def test_log_format_must_be_text_or_json(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env={"LOG_FORMAT": "xml", "PATH": ""},
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "LOG_FORMAT must be text or json, not 'xml'" in done.stderr
