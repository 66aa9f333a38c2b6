"""Async client for the VBC Call Recording and Provisioning APIs."""

from bot.vbc.errors import (
    VbcAuthError,
    VbcBadResponseError,
    VbcError,
    VbcForbiddenError,
    VbcNotFoundError,
    VbcRateLimitedError,
    VbcUnavailableError,
)
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import ExportJob, Page, Recording, User

__all__ = [
    "Direction",
    "ExportJob",
    "Page",
    "Recording",
    "RecordingFilter",
    "User",
    "VbcAuthError",
    "VbcBadResponseError",
    "VbcError",
    "VbcForbiddenError",
    "VbcNotFoundError",
    "VbcRateLimitedError",
    "VbcUnavailableError",
]
