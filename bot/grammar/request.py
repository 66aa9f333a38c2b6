"""What the grammar reads text into (SearchRequest) and how it refuses tokens (FilterError)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.grammar.limits import MAX_PROBLEMS, echo
from bot.grammar.tokens import code, skip_past
from bot.grammar.tokens import escape_mrkdwn as escape
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import RecordingKind

UNKNOWN = "unknown word"


class FilterError(ValueError):
    """A token the grammar cannot read; ``str()`` is a mrkdwn sentence ready for Slack.

    ``token``, ``message`` and ``suggestion`` describe the first bad token; ``options`` are
    further suggestions (``last 3min`` or ``last 3mo``). A command with several bad tokens
    raises the first with the next ones in ``others`` (``grouped``), so one reply lists them
    all. ``str()`` clips every token and suggestion (either may hold a long piece of text).
    """

    def __init__(
        self, token: str, message: str, suggestion: str, *, options: Sequence[str] = ()
    ) -> None:
        super().__init__(token, message, suggestion)
        self.token = token
        self.message = message
        self.suggestion = suggestion
        self.options = tuple(options)
        self.others: tuple[FilterError, ...] = ()
        self.total = 1
        self.stopped = False  # more text was left unread after MAX_PROBLEMS problems

    @classmethod
    def grouped(cls, errors: Sequence[FilterError], *, read_all: bool = True) -> FilterError:
        """The first of ``errors`` carrying up to ``MAX_PROBLEMS - 1`` more.

        ``read_all`` False: the reader stopped at ``MAX_PROBLEMS`` with text left unread.
        """
        first = errors[0]
        first.others = tuple(errors[1:MAX_PROBLEMS])
        first.total = len(first.problems)
        first.stopped = not read_all
        return first

    @property
    def problems(self) -> tuple[FilterError, ...]:
        return (self, *self.others)

    def line(self) -> str:
        """This one problem as a sentence (without the lead-in of a list)."""
        token = code(echo(self.token))
        tries = " or ".join(code(echo(s)) for s in (self.suggestion, *self.options))
        if self.message == UNKNOWN:
            return f"{token} - did you mean {tries}?"
        return f"{token}: {escape(self.message)}. Try {tries}."

    def __str__(self) -> str:
        if not self.others:
            return f"I can't read {self.line()}"
        lines = [f"{self.total} things to fix in that command:"]
        lines += [f"• {problem.line()}" for problem in self.problems]
        if self.stopped:
            lines.append("I stopped reading there: fix these and send it again.")
        return "\n".join(lines)


def read_every(pieces: list[str], step: Callable[[int], int]) -> tuple[list[FilterError], bool]:
    """Run ``step`` (a piece's index -> the next one's) over ``pieces``; a bad piece is noted
    and skipped past, so one reply names them all. The problems, and whether all was read.

    Stops at MAX_PROBLEMS: a reply lists no more, and a text of thousands of bad words must
    not cost a suggestion search each on the shared event loop.
    """
    errors: list[FilterError] = []
    i = 0
    while i < len(pieces) and len(errors) < MAX_PROBLEMS:
        try:
            i = step(i)
        except FilterError as exc:
            errors.append(exc)
            i = skip_past(pieces, i, exc.token)
    return errors, i >= len(pieces)


class ClashError(FilterError):
    """Two tokens that set the same thing: say which to keep, not only that they clash."""

    def __init__(self, token: str, earlier: str, advice: str) -> None:
        super().__init__(token, advice, earlier)
        self.earlier = earlier

    def line(self) -> str:
        return f"{code(echo(self.earlier))} and {code(echo(self.token))} together: {self.message}."

    def __str__(self) -> str:
        if not self.others:
            return self.line()
        return super().__str__()


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
