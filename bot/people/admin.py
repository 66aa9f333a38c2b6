"""Identity and admin sub-commands: whoami, link, unlink, audit, channel delivery settings."""

from __future__ import annotations

from typing import Any

import bot.grammar.commands as commands
from bot import blocks
from bot.grammar.audit import AuditQueryError, parse_audit_query
from bot.people.asker import Asker
from bot.people.connect import VbcConnect
from bot.people.directory import Directory, LinkError, LinkTakenError
from bot.search.service import RecordingsService
from bot.store import Store
from bot.store.tables import ChannelSetting, Link
from bot.vbc.errors import VbcError

Message = dict[str, Any]
AUDIT_PAGE_SIZE = 15
DIRECT_NEEDS_SHARING = (
    "Direct delivery posts Play and export results into this channel, so sharing must be "
    "allowed here first: run `/recordings channel allow`, then `/recordings channel direct`."
)
LINKED_HOW = {
    "email": "automatically, by Slack email address",
    "admin": "by a recordings admin",
    "oauth": "by you, when you connected your own VBC login (Connect VBC)",
}
# How someone else's link was made, as a link that replaced it says.
REPLACED_HOW = {
    "email": "linked by email",
    "admin": "linked by an admin",
    "oauth": "their Connect VBC login",
}


