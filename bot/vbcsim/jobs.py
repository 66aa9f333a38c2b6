"""Export jobs whose state is a function of time: queued -> in_progress -> complete (or not)."""

from __future__ import annotations

from dataclasses import dataclass

RETENTION_SECONDS = 7 * 86400
JOB_OUTCOMES = frozenset({"complete", "failed", "expired"})
_QUEUED_SHARE = 0.15


@dataclass(frozen=True, slots=True)
class JobView:
    status: str
    files_completed: int
    files_total: int
    valid_until: float | None = None


@dataclass(slots=True)
class SimJob:
    """One export job; ``outcome`` is where it ends, ``forced`` pins a state set by a test."""

    id: str
    user_id: int
    kind: str  # "company" or "on-demand"
    recording_ids: tuple[int, ...]
    created_at: float
    seconds: float
    outcome: str = "complete"
    forced: str | None = None
    forced_at: float = 0.0

    def view(self, now: float) -> JobView:
        total = len(self.recording_ids)
        if self.forced is not None:
            return self._forced_view(total)
        elapsed = now - self.created_at
        queued_for = self.seconds * _QUEUED_SHARE
        if elapsed < queued_for:
            return JobView("queued", 0, total)
        if elapsed < self.seconds:
            share = (elapsed - queued_for) / max(self.seconds - queued_for, 1e-9)
            return JobView("in_progress", min(int(total * share), total), total)
        done_at = self.created_at + self.seconds
        if self.outcome == "failed":
            return JobView("failed", total // 2, total)
        # A job injected to expire keeps its zip for as long as it took to build.
        retention = self.seconds if self.outcome == "expired" else RETENTION_SECONDS
        valid_until = done_at + retention
        status = "expired" if now >= valid_until else "complete"
        return JobView(status, total, total, valid_until)

    def force(self, status: str, now: float) -> None:
        self.forced = status
        self.forced_at = now

    def _forced_view(self, total: int) -> JobView:
        status = self.forced or "queued"
        if status == "complete":
            return JobView(status, total, total, self.forced_at + RETENTION_SECONDS)
        if status == "expired":
            return JobView(status, total, total, self.forced_at)
        if status == "in_progress":
            return JobView(status, total // 2, total)
        return JobView(status, 0 if status == "queued" else total // 2, total)
