"""Settings: the whole configuration, read once from the environment by ``__main__``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_VBC_API_URL = "https://api.vonage.com"
DEFAULT_DATABASE_URL = "sqlite:///recordings-bot.db"
DEFAULT_UPLOAD_CAP = 1024 * 1024 * 1024  # Slack's commonly cited 1 GB per file
MIN_SECRET_KEY_LENGTH = 32
HOW_TO_MAKE_A_KEY = "run `recordings-bot secret` to make one"

Mode = Literal["socket", "http", "oauth"]


class SettingsError(ValueError):
    """Configuration is missing or wrong; the message names every problem at once."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    vbc_api_url: str = DEFAULT_VBC_API_URL
    vbc_client_id: str = ""
    vbc_client_secret: str = field(default="", repr=False)
    vbc_username: str = ""
    vbc_password: str = field(default="", repr=False)
    vbc_account_id: str = "self"
    bot_admins: frozenset[str] = frozenset()
    allowed_teams: frozenset[str] = frozenset()  # multi-workspace: only these workspaces
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    bot_secret_key: str | None = field(default=None, repr=False)
    public_url: str = ""
    host: str = "0.0.0.0"  # noqa: S104 - HTTP mode must be reachable by Slack
    port: int = 3000
    phone_region: str = "US"
    upload_cap_bytes: int = DEFAULT_UPLOAD_CAP
    vbc_timeout: float = 10.0
    metrics_token: str | None = field(default=None, repr=False)  # GET /metrics bearer token
    audit_retention_days: int | None = None  # None keeps audit rows forever
    members_may_delete: bool = False  # members may delete their own on-demand recordings
    notify_poll_seconds: int = 60  # new recordings are looked for this often
    notify_overlap_minutes: int = 120  # each look reaches this far back before the newest seen

    @property
    def mode(self) -> Mode:
        if self.slack_app_token:
            return "socket"
        if self.slack_client_id and self.slack_client_secret:
            return "oauth"
        return "http"

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """BOT_SECRET_KEY's keys, newest first: it encrypts and signs, all decrypt and verify."""
        if not self.bot_secret_key:
            return ()
        return tuple(key.strip() for key in self.bot_secret_key.split(","))

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Validate everything and name every missing or bad key in one error."""
        problems: list[str] = []

        def get(key: str, default: str = "") -> str:
            return env.get(key, "").strip() or default

        port = _int(get("PORT", "3000"), "PORT", problems)
        cap = _int(get("UPLOAD_CAP_BYTES", str(DEFAULT_UPLOAD_CAP)), "UPLOAD_CAP_BYTES", problems)
        retention = get("AUDIT_RETENTION_DAYS")
        audit_days = _int(retention, "AUDIT_RETENTION_DAYS", problems) if retention else None
        poll = _int(get("NOTIFY_POLL_SECONDS", "60"), "NOTIFY_POLL_SECONDS", problems)
        overlap = _int(get("NOTIFY_OVERLAP_MINUTES", "120"), "NOTIFY_OVERLAP_MINUTES", problems)
        settings = cls(
            slack_bot_token=get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=get("SLACK_APP_TOKEN") or None,
            slack_client_id=get("SLACK_CLIENT_ID") or None,
            slack_client_secret=get("SLACK_CLIENT_SECRET") or None,
            slack_api_url=_slash(get("SLACK_API_URL", DEFAULT_SLACK_API_URL)),
            vbc_api_url=get("VBC_API_URL", DEFAULT_VBC_API_URL).rstrip("/"),
            vbc_client_id=get("VBC_CLIENT_ID"),
            vbc_client_secret=get("VBC_CLIENT_SECRET"),
            vbc_username=get("VBC_USERNAME"),
            vbc_password=get("VBC_PASSWORD"),
            vbc_account_id=get("VBC_ACCOUNT_ID", "self"),
            bot_admins=_ids(get("BOT_ADMINS")),
            allowed_teams=_ids(get("SLACK_ALLOWED_TEAMS")),
            database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL),
            bot_secret_key=get("BOT_SECRET_KEY") or None,
            public_url=get("PUBLIC_URL"),
            host=get("HOST", "0.0.0.0"),  # noqa: S104
            port=port,
            phone_region=get("PHONE_REGION", "US").upper(),
            upload_cap_bytes=cap,
            metrics_token=get("METRICS_TOKEN") or None,
            audit_retention_days=audit_days,
            members_may_delete=_flag(get("MEMBERS_MAY_DELETE", "false"), problems),
            notify_poll_seconds=poll,
            notify_overlap_minutes=overlap,
        )
        problems.extend(settings.missing())
        problems.extend(settings.invalid())
        if problems:
            raise SettingsError("Configuration problems: " + "; ".join(problems))
        return settings

    def invalid(self) -> list[str]:
        """Values that are present but cannot work, each named with what would."""
        problems: list[str] = []
        for key, url in (
            ("SLACK_API_URL", self.slack_api_url),
            ("VBC_API_URL", self.vbc_api_url),
            ("PUBLIC_URL", self.public_url),
        ):
            parts = urlsplit(url)
            if url and (parts.scheme not in ("http", "https") or not parts.netloc):
                problems.append(
                    f"{key} must be an http(s) URL like https://example.com, not {url!r}"
                )
        if not 0 < self.port < 65536 and self.port != 0:
            problems.append(f"PORT must be between 1 and 65535, not {self.port}")
        if self.audit_retention_days is not None and self.audit_retention_days < 1:
            problems.append(
                "AUDIT_RETENTION_DAYS must be a number of days (1 or more), or unset to keep "
                "the audit log forever"
            )
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            problems.append("METRICS_TOKEN must be at least 16 characters (it guards /metrics)")
        if self.upload_cap_bytes <= 0:
            problems.append("UPLOAD_CAP_BYTES must be a positive number of bytes")
        if not 1 <= self.notify_poll_seconds <= 3600:
            problems.append("NOTIFY_POLL_SECONDS must be between 1 and 3600 seconds")
        if not 1 <= self.notify_overlap_minutes <= 1440:
            problems.append("NOTIFY_OVERLAP_MINUTES must be between 1 and 1440 minutes")
        if self.phone_region not in phonenumbers.SUPPORTED_REGIONS:
            problems.append(
                f"PHONE_REGION must be a two-letter country code like US or GB, "
                f"not {self.phone_region!r}"
            )
        if self.bot_secret_key is not None and any(
            len(key) < MIN_SECRET_KEY_LENGTH for key in self.secret_keys
        ):
            problems.append(
                f"BOT_SECRET_KEY must hold keys of at least {MIN_SECRET_KEY_LENGTH} characters "
                f"each, comma-separated to rotate ({HOW_TO_MAKE_A_KEY})"
            )
        return problems

    def missing(self) -> list[str]:
        problems: list[str] = []
        for key, value in (
            ("VBC_CLIENT_ID", self.vbc_client_id),
            ("VBC_CLIENT_SECRET", self.vbc_client_secret),
            ("VBC_USERNAME", self.vbc_username),
            ("VBC_PASSWORD", self.vbc_password),
        ):
            if not value:
                problems.append(f"{key} is not set")
        if not self.bot_secret_key:
            problems.append(f"BOT_SECRET_KEY is not set: {HOW_TO_MAKE_A_KEY}")
        if self.mode == "oauth":
            if not self.slack_signing_secret:
                problems.append("SLACK_SIGNING_SECRET is not set (needed for OAuth installs)")
        else:
            if not self.slack_bot_token:
                problems.append("SLACK_BOT_TOKEN is not set")
            if self.mode == "http" and not self.slack_signing_secret:
                problems.append("SLACK_SIGNING_SECRET is not set (needed in HTTP mode)")
        if self.mode == "oauth" and not self.allowed_teams:
            problems.append(
                "SLACK_ALLOWED_TEAMS is not set: list your workspace ids, so a stranger's "
                "workspace that installs the app cannot reach your recordings"
            )
        if self.slack_client_id and not self.slack_client_secret:
            problems.append("SLACK_CLIENT_SECRET is not set (SLACK_CLIENT_ID is)")
        if not self.database_url.startswith(("sqlite", "postgres")):
            problems.append("DATABASE_URL must start with sqlite://, postgresql:// or postgres://")
        return problems


SLACK_KEYS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_SIGNING_SECRET")
VBC_KEYS = ("VBC_CLIENT_ID", "VBC_CLIENT_SECRET", "VBC_USERNAME", "VBC_PASSWORD")


def is_unconfigured(env: Mapping[str, str]) -> bool:
    """Nothing of Slack or VBC set: a fresh checkout, where `run` means "show me the demo"."""
    return not any(env.get(k) for k in (*SLACK_KEYS, *VBC_KEYS))


def _ids(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _int(raw: str, key: str, problems: list[str]) -> int:
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{key} must be a whole number, not {raw!r}")
        return 0


def _flag(raw: str, problems: list[str], key: str = "MEMBERS_MAY_DELETE") -> bool:
    value = raw.lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    problems.append(f"{key} must be true or false, not {raw!r}")
    return False


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
