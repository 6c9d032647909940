"""Who may do what: roles come from the config, and are checked on every staff action."""

from __future__ import annotations

from enum import StrEnum

from bot.config import Settings


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    GROUP_HEAD = "group_head"


class Roles:
    def __init__(self, settings: Settings) -> None:
        staff = settings.staff
        self._admins = {str(i) for i in staff.admins}
        self._members = {str(i) for i in staff.members}
        self._head_areas = {str(h.telegram_id): tuple(h.areas) for h in staff.group_heads}
        self.staff_chat = str(staff.chat_id) if staff.chat_id is not None else None

    def of(self, user_id: str) -> frozenset[Role]:
        roles = set()
        if user_id in self._admins:
            roles.update((Role.ADMIN, Role.STAFF))
        if user_id in self._members:
            roles.add(Role.STAFF)
        if user_id in self._head_areas:
            roles.add(Role.GROUP_HEAD)
        return frozenset(roles)

    def is_staff(self, user_id: str) -> bool:
        return Role.STAFF in self.of(user_id)

    def is_admin(self, user_id: str) -> bool:
        return Role.ADMIN in self.of(user_id)

    def head_areas(self, user_id: str) -> tuple[str, ...]:
        return self._head_areas.get(user_id, ())
