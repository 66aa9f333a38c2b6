"""BOT_SECRET_KEY: required, made by `recordings-bot secret`, rotated by a comma-separated list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.people.crypto import CryptoError, LinkInvalidError, Secrets
from bot.settings import Settings, SettingsError
from bot.vbcsim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME

KEY_A = "key-a-key-a-key-a-key-a-key-a-key-a-0001"
KEY_B = "key-b-key-b-key-b-key-b-key-b-key-b-0002"
PAYLOAD: dict[str, str | int] = {"k": "audio", "t": "T1", "u": "U1", "s": "c:1", "f": "a.mp3"}
CONFIGURED = {
    "SLACK_BOT_TOKEN": "xoxb-configured",
    "SLACK_SIGNING_SECRET": "signing-secret",
    "VBC_CLIENT_ID": DEMO_CLIENT_ID,
    "VBC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    "VBC_USERNAME": DEMO_USERNAME,
    "VBC_PASSWORD": DEMO_PASSWORD,
}


def recordings_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=str(cwd),
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
        check=False,
    )


def test_a_key_and_a_link_of_the_old_key_still_work_after_rotation() -> None:
    old_token = Secrets(KEY_A).encrypt("vbc-refresh-token")
    old_link = Secrets(KEY_A).sign_link(PAYLOAD, expires_at=2000)

    rotated = Secrets(KEY_B, KEY_A)
    assert rotated.decrypt(old_token) == "vbc-refresh-token"
    assert rotated.verify_link(old_link, now=1000) == PAYLOAD

    new_token = rotated.encrypt("new-token")
    new_link = rotated.sign_link(PAYLOAD, expires_at=2000)
    assert Secrets(KEY_B).decrypt(new_token) == "new-token"  # the first key encrypts...
    assert Secrets(KEY_B).verify_link(new_link, now=1000) == PAYLOAD  # ...and signs
    with pytest.raises(CryptoError):
        Secrets(KEY_A).decrypt(new_token)
    with pytest.raises(LinkInvalidError):
        Secrets(KEY_A).verify_link(new_link, now=1000)

    resealed = rotated.reseal(old_token)
    assert Secrets(KEY_B).decrypt(resealed) == "vbc-refresh-token"
    assert rotated.reseal(resealed) == resealed  # already under the newest key


def test_without_the_old_key_old_secrets_fail_with_a_clear_error() -> None:
    old_token = Secrets(KEY_A).encrypt("vbc-refresh-token")
    old_link = Secrets(KEY_A).sign_link(PAYLOAD, expires_at=2000)
    only_b = Secrets(KEY_B)
    with pytest.raises(CryptoError, match="any key in BOT_SECRET_KEY") as caught:
        only_b.decrypt(old_token)
    assert caught.value.__cause__ is None  # no cryptography internals chained on
    with pytest.raises(CryptoError, match="any key in BOT_SECRET_KEY"):
        only_b.reseal(old_token)
    with pytest.raises(LinkInvalidError, match="not valid"):
        only_b.verify_link(old_link, now=1000)


def test_settings_name_a_missing_key_with_how_to_make_one() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**CONFIGURED, "VBC_PASSWORD": ""})
    message = str(caught.value)
    assert "VBC_PASSWORD is not set" in message  # in the same, single error
    assert "BOT_SECRET_KEY is not set: run `recordings-bot secret` to make one" in message


@pytest.mark.parametrize(
    "value",
    [
        "short",
        f"{KEY_B},short",
        f"{KEY_B},",
        f"{KEY_B},,{KEY_A}",
    ],
)
def test_every_key_in_the_list_must_be_long_enough(value: str) -> None:
    with pytest.raises(SettingsError, match="BOT_SECRET_KEY must hold keys of at least 32"):
        Settings.from_env({**CONFIGURED, "BOT_SECRET_KEY": value})


def test_a_comma_separated_list_is_read_newest_first() -> None:
    settings = Settings.from_env({**CONFIGURED, "BOT_SECRET_KEY": f" {KEY_B} , {KEY_A} "})
    assert settings.secret_keys == (KEY_B, KEY_A)
    assert KEY_A not in repr(settings)


def test_recordings_bot_secret_prints_a_fresh_valid_key(tmp_path: Path) -> None:
    first = recordings_bot("secret", env={}, cwd=tmp_path)
    second = recordings_bot("secret", env={}, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert first.stdout == key + "\n"  # only the key: BOT_SECRET_KEY=$(recordings-bot secret)
    assert second.stdout.strip() != key
    assert "BOT_SECRET_KEY" in first.stderr
    settings = Settings.from_env({**CONFIGURED, "BOT_SECRET_KEY": key})
    assert settings.secret_keys == (key,)
    secrets = Secrets(*settings.secret_keys)
    assert secrets.decrypt(secrets.encrypt("x")) == "x"
    assert list(tmp_path.iterdir()) == []  # it touched nothing


def test_run_without_a_key_refuses_to_start_and_says_how_to_make_one(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    done = recordings_bot(
        "run", env={**CONFIGURED, "DATABASE_URL": f"sqlite:///{database}"}, cwd=tmp_path
    )
    assert done.returncode != 0
    assert "BOT_SECRET_KEY" in done.stderr
    assert "recordings-bot secret" in done.stderr
    assert "Traceback" not in done.stderr
    assert not database.exists()  # refused before anything was created
