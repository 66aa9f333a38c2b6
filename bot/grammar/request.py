"""What the grammar reads text into (SearchRequest) and how it refuses a token (FilterError)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.grammar.limits import echo
from bot.grammar.tokens import code
from bot.grammar.tokens import escape_mrkdwn as escape
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import RecordingKind

UNKNOWN = "unknown word"


class FilterError(ValueError):
    """A token the grammar cannot read; ``str()`` is a mrkdwn sentence ready for Slack.

    ``str()`` clips the token and the suggestion (either may hold a long piece of the text).
    """

    def __init__(self, token: str, message: str, suggestion: str) -> None:
        super().__init__(token, message, suggestion)
        self.token = token
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        token, suggestion = code(echo(self.token)), code(echo(self.suggestion))
        if self.message == UNKNOWN:
            return f"I can't read {token} - did you mean {suggestion}?"
        return f"I can't read {token}: {escape(self.message)}. Try {suggestion}."


@dataclass(frozen=True)
class SearchRequest:
    """What a person asked for; ``policy`` turns it into the VBC queries they may run."""

    filter: RecordingFilter = field(default_factory=RecordingFilter)
    numbers: tuple[str, ...] = ()  # either side of the call: caller OR dialed
    kind: RecordingKind | None = None
    company: bool = False
    user: str | None = None  # Slack user id from ``user:<@U123|name>``

    def is_empty(self) -> bool:
        return self == SearchRequest()