class AdminService:
    def __init__(
        self,
        *,
        directory: Directory,
        store: Store,
        connect: VbcConnect,
        recordings: RecordingsService,
        admins: frozenset[str],
    ) -> None:
        self._directory = directory
        self._store = store
        self._connect = connect
        self._recordings = recordings  # the asker's time zone, for audit dates
        self._admins = admins

    async def whoami(self, asker: Asker) -> Message:
        person = await self._directory.person(asker.team_id, asker.user_id)
        link = await self._store.get_link(asker.team_id, asker.user_id)
        if person.identity is None or link is None:
            how = f"`/recordings link <@{asker.user_id}> <your VBC user id or email>`"
            note = blocks.render_not_linked(
                "A recordings admin unlinked you from VBC, so I no longer link you by your Slack "
                f"email address; ask a recordings admin to run {how}."
                if person.unlinked
                else "You are not linked to a VBC user yet. I tried your Slack email address in "
                f"VBC and found no match; ask a recordings admin to run {how}."
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
            connect_url=(self._connect.start_link(asker.team_id, asker.user_id)),
            connected=bool(link.token_ciphertext),
        )

    async def disconnect(self, asker: Asker) -> Message:
        """The person's own Disconnect: their VBC tokens are forgotten (audited)."""
        if not await self._connect.disconnect(asker.team_id, asker.user_id):
            return blocks.render_notice("Your own VBC login was not connected; nothing to do.")
        return blocks.render_notice(
            ":white_check_mark: I have forgotten your VBC login. Your recordings are read by the "
            "bot's own VBC user again; connect again from `/recordings whoami` at any time."
        )

    async def link(
        self, asker: Asker, target: str, vbc_ref: str, *, move_from: frozenset[str] = frozenset()
    ) -> Message:
        """``target`` is a Slack user id, as ``bot.grammar.commands`` read it from the mention;
        ``move_from`` the holders an admin confirmed moving the VBC user from."""
        try:
            change = await self._directory.link(
                asker.team_id,
                admin=asker.user_id,
                slack_user=target,
                vbc_ref=vbc_ref,
                move_from=move_from,
            )
        except LinkTakenError as exc:
            return _render_taken(exc)
        except (LinkError, VbcError) as exc:
            return blocks.render_error(str(exc))
        link = change.link
        exts = link.extensions.replace(",", ", ") or "none"
        text = (
            f":white_check_mark: <@{target}> is now linked to VBC user {link.vbc_user_id} "
            f"({link.display_name or link.email or 'no name'}; extensions {exts})."
        )
        for held in change.moved_from:
            text += (
                f" It replaced <@{held.slack_user_id}>'s link ({_how(held)}); they stay "
                "unlinked until an admin links them."
            )
        before = change.previous
        if before is not None and before.vbc_user_id != link.vbc_user_id:
            text += (
                f" It replaced <@{target}>'s earlier link to VBC user {before.vbc_user_id} "
                f"({_how(before)})."
            )
        elif before is not None and link.token_ciphertext:
            text += " Their Connect VBC login to that VBC user is kept."
        return blocks.render_notice(text)

    async def move_link(self, asker: Asker, value: str) -> Message:
        """The "Move the link" button: every part of it is checked again by ``link``."""
        try:
            target, vbc_user_id, holders = blocks.parse_link_move_value(value)
        except ValueError:
            await self._store.audit(
                asker.team_id, asker.user_id, "link", outcome="refused", detail="not our button"
            )
            return blocks.render_error(
                "That button is not one of mine; run `/recordings link` again."
            )
        return await self.link(asker, target, vbc_user_id, move_from=holders)

    async def unlink(self, asker: Asker, target: str) -> Message:
        try:
            removed = await self._directory.unlink(
                asker.team_id, admin=asker.user_id, slack_user=target
            )
        except LinkError as exc:
            return blocks.render_error(str(exc))
        sticks = (
            f"I won't link them by email again until an admin runs "
            f"`/recordings link <@{target}> <VBC user id or email>`."
        )
        if removed is None:
            return blocks.render_notice(f"<@{target}> was not linked. {sticks}")
        tokens = " Their Connect VBC login was removed too." if removed.token_ciphertext else ""
        return blocks.render_notice(
            f":white_check_mark: <@{target}> is no longer linked to VBC (was VBC user "
            f"{removed.vbc_user_id}, {_how(removed)}).{tokens} {sticks}"
        )

    async def audit(self, asker: Asker, text: str, *, page: int) -> Message:
        if asker.user_id not in self._admins:
            await self._store.audit(
                asker.team_id, asker.user_id, "audit", outcome="refused", detail=text or None
            )
            return blocks.render_error("Only recordings admins can read the audit log.")
        tz = await self._recordings.tz_of(asker)
        try:
            query = parse_audit_query(text, tz=tz, now=self._recordings.now())
        except AuditQueryError as exc:
            return blocks.render_error(str(exc))
        events, total = await self._store.audit_events(
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
        if not asker.channel_id:
            return blocks.render_error("Run this in the channel you want to change.")
        setting = await self._store.get_channel(asker.team_id, asker.channel_id)
        action = command.action
        if action != "status":
            if asker.user_id not in self._admins:
                await self._store.audit(
                    asker.team_id, asker.user_id, "channel", outcome="refused", detail=action
                )
                return blocks.render_error("Only recordings admins can change channel settings.")
            refusal = apply_channel_action(setting, action)
            await self._store.audit(
                asker.team_id,
                asker.user_id,
                "channel",
                outcome="refused" if refusal else "allowed",
                target=asker.channel_id,
                detail=action,
            )
            if refusal:
                return blocks.render_error(refusal)
            setting.updated_by = asker.user_id
            await self._store.save_channel(setting)
        share = "allowed" if setting.allow_share else "not allowed"
        direct = "on" if setting.delivers_directly else "off"
        where = (
            "they post into this channel, from buttons that say so (*▶ Play here*)"
            if setting.delivers_directly
            else "they go to each person's DM with me"
        )
        return blocks.render_notice(
            f"In <#{asker.channel_id}>: sharing recordings is *{share}*; direct delivery of "
            f"Play and export results is *{direct}*: {where}."
        )

    async def other(self, asker: Asker, command: commands.Command) -> Message:
        if isinstance(command, commands.Channel):
            return await self.channel(asker, command)
        return blocks.render_error(f"`{type(command).__name__.lower()}` is not available here.")


def apply_channel_action(setting: ChannelSetting, action: str) -> str | None:
    """Change ``setting`` so that direct delivery implies sharing; the refusal, if any."""
    direct = setting.delivers_directly  # a stored row that broke the rule was never direct
    if action == "allow":
        setting.allow_share = True
    elif action == "deny":
        setting.allow_share = direct = False
    elif action == "direct":
        if not setting.allow_share:
            return DIRECT_NEEDS_SHARING
        direct = True
    else:
        direct = False
    setting.direct_delivery = direct
    return None


def _how(link: Link) -> str:
    return REPLACED_HOW.get(link.linked_how, link.linked_how)


def _render_taken(exc: LinkTakenError) -> Message:
    holders = ", ".join(f"<@{h.slack_user_id}> ({_how(h)})" for h in exc.holders)
    who = " and ".join(f"<@{h.slack_user_id}>" for h in exc.holders)
    name = exc.user.display_name or exc.user.email or "no name"
    text = (
        f"VBC user {exc.user.id} ({name}) is already linked to {holders}. A VBC user is linked "
        f"to one Slack person at a time. Move the link to <@{exc.slack_user}>? {who} will be "
        "unlinked (their Connect VBC login too, if any) and not linked by email again until an "
        "admin links them."
    )
    value = blocks.link_move_value(
        exc.slack_user, str(exc.user.id), frozenset(h.slack_user_id for h in exc.holders)
    )
    return blocks.render_link_taken(text, value=value)
