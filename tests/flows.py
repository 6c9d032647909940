"""A resident's usual path through the intake on Telegram, for end-to-end and crash tests.

start → consent → new → area → group → topic → text → skip photos → skip location →
anonymous → confirm, each step waiting for exactly the answers the bot gives to it, so that a
test spells out only where it leaves the path (a kill, a fault, a photo) and what it checks.
A plain sentence of the bot goes on top of the message after it (handlers/telegram/render.py
`as_messages`), so most steps answer with one message. A press takes the keyboard off its
message (the bot edits it away), so a test that checks a keyboard does it between two steps: that is why the path comes in small steps as well as
whole (:func:`submit_concern`). The in-process equivalent, without Telegram, is
``tests.chat.submit_concern``.
"""

from __future__ import annotations

from typing import Final

from tests.e2e import step
from tests.fakebotapi import FakeUser, SentMessage

AGREE: Final = "Tôi đồng ý"
NEW_CONCERN: Final = "📝 Gửi ý kiến mới"
SKIP_PHOTOS: Final = "Bỏ qua"
PHOTOS_DONE: Final = "Xong, sang bước tiếp"
SKIP_LOCATION: Final = "Bỏ qua vị trí"  # a reply-keyboard button: Telegram sends it as text
ANONYMOUS: Final = "Gửi ẩn danh"  # a reply-keyboard button too
CONFIRM: Final = "✅ Gửi ý kiến"

AREA: Final = "Khu phố 1"
GROUP: Final = "Tổ dân phố 1 (hẻm 48 Tân Hóa)"
TOPIC: Final = "Hẻm, đường sá, đèn chiếu sáng"


async def start(user: FakeUser) -> SentMessage:
    """/start; returns the greeting with the consent question (its buttons go once pressed)."""
    (welcome,) = await step(user, lambda: user.send_text("/start"), 1)
    return welcome


async def agree(user: FakeUser) -> SentMessage:
    """Returns the thanks with the menu."""
    (menu,) = await step(user, lambda: user.press(AGREE), 1)
    return menu


async def start_and_consent(user: FakeUser) -> None:
    await start(user)
    await agree(user)


async def new_concern(user: FakeUser) -> SentMessage:
    """Returns the meeting's introduction with the areas (their buttons go once pressed)."""
    (areas,) = await step(user, lambda: user.press(NEW_CONCERN), 1)
    return areas


async def choose_area_and_topic(
    user: FakeUser, area: str = AREA, group: str | None = GROUP, topic: str = TOPIC
) -> None:
    """Walks the area tree and picks the topic; ``group`` None for an area without groups."""
    await step(user, lambda: user.press(area), 1)
    if group is not None:
        await step(user, lambda: user.press(group), 1)
    await step(user, lambda: user.press(topic), 1)


async def open_concern(
    user: FakeUser, area: str = AREA, group: str | None = GROUP, topic: str = TOPIC
) -> None:
    """From the menu to the text prompt."""
    await new_concern(user)
    await choose_area_and_topic(user, area, group, topic)


async def write_text(user: FakeUser, text: str) -> SentMessage:
    """The concern's text; returns the photo prompt."""
    (photos,) = await step(user, lambda: user.send_text(text), 1)
    return photos


async def skip_photos(user: FakeUser) -> SentMessage:
    """Returns the location prompt."""
    (location,) = await step(user, lambda: user.press(SKIP_PHOTOS), 1)
    return location


async def anonymous_to_summary(user: FakeUser) -> list[SentMessage]:
    """From the location prompt: no location, no contact; returns the answers up to the summary.

    When the bot offers similar concerns first, that offer comes as one more message.
    """
    await step(user, lambda: user.send_text(SKIP_LOCATION), 1)
    # The reply keyboard goes in a message of its own: the summary's buttons are inline.
    summary = await step(user, lambda: user.send_text(ANONYMOUS), 2)
    if "tương tự" in (summary[-1].text or ""):
        summary += await user.wait_for_messages(1)
    return summary


async def confirm(user: FakeUser) -> SentMessage:
    """Sends the concern; returns the receipt (with the menu under it)."""
    (receipt,) = await step(user, lambda: user.press(CONFIRM), 1)
    return receipt


def tracking_code(receipt: SentMessage) -> str:
    return (receipt.text or "").split("Mã theo dõi: ")[1].split()[0]


async def submit_concern(
    user: FakeUser, text: str, area: str = AREA, group: str | None = GROUP, topic: str = TOPIC
) -> str:
    """The whole happy path from /start, anonymous, no photo; returns the tracking code."""
    await start_and_consent(user)
    await open_concern(user, area, group, topic)
    await write_text(user, text)
    await skip_photos(user)
    await anonymous_to_summary(user)
    return tracking_code(await confirm(user))
