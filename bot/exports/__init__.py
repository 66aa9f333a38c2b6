"""Bulk exports from Slack, as one package whose modules read as the architecture.

This is the public face: handlers, the composition root, tests and the benchmark import from
here. Inside the package, modules import each other by module path (``bot.exports.state``),
never through this file, so loading it cannot close an import cycle.

- ``service``: count, confirm, start and list exports (``ExportService``).
- ``plan``: what an export covers, how many recordings match, and the VBC jobs that build it.
- ``start``: the request row first, then its VBC jobs, one export per click.
- ``state``: job states folded into one request state, and the watcher's contracts (pure).
- ``watcher``: the durable poller under row leases; ``delivery`` carries the notice under it.
- ``notify``, ``slack``, ``messages``: what people are told, where, and its text (pure).
- ``links``: the signed ``export`` link kind that streams a zip from VBC.
- ``setup``: the wiring the composition root calls once (``build_exports``).
"""

from bot.exports.service import ExportService
from bot.exports.setup import build_exports
from bot.exports.start import FIRST_POLL_SECONDS
from bot.exports.state import Outcome, RecordNotice, WatchTuning, final_state
from bot.exports.watcher import ExportWatcher

__all__ = [
    "FIRST_POLL_SECONDS",
    "ExportService",
    "ExportWatcher",
    "Outcome",
    "RecordNotice",
    "WatchTuning",
    "build_exports",
    "final_state",
]
