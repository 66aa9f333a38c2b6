"""Directory: who a Slack person is in VBC (links by email, by an admin, or by Connect VBC).

Linking is automatic on first use: the Slack email is looked up in the Provisioning API, and
a VBC user already linked to someone else is left to an admin. Admins link explicitly: ``link``
refuses a VBC user another person holds unless the admin confirmed moving it from exactly them
(``LinkTakenError``), and an admin's ``unlink`` sticks: the person is not linked by email again
until an admin links them. Whoever loses a link loses their Connect VBC tokens with it.

Longer than most modules on purpose: the three ways a link is made (email, admin, Connect
VBC) and undone are one rule set over one in-flight map; Slack profiles live in ``profiles``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.grammar import SearchRequest
from bot.people.policy import Identity, Person, Plan, plan_search
from bot.people.profiles import (
    PROFILE_TTL,
    InactiveAccountError,
    ProfileFetcher,
    Profiles,
    SlackProfile,
    shared,
)
from bot.store import Store
from bot.store.links import AdminLink
from bot.store.tables import Link
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError
from bot.vbc.models import User

__all__ = ["Directory", "InactiveAccountError", "LinkError", "LinkTakenError", "SlackProfile"]

log = logging.getLogger(__name__)


class LinkError(Exception):
    """A link or unlink that cannot be done; ``str()`` tells the person why."""


class LinkTakenError(LinkError):
    """The VBC user is linked to other Slack people; an admin may confirm moving it."""

    def __init__(self, slack_user: str, user: User, holders: tuple[Link, ...]) -> None:
        names = ", ".join(f"<@{h.slack_user_id}>" for h in holders)
        super().__init__(f"VBC user {user.id} is already linked to {names}.")
        self.slack_user = slack_user
        self.user = user
        self.holders = holders


@dataclass(frozen=True)
class LinkChange:
    """An admin's link: the new link, the person's own earlier one, others' links it took."""

    link: Link
    previous: Link | None
    moved_from: tuple[Link, ...]


def identity_from(link: Link) -> Identity:
    exts = tuple(e for e in link.extensions.split(",") if e)
    return Identity(vbc_user_id=link.vbc_user_id, extensions=exts, display_name=link.display_name)


