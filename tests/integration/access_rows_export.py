"""The access matrix's export rows (see ``tests/integration/access.py`` for ``Row``).

An export is restricted exactly like a search: "own" exports the actor's recordings of the
last 30 days, "other" asks for someone else's (``user:@person``), which only admins may.
Where the bot asks to confirm a large export, the row confirms, so an allowed row ends with
an export started (audited ``export`` / ``allowed``).
"""

from __future__ import annotations

from bot import blocks
from tests.fakes import render_text
from tests.integration.access import Outcome, Row, Whose, latest_reply, seen_count
from tests.integration.conftest import MEMBER, OTHER, Stack


def _subject(actor: str) -> str:
    return OTHER if actor == MEMBER else MEMBER


def _confirm_value(stack: Stack) -> str | None:
    for call in reversed(stack.slack.responses):
        for block in call.args.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == blocks.ACTION_EXPORT_CONFIRM:
                    return str(element["value"])
    return None


async def do_export(stack: Stack, actor: str, whose: Whose) -> Outcome:
    words = "last 30d" if whose == "own" else f"user:<@{_subject(actor)}> last 30d"
    before = seen_count(stack, actor)
    await stack.driver.command(actor, f"export {words}")
    outcome = await latest_reply(stack, actor, before)
    value = _confirm_value(stack) if "Start export" in outcome.text else None
    if value is None:
        return outcome
    replies = len(stack.slack.responses)
    await stack.driver.click(actor, blocks.ACTION_EXPORT_CONFIRM, value)
    # The click's own reply comes last (after the audit), the DM's progress message first.
    await stack.slack.wait_for(lambda: stack.slack.responses[replies:] or None, timeout=10)
    return Outcome(text=render_text(stack.slack.responses[-1].args.get("blocks") or []))


ROWS: list[Row] = [
    Row("member", "export", "own", "allowed", do_export),
    Row("member", "export", "other", "refused", do_export),
    Row("other member", "export", "own", "allowed", do_export),
    Row("other member", "export", "other", "refused", do_export),
    Row("admin", "export", "other", "allowed", do_export),
    Row("unlinked", "export", "own", "refused", do_export),
    Row("unlinked", "export", "other", "refused", do_export),
]
