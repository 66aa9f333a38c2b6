"""The fake Slack Web API, now in the package (`bot.demo.fake_slack`) so the demo can run it."""

from bot.demo.fake_slack import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    MAX_RESPONSE_URL_USES,
    PERMALINK_BASE,
    TEAM_ID,
    Call,
    FakeSlack,
    Json,
    Message,
    SlackError,
    Upload,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "MAX_RESPONSE_URL_USES",
    "PERMALINK_BASE",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "Json",
    "Message",
    "SlackError",
    "Upload",
]
