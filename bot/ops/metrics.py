"""Prometheus metrics of one bot process, on a registry of its own (never the global one).

Each runtime owns one ``Metrics``: several apps in one test process, or a benchmark's two
bots, then never collide. Labels are small closed sets (kinds, operations, outcomes) so the
series stay few. ``GET /metrics`` (``bot.ops.routes``) renders them behind ``METRICS_TOKEN``.

Deletions (``deletions``, ``delete_jobs``) are counted by the deletion worker, notices
(``notices``: sent one by one, in a digest, refused by Slack, given up) by the notice sender.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
PREFIX = "recordings_bot"
# Slack waits 3 s for an ack; the buckets resolve that window finely.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
VBC_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every counter and histogram the bot keeps, registered on ``self.registry``."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.acks = Histogram(
            f"{PREFIX}_ack_seconds",
            "Time from a Slack request reaching Bolt to its ack, by kind of request.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.vbc_calls = Counter(
            f"{PREFIX}_vbc_calls",
            "VBC API calls (each attempt) by operation and HTTP status or failure.",
            ["operation", "status"],
            registry=registry,
        )
        self.vbc_seconds = Histogram(
            f"{PREFIX}_vbc_call_seconds",
            "Latency of VBC API calls by operation (until the response headers).",
            ["operation"],
            buckets=VBC_BUCKETS,
            registry=registry,
        )
        self.token_grants = Counter(
            f"{PREFIX}_vbc_token_grants",
            "Token requests to VBC by grant (password, refresh_token, ...) and outcome.",
            ["grant", "outcome"],
            registry=registry,
        )
        self.bytes_relayed = Counter(
            f"{PREFIX}_bytes_relayed",
            "Bytes streamed from VBC into Slack uploads.",
            registry=registry,
        )
        self.uploads = Counter(
            f"{PREFIX}_uploads",
            "Uploads of audio and export zips into Slack, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.export_jobs = Gauge(
            f"{PREFIX}_export_requests",
            "Export requests in the database by state (read at each scrape).",
            ["state"],
            registry=registry,
        )
        self.errors = Counter(
            f"{PREFIX}_errors",
            "Errors by kind: unhandled listener errors, failed VBC calls, HTTP 500s.",
            ["kind"],
            registry=registry,
        )
        self.delete_jobs = Counter(
            f"{PREFIX}_delete_jobs",
            "Bulk delete jobs by how they ended (done, cancelled).",
            ["outcome"],
            registry=registry,
        )
        self.deletions = Counter(
            f"{PREFIX}_deletions",
            "Recording deletions at VBC by outcome (deleted, gone, held, failed, retry).",
            ["outcome"],
            registry=registry,
        )
        self.notices = Counter(
            f"{PREFIX}_notices",
            "New-recording notices by outcome (sent, digest, refused, failed).",
            ["outcome"],
            registry=registry,
        )

        self._export_states: set[str] = set()

    def observe_ack(self, kind: str, seconds: float) -> None:
        self.acks.labels(kind=kind).observe(seconds)

    def observe_vbc(self, operation: str, status: str, seconds: float) -> None:
        self.vbc_calls.labels(operation=operation, status=status).inc()
        self.vbc_seconds.labels(operation=operation).observe(seconds)
        if status in ("timeout", "error") or status.startswith("5"):
            self.count_error("vbc_unavailable")
        elif status in ("401", "403", "429"):
            self.count_error("vbc_refused")

    def observe_grant(self, grant: str, outcome: str) -> None:
        self.token_grants.labels(grant=grant, outcome=outcome).inc()

    def observe_upload(self, outcome: str, size: int) -> None:
        self.uploads.labels(outcome=outcome).inc()
        if outcome == "ok":
            self.bytes_relayed.inc(size)

    def count_error(self, kind: str) -> None:
        self.errors.labels(kind=kind).inc()

    def set_export_states(self, counts: Mapping[str, int]) -> None:
        """Every state seen so far stays a series (0 when none is left in it)."""
        self._export_states.update(counts)
        for state in self._export_states:
            self.export_jobs.labels(state=state).set(counts.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
