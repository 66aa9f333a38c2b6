"""The VbcError family: every failure of a VBC call, in words a person can read."""

from __future__ import annotations


class VbcError(Exception):
    """Base of every VBC failure; ``str()`` is safe to show to a person."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class VbcNotFoundError(VbcError):
    """404: the recording, job or user does not exist (or is gone)."""


class VbcForbiddenError(VbcError):
    """403: the integration user may not do this."""


class VbcAuthError(VbcError):
    """401 after a refresh, or a rejected grant: the bot's VBC credentials are wrong."""


class VbcRateLimitedError(VbcError):
    """429 after the retries ran out."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class VbcUnavailableError(VbcError):
    """Timeouts, connection failures and 5xx after the retries ran out."""


class VbcBadResponseError(VbcError):
    """VBC answered something we cannot read: malformed JSON, HTML, a truncated body."""
