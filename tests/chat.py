"""Drive the channel-neutral dialogue as one resident would, without any platform."""

from __future__ import annotations

import itertools

from bot.domain.messages import Button, Contact, Inbound, InboundKind, Location, Reply
from bot.resident.dialogue import Intake

_events = itertools.count(1)


class Chat:
    def __init__(self, intake: Intake, user_id: str, channel: str = "test") -> None:
        self.intake = intake
        self.user_id = user_id
        self.channel = channel
        self.history: list[Reply] = []

    async def _send(self, kind: InboundKind, **fields: object) -> list[Reply]:
        fields.setdefault("event_id", str(next(_events)))
        inbound = Inbound(channel=self.channel, user_id=self.user_id, kind=kind, **fields)  # type: ignore[arg-type]
        replies = await self.intake.handle(inbound)
        self.history.extend(replies)
        return replies

    async def text(self, text: str, **fields: object) -> list[Reply]:
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return await self._send(InboundKind.COMMAND, command=command, args=args, text=text, **fields)
        return await self._send(InboundKind.TEXT, text=text, **fields)

    async def press(self, label: str) -> list[Reply]:
        return await self._send(InboundKind.BUTTON, payload=self.button(label).payload)

    async def payload(self, payload: str) -> list[Reply]:
        return await self._send(InboundKind.BUTTON, payload=payload)

    async def photo(self, ref: str = "photo-1", caption: str | None = None) -> list[Reply]:
        return await self._send(InboundKind.PHOTO, photos=(ref,), text=caption)

    async def location(self, latitude: float, longitude: float) -> list[Reply]:
        return await self._send(InboundKind.LOCATION, location=Location(latitude, longitude))

    async def contact(self, phone: str, name: str = "Lan", owner: str | None = "self") -> list[Reply]:
        owner_id = self.user_id if owner == "self" else owner
        return await self._send(InboundKind.CONTACT, contact=Contact(phone, name, None, owner_id))

    async def sticker(self) -> list[Reply]:
        return await self._send(InboundKind.UNSUPPORTED, unsupported="sticker")

    def button(self, label: str) -> Button:
        """The newest button whose label contains `label`."""
        for reply in reversed(self.history):
            for button in reply.all_buttons():
                if label in button.label:
                    return button
        offered = [b.label for r in self.history[-3:] for b in r.all_buttons()]
        raise AssertionError(f"no button {label!r}; recent buttons: {offered}")

    @property
    def last(self) -> Reply:
        return self.history[-1]

    def said(self, fragment: str, last: int = 3) -> bool:
        return any(fragment in r.text for r in self.history[-last:])


async def to_summary(chat: Chat, text: str, group: str = "Tổ dân phố 1") -> list[Reply]:
    """The happy path up to the summary (anonymous, no photo, no location, a tổ of Khu phố 1);
    returns its replies."""
    await chat.text("/start")
    await chat.press("Tôi đồng ý")
    await chat.press("Gửi ý kiến mới")
    await chat.press("Khu phố 1")
    await chat.press(group)
    await chat.press("Hẻm, đường sá")
    await chat.text(text)
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua vị trí")
    return await chat.press("Gửi ẩn danh")


async def submit_concern(chat: Chat, text: str = "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay, ban đêm rất tối.") -> str:
    """The whole happy path, anonymous, no photo; returns the tracking code."""
    await to_summary(chat, text)
    replies = await chat.press("Gửi ý kiến")
    receipt = replies[0].text
    return receipt.split("Mã theo dõi: ")[1].split()[0]
