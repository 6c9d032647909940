"""Updates of different chats are handled at once, one chat's strictly in order.

First `ChatTurns` alone, as a property over random schedules (hypothesis); then the real
python-telegram-bot Application against the fake Bot API, with random interleavings of many
chats and handlers that take random turns of the event loop: every chat's replies come in the
order its messages were sent, several chats were in handling together, never more than the
bound, and nothing is remembered of chats that went quiet. No wall clock: handlers yield to
the loop a counted number of times.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat_turns import ChatTurns
from bot.config import Settings
from bot.domain.messages import Button, Inbound, InboundKind, Reply
from handlers.telegram.updates import PerChatUpdates
from tests.e2e import running_channel
from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def _ticks(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


@dataclass
class InFlight:
    """Who is inside a handler right now, and the most there ever were."""

    now: Counter[object] = field(default_factory=Counter)
    most: int = 0
    most_in_one_chat: int = 0

    def enter(self, chat: object) -> None:
        self.now[chat] += 1
        self.most = max(self.most, sum(self.now.values()))
        self.most_in_one_chat = max(self.most_in_one_chat, self.now[chat])

    def leave(self, chat: object) -> None:
        self.now[chat] -= 1


schedules = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(schedule=schedules, limit=st.integers(1, 8))
def test_turns_keep_each_chats_order_and_the_bound(schedule: list[tuple[int, int]], limit: int) -> None:
    async def scenario() -> None:
        turns = ChatTurns(limit)
        seen = InFlight()
        finished: dict[int, list[int]] = {}

        async def event(index: int, chat: int, work: int) -> None:
            async with turns.turn(chat):
                seen.enter(chat)
                await _ticks(work)
                finished.setdefault(chat, []).append(index)
                seen.leave(chat)

        await asyncio.gather(*(event(i, chat, work) for i, (chat, work) in enumerate(schedule)))
        for chat, indexes in finished.items():
            assert indexes == [i for i, (c, _) in enumerate(schedule) if c == chat]
        assert seen.most_in_one_chat == 1
        assert seen.most <= limit
        chats_with_waits = len({c for c, work in schedule if work})
        if limit > 1 and chats_with_waits > 1:
            assert seen.most > 1, "chats waited for each other"
        assert turns.chats == 0, "quiet chats are still remembered"

    asyncio.run(scenario())


def test_a_turn_given_up_while_waiting_leaves_nothing_behind() -> None:
    async def scenario() -> None:
        turns = ChatTurns()
        release = asyncio.Event()

        async def first() -> None:
            async with turns.turn("lan"):
                await release.wait()

        async def second() -> None:
            async with turns.turn("lan"):
                raise AssertionError("a cancelled waiter must never run")

        holder = asyncio.create_task(first())
        waiter = asyncio.create_task(second())
        await _ticks(3)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        release.set()
        await holder
        assert turns.chats == 0

    asyncio.run(scenario())


CHATS = 12
MESSAGES = 8


def _echo_with_random_work(seed: int, seen: InFlight) -> object:
    rng = random.Random(seed)

    async def handle(inbound: Inbound) -> list[Reply]:
        assert inbound.kind is InboundKind.TEXT
        seen.enter(inbound.chat_id)
        try:
            await _ticks(rng.randrange(0, 40))
        finally:
            seen.leave(inbound.chat_id)
        return [Reply(text=f"got {inbound.text}")]

    return handle


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_replies_of_every_chat_come_in_its_own_order(api: FakeBotApi, settings: Settings, seed: int) -> None:
    bound = 5
    settings = settings.model_copy(update={"limits": settings.limits.model_copy(update={"concurrent_updates": bound})})
    seen = InFlight()
    async with running_channel(settings, api, _echo_with_random_work(seed, seen)) as channel:  # type: ignore[arg-type]
        users = [api.user(8100 + n, first_name=f"Dân {n}") for n in range(CHATS)]
        order = [user for user in users for _ in range(MESSAGES)]
        random.Random(seed).shuffle(order)
        sent: Counter[int] = Counter()
        for user in order:
            sent[user.chat_id] += 1
            user.send_text(f"{user.chat_id}#{sent[user.chat_id]}")
        await api.wait_until(lambda: all(len(u.inbox) == MESSAGES for u in users), timeout=60)
        processor = channel.application.update_processor
        assert isinstance(processor, PerChatUpdates)
        await api.wait_until(lambda: processor.turns.chats == 0)
    for user in users:
        assert [m.text for m in user.inbox] == [f"got {user.chat_id}#{n}" for n in range(1, MESSAGES + 1)]
    assert seen.most_in_one_chat == 1
    assert 1 < seen.most <= bound


async def test_a_press_is_answered_without_waiting_for_the_keyboard_to_go(api: FakeBotApi, settings: Settings) -> None:
    async def handle(inbound: Inbound) -> list[Reply]:
        return [Reply(text=f"pressed {inbound.payload}")]

    async with running_channel(settings, api, handle):
        lan = api.user(8201, first_name="Lan")
        keyboard_message = await _message_with_button(api, lan.chat_id)
        # The keyboard removal and the spinner's answer hang until PTB gives up on them (its
        # read timeout, 5 s); a reply that waited for them would come after that.
        api.delay_next("editMessageReplyMarkup", 30)
        api.delay_next("answerCallbackQuery", 30)
        (reply,) = await lan.reply_after(lambda: lan.press("x", keyboard_message), count=1, timeout=4)
        assert reply.text == "pressed x"
        assert not keyboard_message.edits, "the reply waited for the keyboard to be removed"


async def _message_with_button(api: FakeBotApi, chat_id: int):  # type: ignore[no-untyped-def]
    """A message with one inline button, as the bot would have sent it."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    async with Bot(api.token, base_url=api.base_url) as sender:
        await sender.send_message(chat_id, "chọn", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("X", callback_data="x")]]))
    return api.sent[-1]


async def test_a_burst_of_replies_to_a_group_keeps_within_its_limit(api: FakeBotApi, settings: Settings) -> None:
    """Telegram allows a group 20 messages a minute: the 21st of a burst waits its turn (3 s
    at that rate), where the bulk limit alone would have let 30 through in the first second."""

    async def handle(inbound: Inbound) -> list[Reply]:
        # Each with a button, so that none goes on top of the next in one message.
        return [Reply(text=f"dòng {n}", buttons=((Button("Xem", f"s:c:{n}"),),)) for n in range(21)] if inbound.group else []

    async with running_channel(settings, api, handle):
        group = api.group(-100777, "Tổ công tác")
        member = api.user(8301, first_name="Bình")
        group.send_text(member, "/queue")
        await api.wait_until(lambda: len(group.inbox) >= 20, timeout=20)
        await asyncio.sleep(1.0)
        assert len(group.inbox) == 20
