"""Who may do what: roles come from the config, and are checked on every staff action.

A person is known by a channel identity: the channel's name and the person's id on it.
Which identities belong to staff and group heads is configuration; the channels that can
recognise staff are named in the config (today the Telegram ids under `[staff]`).
"""

from __future__ import annotations

from bot.config import Settings
from bot.domain.vocabulary import Role

__all__ = ["Role", "Roles", "STAFF_ID_CHANNEL"]


# The channel whose user ids the `[staff]` section lists.
STAFF_ID_CHANNEL = "telegram"


class Roles:
    def __init__(self, settings: Settings) -> None:
        staff = settings.staff
        self._admins = {(STAFF_ID_CHANNEL, str(i)) for i in staff.admins}
        self._members = {(STAFF_ID_CHANNEL, str(i)) for i in staff.members}
        self._head_areas = {(STAFF_ID_CHANNEL, str(h.telegram_id)): tuple(h.areas) for h in staff.group_heads}
        self.staff_chat = str(staff.chat_id) if staff.chat_id is not None else None

    def of(self, channel: str, user_id: str) -> frozenset[Role]:
        identity = (channel, user_id)
        roles = set()
        if identity in self._admins:
            roles.update((Role.ADMIN, Role.STAFF))
        if identity in self._members:
            roles.add(Role.STAFF)
        if identity in self._head_areas:
            roles.add(Role.GROUP_HEAD)
        return frozenset(roles)

    def is_staff(self, channel: str, user_id: str) -> bool:
        return Role.STAFF in self.of(channel, user_id)

    def is_admin(self, channel: str, user_id: str) -> bool:
        return Role.ADMIN in self.of(channel, user_id)

    def head_areas(self, channel: str, user_id: str) -> tuple[str, ...]:
        return self._head_areas.get((channel, user_id), ())
