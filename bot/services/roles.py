"""Who may do what: roles come from the config, and are checked on every staff action.

A person is known by a channel identity: the channel's name and the person's id on it. Staff
and heads of residential groups are people with one or more identities; which form of the
config named them (`[[staff.people]]`, or the older lists of Telegram ids) is the config's
business, read through `StaffSettings.everyone()` and `heads()`.
"""

from __future__ import annotations

from bot.config import Settings
from bot.domain.identity import ChatAddress, Identity
from bot.domain.vocabulary import Role

__all__ = ["Role", "Roles"]


class Roles:
    def __init__(self, settings: Settings) -> None:
        staff = settings.staff
        self._roles: dict[Identity, set[Role]] = {}
        for member in staff.everyone():
            granted = {Role.ADMIN, Role.STAFF} if member.role is Role.ADMIN else {Role.STAFF}
            for identity in member.identities:
                self._roles.setdefault(identity, set()).update(granted)
        self._head_areas: dict[Identity, tuple[str, ...]] = {}
        for head in staff.heads():
            for identity in head.identities:
                # One person listed twice speaks for the areas of both entries.
                known = self._head_areas.get(identity, ())
                self._head_areas[identity] = known + tuple(a for a in head.areas if a not in known)
        self.staff_chat_address: ChatAddress | None = staff.chat()
        # The staff chat's id on its channel, as an `Inbound.chat_id` carries it.
        self.staff_chat = self.staff_chat_address.chat_id if self.staff_chat_address is not None else None

    def of(self, channel: str, user_id: str) -> frozenset[Role]:
        identity = Identity(channel, user_id)
        roles = set(self._roles.get(identity, ()))
        if identity in self._head_areas:
            roles.add(Role.GROUP_HEAD)
        return frozenset(roles)

    def is_staff(self, channel: str, user_id: str) -> bool:
        return Role.STAFF in self.of(channel, user_id)

    def is_admin(self, channel: str, user_id: str) -> bool:
        return Role.ADMIN in self.of(channel, user_id)

    def head_areas(self, channel: str, user_id: str) -> tuple[str, ...]:
        return self._head_areas.get(Identity(channel, user_id), ())

    def is_staff_chat(self, channel: str, chat_id: str) -> bool:
        return self.staff_chat_address == ChatAddress(channel, chat_id)
