"""The `/recordings` filter grammar: slash-command text <-> SearchRequest, pure and I/O-free.

The grammar's parts live beside this module, one job each:
``tokens`` (Slack escapes, quotes, mentions), ``phones``, ``times``, ``durations``,
``reader`` (``parse_filter``), ``suggestions`` (what to offer for a bad token), ``printer``
(``format_filter``, ``describe_filter``, ``describe_recordings``), ``vocabulary`` (the words and
``GRAMMAR_HELP``), ``manual`` (help: one entry per sub-command), ``verbs`` (``play 193228``
suggests ``get 193228``) and ``audit`` (the audit filters, read with the same time readers).

Decisions worth knowing:
- A bare 2-6 digit number is an error suggesting ``ext:NNN``: it could be an extension or a
  mistyped phone number. ``from:123`` / ``to:123`` keep short numbers verbatim, because
  internal calls carry the extension as caller id / dialed number.
- ``>2m`` and ``>=2m`` both mean ``duration:gte`` (VBC has no strict comparison).
- ``until:`` a date means the end of that day (23:59:59 local); with a time, that time.
- Time words set both ends: ``today``/``yesterday``/``monday`` whole local days, ``this
  week|month`` and ``last 7d|3mo`` end now (so paging over a result stays stable), ``last
  week|month`` are whole calendar weeks/months. ``since:``/``until:`` take a time word's
  start/end (``since:yesterday``). In a window ``m`` is ambiguous (``last 3m`` is refused,
  offering ``3min`` and ``3mo``); in a duration it is minutes (``>2m``).
- A window that starts after now is refused: nothing is recorded there yet.
- Every bad token of a command is reported at once (up to five), each clipped to 40
  characters; two tokens setting one thing (``inbound outbound``) say which to keep.
- Slack escapes ``& < >`` in command text, so ``&gt;2m`` is read as ``>2m``.
- Local times that do not exist (the DST gap) are read with the offset before the change;
  repeated ones (the DST overlap) as their first occurrence. ``since:2024-11-03T01:30:00Z``
  (or ``-05:00``) pins an exact instant; ``format_filter`` uses that form only when needed.
"""

from __future__ import annotations

from bot.grammar.phones import extract_numbers, normalize_number
from bot.grammar.printer import describe_filter, describe_recordings, format_filter
from bot.grammar.reader import parse_filter
from bot.grammar.request import FilterError, SearchRequest
from bot.grammar.tokens import mention_user_id
from bot.grammar.vocabulary import GRAMMAR_HELP, MAX_PAGE_SIZE

__all__ = [
    "GRAMMAR_HELP",
    "MAX_PAGE_SIZE",
    "FilterError",
    "SearchRequest",
    "describe_filter",
    "describe_recordings",
    "extract_numbers",
    "format_filter",
    "mention_user_id",
    "normalize_number",
    "parse_filter",
]
