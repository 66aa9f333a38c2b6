"""What each demo person can see in the fake Slack, and which of it they have not been shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.demo.fake_slack import FakeSlack, Json, Message


@dataclass
class _Seen:
    """What one person has been shown: message versions, the last modal, their App Home."""

    messages: dict[tuple[str, str], tuple[int, bool]] = field(default_factory=dict)
    view: tuple[str, str] | None = None
    home: str | None = None


class Inbox:
    """Per person: their DM, what only they saw and the channels, against what they were shown."""

    def __init__(self, fake: FakeSlack) -> None:
        self._fake = fake
        self._seen: dict[str, _Seen] = {}

    def visible(self, user: str) -> list[Message]:
        fake = self._fake
        dm = fake.dm_channel(user)
        return [
            m
            for m in fake.messages
            if m.channel == dm
            or (m.ephemeral and m.user == user)
            or (not m.ephemeral and m.channel in fake.channels)
        ]

    def version(self, user: str) -> tuple[object, ...]:
        view = self._fake.current_view(user)
        messages = tuple((m.channel, m.ts, m.edits, m.deleted) for m in self.visible(user))
        home = self._fake.homes.get(user)
        return messages, (view["id"], view["hash"]) if view else None, home and home["hash"]

    def changed_since(self, user: str, before: tuple[object, ...]) -> bool:
        return self.version(user) != before

    def fresh(self, user: str) -> list[Message]:
        """New or changed since last shown; a deletion counts only if the message was shown."""
        seen = self._seen_by(user).messages
        fresh = []
        for message in self.visible(user):
            shown = seen.get((message.channel, message.ts))
            version = (message.edits, message.deleted)
            if (shown is None and not message.deleted) or (shown not in (None, version)):
                fresh.append(message)
        return fresh

    def has_pending(self, user: str) -> bool:
        """Anything to show: news, or a modal (which waits for a command: it needs the keys)."""
        view = self._fake.current_view(user)
        new_view = view is not None and (view["id"], view["hash"]) != self._seen_by(user).view
        return self.has_news(user) or new_view

    def has_news(self, user: str) -> bool:
        """New or changed messages, or a newly published App Home: shown as they arrive."""
        return bool(self.fresh(user)) or self._new_home(user) is not None

    def mark_shown(self, user: str, message: Message) -> bool:
        """Note ``message`` as shown to ``user``; True when an earlier version had been."""
        seen = self._seen_by(user).messages
        key = (message.channel, message.ts)
        updated = key in seen
        seen[key] = (message.edits, message.deleted)
        return updated

    def take_view(self, user: str) -> Json | None:
        """The person's modal if it is new or changed since last shown; it counts as shown now."""
        view = self._fake.current_view(user)
        seen = self._seen_by(user)
        if view is None or (view["id"], view["hash"]) == seen.view:
            return None
        seen.view = (view["id"], view["hash"])
        return view

    def take_home(self, user: str) -> Json | None:
        """The person's App Home if published or changed since last shown; shown now."""
        home = self._new_home(user)
        if home is not None:
            self._seen_by(user).home = home["hash"]
        return home

    def _new_home(self, user: str) -> Json | None:
        """The person's App Home if it was published or changed since last shown."""
        home = self._fake.homes.get(user)
        return None if home is None or home["hash"] == self._seen_by(user).home else home

    def _seen_by(self, user: str) -> _Seen:
        return self._seen.setdefault(user, _Seen())
