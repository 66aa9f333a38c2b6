"""Fault injection: latency, scripted error answers (before or after the request took effect,
e.g. a DELETE whose answer is lost), malformed bodies, failing export jobs, and a job listing
that leaves jobs out or ignores its ``status`` filter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.vbcsim.jobs import JOB_OUTCOMES

MALFORMED_KINDS = frozenset({"html", "truncated_json"})


@dataclass(slots=True)
class FaultRule:
    """Answer the next ``count`` matching requests with ``status`` (or a malformed body)."""

    status: int
    count: int = 1
    path_prefix: str = ""
    method: str | None = None
    retry_after: float | None = None
    malformed: str | None = None
    # The request takes effect and only then is answered with ``status``: a DELETE that VBC
    # carried out while its answer was lost (the client's retry then meets a 404).
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (
            self.method is None or self.method.upper() == method.upper()
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        malformed = data.get("malformed")
        if malformed is not None and malformed not in MALFORMED_KINDS:
            raise ValueError(f"malformed must be one of {sorted(MALFORMED_KINDS)}")
        status = int(data.get("status", 200 if malformed else 500))
        count = int(data.get("count", 1))
        if not 100 <= status <= 599 or count < 1:
            raise ValueError("status must be an HTTP status and count at least 1")
        retry_after = data.get("retry_after")
        return cls(
            status=status,
            count=count,
            path_prefix=str(data.get("path_prefix", "")),
            method=str(data["method"]) if data.get("method") else None,
            retry_after=float(retry_after) if retry_after is not None else None,
            malformed=malformed,
            after=bool(data.get("after", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "count": self.count,
            "path_prefix": self.path_prefix,
            "method": self.method,
            "retry_after": self.retry_after,
            "malformed": self.malformed,
            "after": self.after,
        }


@dataclass(slots=True)
class Faults:
    latency: float = 0.0
    rules: list[FaultRule] = field(default_factory=list)
    next_job_outcomes: list[str] = field(default_factory=list)
    unlisted_jobs: set[str] = field(default_factory=set)  # readable one by one, not listed
    ignore_status_filter: bool = False  # the job listing answers every state whatever is asked

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first matching rule, spending one of its uses."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def next_job_outcome(self) -> str:
        return self.next_job_outcomes.pop(0) if self.next_job_outcomes else "complete"

    def update(self, data: Mapping[str, Any]) -> None:
        """Apply a ``POST /_sim/faults`` body; rules are appended, ``clear`` drops old ones."""
        if data.get("clear"):
            self.rules.clear()
            self.next_job_outcomes.clear()
            self.latency = 0.0
            self.unlisted_jobs.clear()
            self.ignore_status_filter = False
        if "latency" in data:
            latency = float(data["latency"])
            if latency < 0:
                raise ValueError("latency must not be negative")
            self.latency = latency
        rules = [FaultRule.from_json(rule) for rule in data.get("fail_next", [])]
        outcomes = [str(o) for o in data.get("next_jobs", [])]
        if any(o not in JOB_OUTCOMES for o in outcomes):
            raise ValueError(f"next_jobs entries must be one of {sorted(JOB_OUTCOMES)}")
        unlisted = data.get("unlisted_jobs", [])
        if not isinstance(unlisted, list):
            raise TypeError("unlisted_jobs must be a list of job ids")
        if "ignore_status_filter" in data:
            self.ignore_status_filter = bool(data["ignore_status_filter"])
        self.rules.extend(rules)
        self.next_job_outcomes.extend(outcomes)
        self.unlisted_jobs.update(str(job_id) for job_id in unlisted)

    def to_json(self) -> dict[str, Any]:
        return {
            "latency": self.latency,
            "fail_next": [rule.to_json() for rule in self.rules],
            "next_jobs": list(self.next_job_outcomes),
            "unlisted_jobs": sorted(self.unlisted_jobs),
            "ignore_status_filter": self.ignore_status_filter,
        }
