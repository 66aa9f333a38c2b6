"""Secrets: encryption at rest (Fernet) and signed, expiring links (HMAC), from BOT_SECRET_KEY."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from bot.store import Store

STORED_KEY_NAME = "bot_secret_key"
# 128 bits of HMAC-SHA256 keep link tokens short enough for Slack buttons and URLs.
MAC_BYTES = 16
_SALT = b"vbc-recordings-bot/v1"

Payload = dict[str, str | int]


class CryptoError(Exception):
    """Something encrypted or signed by us could not be read; ``str()`` is safe to show."""


class LinkInvalidError(CryptoError):
    """The token was altered, truncated or signed with another key."""


class LinkExpiredError(CryptoError):
    """The token is genuine but its time is up."""


def _derive(key: str, info: bytes) -> bytes:
    # Distinct HKDF infos: the encryption key and the signing key never coincide.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(key.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Secrets:
    """Built once from the bot's secret key; the key never leaves this object."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("The bot secret key is empty.")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(key, b"fernet-at-rest")))
        self._mac_key = _derive(key, b"hmac-signed-links")

    def __repr__(self) -> str:
        return "Secrets(<key hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise CryptoError(
                "A stored secret could not be decrypted (was BOT_SECRET_KEY changed?)."
            ) from None

    def sign_link(self, payload: Payload, *, expires_at: int) -> str:
        """``base64url(JSON).base64url(MAC)``: compact, URL-safe, readable only by us."""
        body = json.dumps({"p": payload, "e": expires_at}, separators=(",", ":"), sort_keys=True)
        encoded = _b64(body.encode())
        return f"{encoded}.{_b64(self._mac(encoded))}"

    def verify_link(self, token: str, *, now: int) -> Payload:
        encoded, dot, mac = token.partition(".")
        try:
            given = _unb64(mac) if dot and token.isascii() else b""
        except (binascii.Error, ValueError):
            given = b""
        if not given or not hmac.compare_digest(given, self._mac(encoded)):
            raise LinkInvalidError(
                "This link is not valid: it was altered or is not from this bot."
            )
        body = json.loads(_unb64(encoded))
        if now >= int(body["e"]):
            raise LinkExpiredError("This link has expired; ask the bot for a new one.")
        payload: Payload = body["p"]
        return payload

    def _mac(self, encoded: str) -> bytes:
        return hmac.new(self._mac_key, encoded.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


async def load_secret_key(settings_key: str | None, store: Store) -> str:
    """BOT_SECRET_KEY when configured, else the one generated on first run and kept in the DB."""
    if settings_key:
        return settings_key
    return await store.secret(STORED_KEY_NAME)
