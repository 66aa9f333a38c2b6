"""New-recording notices: one notice, a digest, the rule lists and their App Home section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.ids import ACTION_NOTICE_REMOVE, ACTION_NOTICE_TOGGLE
from bot.blocks.mrkdwn import clip, inline_code, plural, sanitize_mrkdwn
from bot.blocks.parts import Block, Message, bid, build_message, button, context, section
from bot.blocks.recordings import notice_row, row_compact
from bot.vbc.models import Recording

DIGEST_ROWS = 20  # then "+N more" with a search that shows them
_LIST_ROWS = 40  # rules shown in one list (each a section with a Remove button)


@dataclass(frozen=True)
class RuleView:
    """A rule as the lists show it."""

    rule_id: int
    where: str  # "your DM" or "<#C123>"
    summary: str
    owner: str | None = None  # the person, in the admins' list of every rule
    paused: str | None = None
    removable: bool = True


def _rule_line(rule: RuleView) -> str:
    text = f"*Rule {rule.rule_id}* → {rule.where}: {clip(sanitize_mrkdwn(rule.summary), 600)}"
    if rule.owner:
        text += f" · <@{rule.owner}>"
    if rule.paused:
        text += f"\n:double_vertical_bar: Paused: {clip(sanitize_mrkdwn(rule.paused), 300)}"
    return text


def render_notice(rec: Recording, *, rule_id: int, summary: str, play_here: bool) -> Message:
    head = context(
        f":bell: New recording · rule {rule_id}: {clip(sanitize_mrkdwn(summary), 400)}",
        bid("ntchead", rule_id, rec.id),
    )
    rows = notice_row(rec, f"{rule_id}:{rec.kind.value}:{rec.id}", play_here=play_here)
    return build_message(f"New recording {rec.id} (rule {rule_id}: {summary})", [head, *rows])


def render_digest(
    recordings: Sequence[Recording],
    *,
    rule_ids: Sequence[int],
    summary: str,
    search: str,
    play_here: bool,
) -> Message:
    """Many notices for one target in a minute, as one message: 20 rows, then a search."""
    shown = list(recordings[:DIGEST_ROWS])
    rules = ", ".join(str(r) for r in sorted(set(rule_ids)))
    count = plural(len(recordings), "new recording")
    head = section(
        f":bell: *{count}* in the last minute · rule {rules}: "
        f"{clip(sanitize_mrkdwn(summary), 400)}",
        bid("dghead", rules, shown[0].id if shown else 0),
    )
    rows = [
        row_compact(rec, bid("dg", rec.kind.value, rec.id), True, play_here=play_here)
        for rec in shown
    ]
    blocks = [head, *rows]
    more = len(recordings) - len(shown)
    if more > 0:
        blocks.append(
            context(
                f"+{more} more: {inline_code('/recordings ' + search, 1500)} shows them all.",
                bid("dgmore", rules),
            )
        )
    return build_message(f"{count} (rule {rules}: {summary})", blocks)


def render_rules(rules: Sequence[RuleView], *, title: str, empty: str) -> Message:
    blocks: list[Block] = [section(title, "rules_head")]
    for rule in rules[:_LIST_ROWS]:
        remove = (
            button("Remove", ACTION_NOTICE_REMOVE, str(rule.rule_id), style="danger")
            if rule.removable
            else None
        )
        blocks.append(section(_rule_line(rule), bid("rule", rule.rule_id), remove))
    if not rules:
        blocks.append(context(empty, "rules_none"))
    elif len(rules) > _LIST_ROWS:
        blocks.append(
            context(
                f"{len(rules) - _LIST_ROWS} more not shown; remove one by id with "
                "`/recordings notify remove <rule id>`.",
                "rules_more",
            )
        )
    return build_message(f"{title} ({plural(len(rules), 'rule')})", blocks)


def home_blocks(rules: Sequence[RuleView], *, notify_me_on: bool, linked: bool) -> list[Block]:
    """The App Home section: a "notify me" toggle and the person's rules with Remove."""
    if not linked:
        return [
            section("*New-recording notices*", "home_notices"),
            context("Link your VBC user first (`/recordings whoami`).", "home_notices_none"),
        ]
    toggle = button(
        "Turn off" if notify_me_on else "Turn on",
        ACTION_NOTICE_TOGGLE,
        "off" if notify_me_on else "on",
        style=None if notify_me_on else "primary",
    )
    state = "*on*" if notify_me_on else "*off*"
    blocks: list[Block] = [
        section(
            f"*New-recording notices* · notify me of every new recording of mine: {state}",
            "home_notices",
            toggle,
        )
    ]
    for rule in rules[:10]:
        remove = button("Remove", ACTION_NOTICE_REMOVE, str(rule.rule_id))
        blocks.append(section(_rule_line(rule), bid("home_rule", rule.rule_id), remove))
    blocks.append(
        context(
            "More precise rules: `/recordings notify me inbound &gt;1m` (any search filters "
            "without time words).",
            "home_notices_hint",
        )
    )
    return blocks