class Directory:
    """Slack profiles (cached, in ``Profiles``) and the Slack-to-VBC links behind every request."""

    def __init__(
        self,
        store: Store,
        vbc: VbcClient,
        *,
        admins: frozenset[str],
        fetch_profile: ProfileFetcher,
        clock: Clock,
        profile_ttl: timedelta = PROFILE_TTL,
        extensions_stale_after: timedelta = timedelta(hours=6),
    ) -> None:
        self._store = store
        self._vbc = vbc
        self._admins = admins
        self._profiles = Profiles(fetch_profile, clock=clock, ttl=profile_ttl)
        self._clock = clock
        self._stale_after = extensions_stale_after
        self._link_tasks: dict[tuple[str, str], asyncio.Task[Link | None]] = {}

    # -- Slack profiles ----------------------------------------------------------------------

    async def profile(self, team_id: str, user_id: str) -> SlackProfile:
        return await self._profiles.profile(team_id, user_id)

    async def require_active(
        self, team_id: str, user_id: str, *, fresh: bool = False
    ) -> SlackProfile:
        return await self._profiles.require_active(team_id, user_id, fresh=fresh)

    # -- who is who --------------------------------------------------------------------------

    async def person(self, team_id: str, user_id: str) -> Person:
        identity = await self.identity_of(team_id, user_id)
        unlinked = identity is None and await self._store.unlinked(team_id, user_id) is not None
        return Person(
            team_id=team_id,
            slack_user_id=user_id,
            is_admin=user_id in self._admins,
            identity=identity,
            unlinked=unlinked,
        )

    async def identity_of(self, team_id: str, user_id: str) -> Identity | None:
        """The linked VBC identity, auto-linking by Slack email on first use."""
        key = (team_id, user_id)
        link = await shared(self._link_tasks, key, lambda: self._current_link(*key))
        return identity_from(link) if link is not None else None

    async def plan_for(self, person: Person, request: SearchRequest) -> Plan:
        """The VBC queries ``person`` may run, with an admin's ``user:`` resolved to its VBC
        identity; raises AccessRefusedError. Search and export both plan through here."""
        target = None
        if request.user and person.is_admin:
            target = await self.identity_of(person.team_id, request.user)
        return plan_search(person, request, target=target)

    async def _current_link(self, team_id: str, user_id: str) -> Link | None:
        link = await self._store.get_link(team_id, user_id)
        if link is None:
            return await self._link_by_email(team_id, user_id)
        if self._clock() - link.refreshed_at >= self._stale_after:
            return await self._refresh(link)
        return link

    async def _link_by_email(self, team_id: str, user_id: str) -> Link | None:
        if await self._store.unlinked(team_id, user_id) is not None:
            return None  # an admin unlinked them: only an admin links them again
        try:
            profile = await self.profile(team_id, user_id)
        except LookupError:
            return None
        if not profile.email or profile.is_bot or profile.deleted:
            return None
        user = await self._vbc.find_user_by_email(profile.email)
        if user is None:
            return None
        holders = await self._store.links_for_vbc_user(team_id, str(user.id))
        if any(h.slack_user_id != user_id for h in holders):
            log.info(
                "VBC user %s is linked to someone else; %s is left to an admin", user.id, user_id
            )
            return None
        # Inserted only while they have no link and no admin unlinked them (the lookup is slow).
        link = await self._store.add_link(self._new_link(team_id, user_id, user, how="email"))
        if link is None:
            return await self._store.get_link(team_id, user_id)
        await self._store.audit(
            team_id,
            user_id,
            "link",
            outcome="allowed",
            target=user_id,
            detail=f"by email: VBC user {user.id}",
        )
        log.info("linked %s/%s to VBC user %s by email", team_id, user_id, user.id)
        return link

    async def _refresh(self, link: Link) -> Link | None:
        """New extensions from VBC; on a passing VBC failure keep the old ones and carry on.

        A VBC user that no longer exists loses the link (and with it every recording).
        """
        try:
            user = await self._vbc.get_user(link.vbc_user_id)
        except VbcNotFoundError:
            await self._store.delete_link(link.team_id, link.slack_user_id)
            await self._store.audit(
                link.team_id,
                link.slack_user_id,
                "unlink",
                outcome="allowed",
                target=link.slack_user_id,
                detail=f"VBC user {link.vbc_user_id} no longer exists",
            )
            log.warning("VBC user %s is gone; unlinked %s", link.vbc_user_id, link.slack_user_id)
            return None
        except VbcError as exc:
            log.warning("could not refresh VBC user %s: %s", link.vbc_user_id, exc)
            return link
        link.extensions = ",".join(user.extension_numbers)
        link.display_name = user.display_name
        link.email = user.email
        link.login_name = user.login_name
        link.refreshed_at = self._clock()
        # Not a save: an unlink or a new link made while VBC answered must win.
        return await self._store.refresh_link(link)

    # -- admin commands ----------------------------------------------------------------------

    async def link(
        self,
        team_id: str,
        *,
        admin: str,
        slack_user: str,
        vbc_ref: str,
        move_from: frozenset[str] = frozenset(),
    ) -> LinkChange:
        """Link ``slack_user`` to a VBC user given by numeric id or email (admins only).

        Raises ``LinkTakenError`` when others hold that VBC user, unless ``move_from`` (what the
        admin confirmed) names each of them; they are then unlinked, and stay so.
        """
        await self._require_admin(team_id, admin, "link", slack_user)
        try:
            await self.profile(team_id, slack_user)
        except LookupError:
            raise LinkError(f"Slack has no user {slack_user} in this workspace.") from None
        user = await self._resolve(vbc_ref.strip())
        link = self._new_link(team_id, slack_user, user, how="admin", by=admin)
        done: AdminLink = await self._store.link_by_admin(link, may_move_from=move_from)
        if done.saved is None:
            holders = ",".join(h.slack_user_id for h in done.held_by)
            await self._store.audit(
                team_id,
                admin,
                "link",
                outcome="refused",
                target=slack_user,
                detail=f"VBC user {user.id} is linked to {holders}",
            )
            raise LinkTakenError(slack_user, user, done.held_by)
        detail = f"by admin: VBC user {user.id}"
        if done.moved_from:
            detail += f", moved from {','.join(h.slack_user_id for h in done.moved_from)}"
        if done.previous is not None and done.previous.vbc_user_id != link.vbc_user_id:
            detail += f", replaced VBC user {done.previous.vbc_user_id}"
        await self._store.audit(
            team_id, admin, "link", outcome="allowed", target=slack_user, detail=detail
        )
        for held in done.moved_from:
            await self._store.audit(
                team_id,
                admin,
                "unlink",
                outcome="allowed",
                target=held.slack_user_id,
                detail=f"VBC user {user.id} moved to {slack_user}",
            )
        return LinkChange(done.saved, done.previous, done.moved_from)

    async def unlink(self, team_id: str, *, admin: str, slack_user: str) -> Link | None:
        """Remove the link and any Connect VBC tokens, and keep the person unlinked until an
        admin links them again; the removed link (None when there was none)."""
        await self._require_admin(team_id, admin, "unlink", slack_user)
        removed = await self._store.unlink(team_id, slack_user, by=admin)
        detail = "was not linked"
        if removed is not None:
            tokens = ", Connect VBC tokens dropped" if removed.token_ciphertext else ""
            detail = f"removed VBC user {removed.vbc_user_id} ({removed.linked_how}{tokens})"
        await self._store.audit(
            team_id,
            admin,
            "unlink",
            outcome="allowed",
            target=slack_user,
            detail=f"{detail}; kept unlinked",
        )
        return removed

    async def link_oauth(
        self, team_id: str, slack_user: str, user: User, tokens_ciphertext: str
    ) -> Link:
        """Record a completed Connect VBC: the person's own (encrypted) tokens for ``user``."""
        if await self._store.unlinked(team_id, slack_user) is not None:
            raise LinkError(
                "A recordings admin unlinked you from VBC. Ask one to link you again, "
                "then connect VBC."
            )
        link = await self._store.save_link(
            self._new_link(
                team_id, slack_user, user, how="oauth", by=slack_user, tokens=tokens_ciphertext
            )
        )
        await self._store.audit(
            team_id,
            slack_user,
            "connect",
            outcome="allowed",
            target=slack_user,
            detail=f"by Connect VBC: VBC user {user.id}",
        )
        return link

    async def _require_admin(self, team_id: str, actor: str, action: str, target: str) -> None:
        if actor in self._admins:
            return
        await self._store.audit(
            team_id, actor, action, outcome="refused", target=target, detail="not an admin"
        )
        raise LinkError(
            f"Only recordings admins (the Slack users listed in BOT_ADMINS) can {action} people."
        )

    async def _resolve(self, ref: str) -> User:
        if ref.isdigit():
            try:
                return await self._vbc.get_user(ref)
            except VbcNotFoundError:
                raise LinkError(f"VBC has no user with id {ref}.") from None
        if "@" in ref:
            user = await self._vbc.find_user_by_email(ref)
            if user is None:
                raise LinkError(f"VBC has no user with the email address {ref}.")
            return user
        raise LinkError(f"`{ref}` is neither a VBC user id (a number) nor an email address.")

    def _new_link(
        self,
        team_id: str,
        slack_user: str,
        user: User,
        *,
        how: str,
        by: str | None = None,
        tokens: str | None = None,
    ) -> Link:
        now = self._clock()
        return Link(
            team_id=team_id,
            slack_user_id=slack_user,
            vbc_user_id=str(user.id),
            login_name=user.login_name,
            email=user.email,
            display_name=user.display_name,
            extensions=",".join(user.extension_numbers),
            linked_how=how,
            linked_by=by,
            linked_at=now,
            refreshed_at=now,
            token_ciphertext=tokens,
        )
