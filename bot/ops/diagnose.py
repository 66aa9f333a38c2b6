"""Failures of VBC and Slack credentials in words an operator can act on (pure): which
setting to look at, and what to do about it."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.vbc.errors import VbcAuthError, VbcError, VbcForbiddenError, VbcUnavailableError

# Slack's answers to a token it will not take (api.slack.com/methods/auth.test#errors).
SLACK_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


def vbc_fix(exc: Exception) -> str:
    """The setting behind a failed VBC token request, and what to check."""
    if isinstance(exc, VbcAuthError):
        if exc.status == 401:
            return (
                "check VBC_CLIENT_ID and VBC_CLIENT_SECRET (the API application's keys at "
                "developer.vonage.com)"
            )
        return (
            "check VBC_USERNAME and VBC_PASSWORD (the integration user's VBC login); "
            "a fixed password is picked up within 5 minutes, no restart needed"
        )
    if isinstance(exc, VbcForbiddenError):
        return "give the integration user (VBC_USERNAME) the VBC account admin role"
    if isinstance(exc, VbcUnavailableError):
        return "check VBC_API_URL and that this host can reach it"
    return "check VBC_API_URL: it should be https://api.vonage.com"


def vbc_refused(exc: Exception) -> bool:
    """A refused credential (as opposed to VBC being down or slow)."""
    return isinstance(exc, VbcAuthError)


def slack_problem(exc: Exception, *, setting: str) -> tuple[str, str]:
    """(what went wrong, what to fix) for a failed ``auth.test``."""
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in SLACK_TOKEN_ERRORS:
            return (
                f"Slack refused the bot token ({error})",
                f"check {setting}: reinstall the app and copy its Bot User OAuth Token",
            )
        return (f"Slack answered {error or exc.response.status_code}", "check SLACK_API_URL")
    if isinstance(exc, LookupError):
        return (str(exc), f"check {setting}")
    return (
        f"Slack could not be reached ({type(exc).__name__})",
        "check SLACK_API_URL and that this host can reach slack.com",
    )


def describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, VbcError) else type(exc).__name__
