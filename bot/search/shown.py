"""The page a results message shows now, kept with its cursor so it can be re-drawn.

A click on an ephemeral message carries no copy of it, and a Play's progress must not ask VBC
for the page again: the rows (without VBC's URLs), the page's counts and its header are kept
here, and the list is re-drawn from them with each row's newest state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks.rows import LINK
from bot.search.merge import ResultPage
from bot.store.tables import RowState
from bot.vbc.models import Recording

_NOT_KEPT = frozenset({"download_url", "self_url"})  # VBC URLs: never needed to draw a row


@dataclass(frozen=True)
class ShownPage:
    page: ResultPage
    summary: str
    scope: str
    show_kind: bool

    def to_json(self) -> dict[str, Any]:
        p = self.page
        return {
            "recs": [r.model_dump(mode="json", exclude=set(_NOT_KEPT)) for r in p.recordings],
            "page": p.page,
            "size": p.page_size,
            "total": p.total_items,
            "exact": p.exact_total,
            "next": p.has_next,
            "summary": self.summary,
            "scope": self.scope,
            "kind": self.show_kind,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShownPage:
        page = ResultPage(
            recordings=[Recording.model_validate(r) for r in data["recs"]],
            page=int(data["page"]),
            page_size=int(data["size"]),
            total_items=int(data["total"]),
            exact_total=bool(data["exact"]),
            has_next=bool(data["next"]),
            next_offsets=[],
        )
        return cls(
            page=page,
            summary=str(data["summary"]),
            scope=str(data["scope"]),
            show_kind=bool(data["kind"]),
        )


def row_views(states: Iterable[RowState], links: Mapping[str, str]) -> dict[str, blocks.RowView]:
    """Stored row states -> what each row shows, by recording ref.

    A download link (too big for Slack) is never stored: ``links`` holds the ones just made;
    without one, the row offers Play again, which makes a fresh link.
    """
    found: dict[str, dict[str, blocks.ActionState]] = {}
    for s in states:
        url = links.get(s.ref, "") if s.status == LINK else s.url or ""
        found.setdefault(s.ref, {})[s.action] = blocks.ActionState(
            status=s.status,
            percent=s.percent,
            label=s.label or "",
            url=url,
            note=s.note or "",
        )
    return {ref: blocks.RowView(states) for ref, states in found.items()}
