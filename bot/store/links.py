"""Admins' links and unlinks, and the automatic writes that must not undo them.

Each is one transaction: an admin's link takes a VBC user from others only when the admin
confirmed each of them; an unlink removes the link and marks the person, so linking by email
leaves them alone; a link by email, a refresh or rotated Connect VBC tokens never write back a
link that an unlink or a newer link replaced meanwhile.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import Link, Unlinked


@dataclass(frozen=True)
class AdminLink:
    """What an admin's link did: ``saved`` is None when others hold the VBC user (``held_by``)
    and the admin did not confirm moving it from each of them."""

    saved: Link | None
    previous: Link | None = None  # the person's own link before
    moved_from: tuple[Link, ...] = ()  # others' links to the VBC user, removed
    held_by: tuple[Link, ...] = ()


class LinkRows:
    """``Store``'s link writes beyond plain get and save."""

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        raise NotImplementedError

    async def add_link(self, link: Link) -> Link | None:
        """An automatic link (by email): inserted only when the person has none and no admin
        unlinked them, in one transaction; None when it was not inserted."""
        key = (link.team_id, link.slack_user_id)
        async with self.session() as s:
            if await s.get(Unlinked, key) is not None or await s.get(Link, key) is not None:
                return None
            s.add(link)
            try:
                await s.commit()
            except IntegrityError:  # another process linked them first
                return None
            return link

    async def refresh_link(self, link: Link) -> Link | None:
        """Write refreshed VBC details onto the person's link while it is still to the same VBC
        user; an unlink or a new link made meanwhile wins. The link as stored now, if any."""
        key = (link.team_id, link.slack_user_id)
        async with self.session() as s:
            await s.exec(
                update(Link)
                .where(
                    col(Link.team_id) == link.team_id,
                    col(Link.slack_user_id) == link.slack_user_id,
                    col(Link.vbc_user_id) == link.vbc_user_id,
                )
                .values(
                    extensions=link.extensions,
                    display_name=link.display_name,
                    email=link.email,
                    login_name=link.login_name,
                    refreshed_at=link.refreshed_at,
                )
            )
            await s.commit()
            return await s.get(Link, key, populate_existing=True)

    async def link_by_admin(self, link: Link, *, may_move_from: frozenset[str]) -> AdminLink:
        """Save an admin's link in one transaction, unless someone not in ``may_move_from``
        holds the VBC user. Those moved from lose their links (and Connect VBC tokens) and are
        marked unlinked; the person's own mark goes. Their own Connect VBC tokens are kept only
        while the VBC user stays the same."""
        for attempt in range(2):
            async with self.session() as s:
                rows = await s.exec(
                    select(Link).where(
                        Link.team_id == link.team_id,
                        Link.vbc_user_id == link.vbc_user_id,
                        Link.slack_user_id != link.slack_user_id,
                    )
                )
                holders = tuple(rows)
                if any(h.slack_user_id not in may_move_from for h in holders):
                    return AdminLink(saved=None, held_by=holders)
                for held in holders:
                    await s.delete(held)
                    await s.merge(
                        Unlinked(
                            team_id=held.team_id,
                            slack_user_id=held.slack_user_id,
                            unlinked_by=link.linked_by or "",
                        )
                    )
                mark = await s.get(Unlinked, (link.team_id, link.slack_user_id))
                if mark is not None:
                    await s.delete(mark)
                stored = await s.get(Link, (link.team_id, link.slack_user_id))
                previous = Link(**stored.model_dump()) if stored is not None else None  # a copy
                if previous is not None and previous.vbc_user_id == link.vbc_user_id:
                    link.token_ciphertext = previous.token_ciphertext
                saved = await s.merge(link)
                try:
                    await s.commit()
                except IntegrityError:  # the person was linked by email meanwhile
                    if attempt:
                        raise
                    continue
                return AdminLink(saved=saved, previous=previous, moved_from=holders)
        raise AssertionError("unreachable")

    async def unlink(self, team_id: str, slack_user_id: str, *, by: str) -> Link | None:
        """An admin's unlink, in one transaction: the link goes (with any Connect VBC tokens)
        and the person is marked, so linking by email leaves them alone. The removed link."""
        key = (team_id, slack_user_id)
        async with self.session() as s:
            link = await s.get(Link, key)
            if link is not None:
                await s.delete(link)
            await s.merge(Unlinked(team_id=team_id, slack_user_id=slack_user_id, unlinked_by=by))
            await s.commit()
            return link

    async def unlinked(self, team_id: str, slack_user_id: str) -> Unlinked | None:
        async with self.session() as s:
            return await s.get(Unlinked, (team_id, slack_user_id))
