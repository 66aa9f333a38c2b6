"""Identity and admin sub-commands: whoami, link, unlink, audit, channel delivery settings."""

from __future__ import annotations

from typing import Any

import bot.grammar.commands as commands
from bot import blocks
from bot.deps import Deps
from bot.grammar.audit import AuditQueryError, parse_audit_query
from bot.people.asker import Asker
from bot.people.directory import LinkError
from bot.vbc.errors import VbcError

Message = dict[str, Any]
AUDIT_PAGE_SIZE = 15
LINKED_HOW = {
    "email": "automatically, by Slack email address",
    "admin": "by a recordings admin",
    "oauth": "by you, when you connected your own VBC login (Connect VBC)",
}


class AdminService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def whoami(self, asker: Asker) -> Message:
        deps = self._deps
        person = await deps.directory.person(asker.team_id, asker.user_id)
        link = await deps.store.get_link(asker.team_id, asker.user_id)
        if person.identity is None or link is None:
            note = blocks.render_not_linked(
                "You are not linked to a VBC user yet. I tried your Slack email address in VBC "
                "and found no match; ask a recordings admin to run "
                f"`/recordings link <@{asker.user_id}> <your VBC user id or email>`."
            )
            if person.is_admin:
                note["text"] += " (As an admin you can still use `scope:company`.)"
            return note
        return blocks.render_whoami(
            slack_user=asker.user_id,
            identity_name=link.display_name or link.email or link.vbc_user_id,
            vbc_user_id=link.vbc_user_id,
            extensions=list(person.identity.extensions),
            linked_how=LINKED_HOW.get(link.linked_how, link.linked_how),
            scope=person.scope_label,
            connect_url=(
                deps.connect.start_link(asker.team_id, asker.user_id) if deps.connect else None
            ),
            connected=bool(link.token_ciphertext),
        )

    async def disconnect(self, asker: Asker) -> Message:
        """The person's own Disconnect: their VBC tokens are forgotten (audited)."""
        connect = self._deps.connect
        if connect is None or not await connect.disconnect(asker.team_id, asker.user_id):
            return blocks.render_notice("Your own VBC login was not connected; nothing to do.")
        return blocks.render_notice(
            ":white_check_mark: I have forgotten your VBC login. Your recordings are read by the "
            "bot's own VBC user again; connect again from `/recordings whoami` at any time."
        )

    async def link(self, asker: Asker, target: str, vbc_ref: str) -> Message:
        """``target`` is a Slack user id, as ``bot.grammar.commands`` read it from the mention."""
        try:
            link = await self._deps.directory.link(
                asker.team_id, admin=asker.user_id, slack_user=target, vbc_ref=vbc_ref
            )
        except (LinkError, VbcError) as exc:
            return blocks.render_error(str(exc))
        exts = link.extensions.replace(",", ", ") or "none"
        return blocks.render_notice(
            f":white_check_mark: <@{target}> is now linked to VBC user {link.vbc_user_id} "
            f"({link.display_name or link.email or 'no name'}; extensions {exts})."
        )

    async def unlink(self, asker: Asker, target: str) -> Message:
        try:
            removed = await self._deps.directory.unlink(
                asker.team_id, admin=asker.user_id, slack_user=target
            )
        except LinkError as exc:
            return blocks.render_error(str(exc))
        if not removed:
            return blocks.render_notice(f"<@{target}> was not linked; nothing to do.")
        return blocks.render_notice(f":white_check_mark: <@{target}> is no longer linked to VBC.")

    async def audit(self, asker: Asker, text: str, *, page: int) -> Message:
        deps = self._deps
        if asker.user_id not in deps.settings.bot_admins:
            await deps.store.audit(
                asker.team_id, asker.user_id, "audit", outcome="refused", detail=text or None
            )
            return blocks.render_error("Only recordings admins can read the audit log.")
        tz = await deps.recordings.tz_of(asker)
        try:
            query = parse_audit_query(text, tz=tz)
        except AuditQueryError as exc:
            return blocks.render_error(str(exc))
        events, total = await deps.store.audit_events(
            asker.team_id, query, offset=(page - 1) * AUDIT_PAGE_SIZE, limit=AUDIT_PAGE_SIZE
        )
        return blocks.render_audit(
            events,
            page=page,
            total=total,
            page_size=AUDIT_PAGE_SIZE,
            query_text=text,
            state_key=text,
        )

    async def channel(self, asker: Asker, command: commands.Channel) -> Message:
        deps = self._deps
        if not asker.channel_id:
            return blocks.render_error("Run this in the channel you want to change.")
        setting = await deps.store.get_channel(asker.team_id, asker.channel_id)
        action = command.action
        if action != "status":
            if asker.user_id not in deps.settings.bot_admins:
                await deps.store.audit(
                    asker.team_id, asker.user_id, "channel", outcome="refused", detail=action
                )
                return blocks.render_error("Only recordings admins can change channel settings.")
            if action in ("allow", "deny"):
                setting.allow_share = action == "allow"
            else:
                setting.direct_delivery = action == "direct"
            setting.updated_by = asker.user_id
            await deps.store.save_channel(setting)
            await deps.store.audit(
                asker.team_id,
                asker.user_id,
                "channel",
                outcome="allowed",
                target=asker.channel_id,
                detail=action,
            )
        share = "allowed" if setting.allow_share else "not allowed"
        direct = "on" if setting.direct_delivery else "off"
        return blocks.render_notice(
            f"In <#{asker.channel_id}>: sharing recordings is *{share}*; direct delivery of "
            f"Play and export results is *{direct}*."
        )

    async def other(self, asker: Asker, command: commands.Command) -> Message:
        if isinstance(command, commands.Channel):
            return await self.channel(asker, command)
        return blocks.render_error(f"`{type(command).__name__.lower()}` is not available here.")
