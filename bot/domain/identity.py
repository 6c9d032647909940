"""Who someone is, and where a message goes, on a channel.

A person is known by their id on each channel they use (a Telegram id today, a Zalo id or a
web login next); staff and heads of residential groups are people with one or more such
identities. The channel's name is the same string residents and outbox rows carry.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.vocabulary import Role


@dataclass(frozen=True)
class Identity:
    """A person's id on one channel."""

    channel: str
    user_id: str


@dataclass(frozen=True)
class ChatAddress:
    """A chat on one channel: a person's private chat, or a group such as the staff chat."""

    channel: str
    chat_id: str


@dataclass(frozen=True)
class StaffMember:
    """Someone on the staff; `role` is Role.ADMIN or Role.STAFF (an admin is staff too)."""

    # None for the older `[staff] admins`/`members` lists, which give ids only.
    name: str | None
    role: Role
    identities: frozenset[Identity]


@dataclass(frozen=True)
class GroupHead:
    """The head of a residential group (tổ trưởng) and the areas they speak for."""

    name: str
    areas: tuple[str, ...]
    identities: frozenset[Identity]
