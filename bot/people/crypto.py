"""Secrets: encryption at rest (Fernet) and signed, expiring links (HMAC), from BOT_SECRET_KEY.

BOT_SECRET_KEY may list several keys, newest first: the first encrypts and signs, every one
decrypts and verifies, so a key can be replaced without losing what the old one protected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# 128 bits of HMAC-SHA256 keep link tokens short enough for Slack buttons and URLs.
MAC_BYTES = 16
_SALT = b"vbc-recordings-bot/v1"
_UNREADABLE = (
    "A stored secret could not be decrypted with any key in BOT_SECRET_KEY "
    "(was the key that encrypted it removed?)."
)

Payload = dict[str, str | int]


def new_secret_key() -> str:
    """A fresh BOT_SECRET_KEY: 256 random bits, URL-safe (no commas, no quotes)."""
    return secrets.token_urlsafe(32)


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
    """Built once from the bot's secret keys, newest first; the keys never leave this object."""

    def __init__(self, *keys: str) -> None:
        if not keys:
            raise ValueError("BOT_SECRET_KEY is not set: run `recordings-bot secret` to make one.")
        if not all(keys):
            raise ValueError("The bot secret key is empty.")
        fernets = [Fernet(base64.urlsafe_b64encode(_derive(k, b"fernet-at-rest"))) for k in keys]
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)
        self._mac_keys = [_derive(k, b"hmac-signed-links") for k in keys]

    def __repr__(self) -> str:
        return f"Secrets(<{len(self._mac_keys)} key(s) hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise CryptoError(_UNREADABLE) from None

    def reseal(self, token: str) -> str:
        """``token`` encrypted under the newest key: itself when it already is."""
        try:
            self._newest.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            pass
        else:
            return token
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise CryptoError(_UNREADABLE) from None

    def sign_link(self, payload: Payload, *, expires_at: int) -> str:
        """``base64url(JSON).base64url(MAC)``: compact, URL-safe, readable only by us."""
        body = json.dumps({"p": payload, "e": expires_at}, separators=(",", ":"), sort_keys=True)
        encoded = _b64(body.encode())
        return f"{encoded}.{_b64(_mac(self._mac_keys[0], encoded))}"

    def verify_link(self, token: str, *, now: int) -> Payload:
        encoded, dot, mac = token.partition(".")
        try:
            given = _unb64(mac) if dot and token.isascii() else b""
        except (binascii.Error, ValueError):
            given = b""
        # Every key is tried (no early exit), each comparison in constant time.
        matches = 0
        for key in self._mac_keys if given else ():
            matches += hmac.compare_digest(given, _mac(key, encoded))
        if not matches:
            raise LinkInvalidError(
                "This link is not valid: it was altered or is not from this bot."
            )
        body = json.loads(_unb64(encoded))
        if now >= int(body["e"]):
            raise LinkExpiredError("This link has expired; ask the bot for a new one.")
        payload: Payload = body["p"]
        return payload


def _mac(key: bytes, encoded: str) -> bytes:
    return hmac.new(key, encoded.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]
