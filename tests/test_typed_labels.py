"""Typing a button's words works like pressing it, on every step of the flow, and what a prompt
tells the resident to press is a button it shows (issue 16, item 6).

Each step of bot/resident/flow.py that shows buttons is reached twice with the same path: one
resident presses a button, another types its words without accents, in capitals, spaced
oddly; both must get the same answer. The walk must reach every step that takes buttons."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.domain.messages import Button, Reply
from bot.resident.dialogue import Intake
from bot.resident.flow import FLOW, Accepts
from bot.resident.state import StepName
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import create_meeting

HEAD = "100000011"  # a head of a residential group in config.example.toml
TEXT = "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay, ban đêm rất tối."

Path = Callable[[Chat], Awaitable[list[Reply]]]


def typed(label: str) -> str:
    """What a resident without a Vietnamese keyboard types: no accents, no emoji, in capitals,
    with the spaces a thumb leaves."""
    plain = unicodedata.normalize("NFD", label.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if unicodedata.category(ch) not in ("Mn", "So", "Sk"))
    return "  " + "  ".join(plain.split()).upper() + " "


async def _consented(chat: Chat) -> list[Reply]:
    greeting = await chat.text("/start")
    if not any("Tôi đồng ý" in b.label or "I agree" in b.label for r in greeting for b in r.all_buttons()):
        return greeting  # the head, walking the path again, agreed the first time
    return await chat.press("Tôi đồng ý")


async def _to_text(chat: Chat) -> list[Reply]:
    await _consented(chat)
    await chat.press("Gửi ý kiến mới")
    await chat.press("Khu phố 1")
    await chat.press("Tổ dân phố 1")
    return await chat.press("Hẻm, đường sá")


async def _to_location(chat: Chat) -> list[Reply]:
    await _to_text(chat)
    await chat.text(TEXT)
    return await chat.press("Bỏ qua")


async def _to_summary(chat: Chat) -> list[Reply]:
    await _to_location(chat)
    await chat.press("Bỏ qua vị trí")
    return await chat.press("Gửi ẩn danh")


async def _to_proxy_phone(chat: Chat) -> list[Reply]:
    await chat.text("/cancel")  # the head walks this path several times
    await _consented(chat)
    await chat.press("Gửi thay người dân")
    await chat.press("Hẻm, đường sá")
    await chat.text(TEXT)
    await chat.press("Bỏ qua")
    await chat.press("Bỏ qua vị trí")
    return await chat.text("Nguyễn Văn Tư")


async def _to_phone(chat: Chat) -> list[Reply]:
    await _to_location(chat)
    await chat.press("Bỏ qua vị trí")
    return await chat.text("Nguyễn Thị Lan")


async def _to_contact_without_consent(chat: Chat) -> list[Reply]:
    await chat.text("/start")
    await chat.press("Không đồng ý")
    await chat.press("Gửi ý kiến mới")
    await chat.press("Chung cho cả")
    await chat.press("Vấn đề khác")
    await chat.text(TEXT)
    await chat.press("Bỏ qua")
    return await chat.press("Bỏ qua vị trí")


async def _to_photos_done(chat: Chat) -> list[Reply]:
    await _to_text(chat)
    await chat.text(TEXT)
    return await chat.photo()


async def _to_meeting(chat: Chat) -> list[Reply]:
    await _consented(chat)
    return await chat.press("Gửi ý kiến mới")


async def _to_group(chat: Chat) -> list[Reply]:
    await _consented(chat)
    await chat.press("Gửi ý kiến mới")
    return await chat.press("Khu phố 1")


async def _to_areas(chat: Chat) -> list[Reply]:
    await _consented(chat)
    return await chat.press("Gửi ý kiến mới")


async def _to_topics(chat: Chat) -> list[Reply]:
    await _to_group(chat)
    return await chat.press("Tổ dân phố 1")


async def _to_photos(chat: Chat) -> list[Reply]:
    await _to_text(chat)
    return await chat.text(TEXT)


async def _to_consent(chat: Chat) -> list[Reply]:
    return await chat.text("/start")


# Each path ends where a step shows its buttons; "meeting" needs a second meeting open.
PATHS: dict[str, Path] = {
    "idle": _consented,
    "consent": _to_consent,
    "meeting": _to_meeting,
    "area": _to_areas,
    "area below": _to_group,
    "topic": _to_topics,
    "photos": _to_photos,
    "photos after one": _to_photos_done,
    "location": _to_location,
    "contact without consent": _to_contact_without_consent,
    "phone": _to_phone,
    "proxy phone": _to_proxy_phone,
    "summary with a similar concern": _to_summary,
}


def _same(replies: list[Reply]) -> list[str]:
    # Two residents' answers differ only by their tracking code and, after a +1, by how many
    # residents now support the concern.
    return [re.sub(r"\d+ người", "N người", re.sub(r"TT-\d{4}", "TT-####", r.text)) for r in replies]


async def _step_of(database: Database, chat: Chat) -> str:
    row = await database.fetch_one(
        "SELECT c.state FROM conversations c JOIN residents r ON r.id = c.resident_id WHERE r.channel_user_id = ?",
        (chat.user_id,),
    )
    assert row is not None
    return str(json.loads(row["state"])["step"])


async def _buttons_at(intake: Intake, name: str, user: str, channel: str) -> tuple[list[Button], Chat]:
    chat = Chat(intake, user, channel)
    replies = await PATHS[name](chat)
    return [b for r in replies for b in r.all_buttons()], chat


@pytest.fixture
async def scene(intake: Intake, database: Database, clock: ManualClock, meeting, request) -> Intake:
    if request.node.callspec.params["path"] == "meeting":
        await create_meeting(database, clock.now(), title="Hội nghị đối thoại khu phố 1", area_id="kp1")
    if request.node.callspec.params["path"] == "summary with a similar concern":
        await submit_concern(Chat(intake, "600"), TEXT)
    return intake


@pytest.mark.parametrize("path", PATHS)
async def test_typing_each_buttons_words_without_accents_presses_it(
    scene: Intake, database: Database, path: str
) -> None:
    channel = "telegram" if path == "proxy phone" else "test"
    user = HEAD if path == "proxy phone" else "700"
    buttons, _ = await _buttons_at(scene, path, user, channel)
    assert buttons, f"no buttons at {path}"
    for index in range(len(buttons)):
        # Each try on a fresh resident (the head walks the same path anew). A concern sent on
        # the way is one more similar concern offered to the next: its buttons come first.
        pressing, press_chat = await _buttons_at(scene, path, f"{user}{index}p" if channel == "test" else user, channel)
        button = pressing[index - len(buttons)]
        pressed = await press_chat.payload(button.payload)
        _, type_chat = await _buttons_at(scene, path, f"{user}{index}t" if channel == "test" else user, channel)
        answer = await type_chat.text(typed(button.label))
        assert _same(answer) == _same(pressed), f"{path}: typing {typed(button.label)!r} for {button.label!r}"


async def test_the_walk_reaches_every_step_that_shows_buttons(
    intake: Intake, database: Database, clock: ManualClock, meeting
) -> None:
    reached = set()
    # The meeting step last: with a second meeting open, every path passes through it.
    for number, name in enumerate(sorted(PATHS, key=lambda p: p == "meeting")):
        if name == "meeting":
            await create_meeting(database, clock.now(), title="Hội nghị đối thoại khu phố 1", area_id="kp1")
        channel = "telegram" if name == "proxy phone" else "test"
        user = HEAD if name == "proxy phone" else f"9{number}"
        chat = Chat(intake, user, channel)
        await PATHS[name](chat)
        reached.add(await _step_of(database, chat))
    with_buttons = {step.name.value for step in FLOW if Accepts.BUTTONS in step.accepts} | {StepName.IDLE.value}
    assert with_buttons <= reached, f"not walked: {with_buttons - reached}"


@pytest.mark.parametrize(
    ("path", "typed_words", "pressed"),
    [
        ("location", "bo qua", "Không kèm vị trí."),
        ("photos after one", "XONG", "Bạn có muốn gửi vị trí"),
        ("topic", "hem", "Xin bạn viết nội dung ý kiến"),
        ("consent", "khong dong y", "Đã ghi nhận. Chúng tôi sẽ không lưu họ tên"),
    ],
)
async def test_where_no_text_is_taken_a_buttons_first_words_press_it(
    scene: Intake, path: str, typed_words: str, pressed: str
) -> None:
    chat = Chat(scene, "750")
    await PATHS[path](chat)
    replies = await chat.text(typed_words)
    assert replies[0].text.startswith(pressed), replies[0].text


async def test_first_words_that_start_several_buttons_press_none(intake: Intake, meeting) -> None:
    chat = Chat(intake, "760")
    await _to_areas(chat)
    replies = await chat.text("khu pho")  # Khu phố 1, 2, 3 or 4?
    assert replies[0].text.startswith("Ở bước này, xin bạn chọn một trong các nút")


async def test_where_text_is_taken_first_words_are_the_residents_own(intake: Intake, meeting) -> None:
    chat = Chat(intake, "770")
    await _to_location(chat)
    await chat.press("Bỏ qua vị trí")
    replies = await chat.text("Gửi Minh")  # a name at the contact step, not "Gửi ẩn danh"
    assert "Cảm ơn Gửi Minh" in replies[0].text


# --- what a prompt names ---------------------------------------------------------------------

QUOTED = re.compile(r"“([^”]+)”")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("path", [p for p in PATHS if p != "meeting"])
async def test_what_a_prompt_tells_to_press_is_a_button_it_shows(
    scene: Intake, database: Database, path: str, language: str
) -> None:
    from bot.domain.textnorm import label_key

    channel = "telegram" if path == "proxy phone" else "test"
    user = HEAD if path == "proxy phone" else "800"
    chat = Chat(scene, user, channel)
    if language == "en":
        await chat.text("/language en")
    replies = await PATHS[path](chat) if language == "vi" else await _in_english(chat, path)
    shown = {label_key(b.label) for r in replies for b in r.all_buttons()}
    shown |= {label_key(r.ask_label) for r in replies if r.ask_label}
    for reply in replies:
        for name in QUOTED.findall(reply.text):
            if name.endswith("…"):
                assert any(key.startswith(label_key(name)) for key in shown), (path, name)
            else:
                assert label_key(name) in shown, f"{path}: the prompt names “{name}”, no button says so"


async def _in_english(chat: Chat, path: str) -> list[Reply]:
    """The same walk in English: the labels the paths press are translated on the way."""
    english = {
        "Tôi đồng ý": "I agree", "Không đồng ý": "I do not agree", "Gửi ý kiến mới": "Send a new concern",
        "Khu phố 1": "Quarter 1", "Tổ dân phố 1": "Residential group 1", "Hẻm, đường sá": "Alleys, roads",
        "Bỏ qua vị trí": "Skip location", "Bỏ qua": "Skip", "Gửi ẩn danh": "Send anonymously",
        "Gửi thay người dân": "Send for a resident", "Chung cho cả": "All of", "Vấn đề khác": "Other",
    }
    original = chat.press

    async def press(label: str) -> list[Reply]:
        return await original(english.get(label, label))

    chat.press = press  # type: ignore[method-assign]
    try:
        if path == "consent":
            return await chat.text("/start")
        return await PATHS[path](chat)
    finally:
        chat.press = original  # type: ignore[method-assign]
