"""Drive the staff desk as a staff member in the staff chat, without any platform."""

from __future__ import annotations

import itertools

from bot.domain.messages import Inbound, InboundKind, Reply
from bot.router import Router

STAFF_CHAT = "-1001000000001"
ADMIN = "100000001"
STAFF = "100000002"
HEAD = "100000011"
_events = itertools.count(1_000_000)


class StaffChat:
    def __init__(self, router: Router, user_id: str, chat_id: str = STAFF_CHAT) -> None:
        self.router = router
        self.user_id = user_id
        self.chat_id = chat_id
        self.history: list[Reply] = []

    async def command(self, text: str) -> list[Reply]:
        command, _, args = text[1:].partition(" ")
        return await self._send(InboundKind.COMMAND, command=command, args=args, text=text)

    async def payload(self, payload: str) -> list[Reply]:
        return await self._send(InboundKind.BUTTON, payload=payload)

    async def press(self, label: str) -> list[Reply]:
        for reply in reversed(self.history):
            for button in reply.all_buttons():
                if label in button.label:
                    return await self.payload(button.payload)
        raise AssertionError(f"no button {label!r}")

    async def _send(self, kind: InboundKind, **fields: object) -> list[Reply]:
        inbound = Inbound(
            channel="telegram", user_id=self.user_id, kind=kind, event_id=str(next(_events)),
            chat_id=self.chat_id, group=self.chat_id.startswith("-"), **fields,  # type: ignore[arg-type]
        )
        replies = await self.router.handle(inbound)
        self.history.extend(replies)
        return replies
