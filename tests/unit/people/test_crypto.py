"""Secrets: encryption round trip, signed links (tamper, expiry, other key)."""

from __future__ import annotations

import base64
import json

import pytest

from bot.people.crypto import (
    CryptoError,
    LinkExpiredError,
    LinkInvalidError,
    Secrets,
)

KEY = "test-key-not-a-real-secret"
PAYLOAD: dict[str, str | int] = {
    "kind": "audio",
    "ref": "company:193228",
    "team": "T1",
    "user": "U1",
}


def test_encrypt_round_trip_hides_plaintext() -> None:
    secrets = Secrets(KEY)
    token = secrets.encrypt("access-token-value")
    assert "access-token-value" not in token
    assert secrets.decrypt(token) == "access-token-value"
    assert secrets.encrypt("access-token-value") != token  # fresh IV every time


def test_decrypt_with_another_key_or_tampered_fails() -> None:
    token = Secrets(KEY).encrypt("hello")
    with pytest.raises(CryptoError, match="BOT_SECRET_KEY"):
        Secrets("another-key").decrypt(token)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(CryptoError):
        Secrets(KEY).decrypt(tampered)
    with pytest.raises(CryptoError):
        Secrets(KEY).decrypt("not a token ✓")


def test_signed_link_round_trip_is_compact() -> None:
    secrets = Secrets(KEY)
    token = secrets.sign_link(PAYLOAD, expires_at=1000)
    assert secrets.verify_link(token, now=999) == PAYLOAD
    assert len(token) < 160
    assert all(c.isalnum() or c in "-_." for c in token)


def test_signed_link_expires() -> None:
    secrets = Secrets(KEY)
    token = secrets.sign_link(PAYLOAD, expires_at=1000)
    with pytest.raises(LinkExpiredError, match="expired"):
        secrets.verify_link(token, now=1000)


def test_tampered_link_is_invalid_not_expired() -> None:
    secrets = Secrets(KEY)
    token = secrets.sign_link(PAYLOAD, expires_at=1000)
    body, _, mac = token.partition(".")
    forged = json.dumps({"p": {**PAYLOAD, "user": "U2"}, "e": 1000}).encode()
    forged_body = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    for bad in (
        f"{forged_body}.{mac}",
        f"{body}.{mac[:-2]}",
        f"{body}.{'A' * len(mac)}",
        body,
        "",
        f"{body}.{mac}é",
    ):
        with pytest.raises(LinkInvalidError, match="not valid"):
            secrets.verify_link(bad, now=0)
    with pytest.raises(LinkInvalidError):
        Secrets("another-key").verify_link(token, now=0)


def test_expired_and_invalid_are_distinct_errors() -> None:
    assert not issubclass(LinkExpiredError, LinkInvalidError)
    assert not issubclass(LinkInvalidError, LinkExpiredError)


def test_repr_shows_no_key_material() -> None:
    secrets = Secrets(KEY)
    assert KEY not in repr(secrets)
    assert KEY not in str(secrets)
    assert "key" in repr(secrets)


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Secrets("")
    with pytest.raises(ValueError, match="recordings-bot secret"):
        Secrets()
