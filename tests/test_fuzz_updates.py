"""Fuzz of the update parsing path: malformed and hostile Telegram updates never crash the bot
and never reach storage unvalidated.

Two depths:
* in process, many examples, after putting one user at a random step of the dialogue (so that
  hostile input meets every step, not only the menu): the raw update goes through what the running channel does with a
  getUpdates result (the bot's tolerant parse, ``Update.de_json``), then ``to_inbound`` and
  ``Router.handle`` on a fresh SQLite database; every reply must be one Telegram accepts;
* through the fake Bot API, fewer examples: the same kind of updates pushed to the real
  python-telegram-bot Application polling the fake server; afterwards the fake saw no bad
  request from the bot and the bot still answers a normal /start.

After every example: a concern is stored only through the dialogue's own checks (clean text
within the limits, its author as follower); every conversation row parses and holds no control
or invisible character; the residents table has at most one row per user who wrote in a private
chat, and only for those users.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from telegram import Update
from telegram.constants import MessageLimit

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Secrets, load_settings
from bot.domain.messages import Inbound, InboundKind, Reply
from bot.domain.textnorm import clean, letter_count
from bot.resident.dialogue import Conversation
from handlers.telegram.channel import TelegramChannel, to_inbound
from handlers.telegram.render import split_text, to_markup
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG, START, create_meeting
from tests.e2e import settings_for
from tests.fakebotapi import FakeBotApi

SETTINGS = load_settings(EXAMPLE_CONFIG)
IN_PROCESS_EXAMPLES = 150
THROUGH_SERVER_EXAMPLES = 25

USERS = (7101, 7102, 7103)
STAFF_CHAT = -1001000000001
BOT_NAME = "doithoai_test_bot"

ZERO_WIDTH_AND_BIDI = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
CONTROL = "".join(chr(c) for c in range(32)) + "\x7f" + "".join(chr(c) for c in range(0x80, 0xA0))
EMOJI = ["😀", "🙂", "👍", "🔥", "🚧", "🏠", "💡", "🌧️", "🗑️", "🚗", "👨‍👩‍👧‍👦", "🇻🇳", "\u2764\ufe0f"]
VIETNAMESE = [
    "Đèn hẻm 48 Tân Hóa bị hư lâu rồi, ban đêm rất tối.",
    "Nước ngập đường Lãnh Binh Thăng mỗi khi mưa lớn.",
    "Gửi ẩn danh",
    "Bỏ qua vị trí",
    "Tôi đồng ý",
    "Nguyễn Thị Lan",
    "0903 123 456",
    "²", "①", "1²", "３", "٣",  # digits: only the decimal ones are numbers int() reads
]


def forbidden(text: str) -> set[str]:
    """What must never be stored from user input: control characters (Cc; a line break is fine)
    and format characters (Cf: zero-width, bidi marks, tags)."""
    return {ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf")}


# --- strategies ----------------------------------------------------------------------------

command_names = st.sampled_from(
    ["start", "new", "my", "status", "withdraw", "delete", "language", "cancel", "help", "privacy",
     "mydata", "proxy", "unsubscribe", "Start", "x" * 40, "ṡtart", "start\u200b", "\u202estart", "st\x00art"]
)
commands = st.builds(
    lambda name, at, args: f"/{name}{at}{args}",
    command_names,
    st.sampled_from(["", f"@{BOT_NAME}", "@other_bot", "@", "@@x"]),
    st.one_of(
        st.just(""),
        st.text(max_size=40).map(lambda t: " " + t),
        st.sampled_from([" TT-0001", " tt 1", " 1", " en", " vi", " -1", " 99999999999", " ²", " TT-①", " ３"]),
        st.integers(1000, 6000).map(lambda n: " " + "9" * n),
    ),
)
texts = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.sampled_from(CONTROL + ZERO_WIDTH_AND_BIDI + "aă đ\n"), max_size=80),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["ư", "a", "🙂", "\u200b", "\u202e", "x ", "\n"]), st.integers(1000, 6000)),
    st.sampled_from(VIETNAMESE).map(lambda s: unicodedata.normalize("NFD", s)),
    st.builds(lambda mark, s: mark + s + mark, st.sampled_from(list(ZERO_WIDTH_AND_BIDI)), st.sampled_from(VIETNAMESE)),
    st.lists(st.sampled_from(EMOJI), min_size=1, max_size=30).map("".join),
    commands,
)
callback_data = st.one_of(
    # 64 random bytes at most, made valid UTF-8 as Telegram requires of callback data
    st.binary(min_size=1, max_size=64).map(lambda b: b.decode("utf-8", "ignore")).filter(bool),
    st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64),
    st.sampled_from(
        ["g:wdy:1", "g:wd:1", "g:del:yes", "g:del:ask", "g:sat:1:1", "g:sat:1:0", "g:sub:kp1", "g:sub:../x",
         "g:lang:xx", "g:lang:en", "0:c:yes", "1:c:yes", "1:a:kp1", "2:t:giao-thong", "99999999999999999999:x:y",
         "g:::", ":", "g:consent:yes", "g:new:", "g:proxy:", "3:ok:", "-1:ok:", "1:sup:1", "g:satskip:",
         "²:ok:", "g:wd:①", "g:wdy:²", "g:sat:²:1", "３:ok:"]
    ),
)
floats = st.floats(allow_nan=True, allow_infinity=True)
user_ids = st.sampled_from(USERS)


def _user(user_id: int, **extra: Any) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Khách", **extra}


def _message(user_id: int, fields: dict[str, Any], chat: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": chat or {"id": user_id, "type": "private", "first_name": "Khách"},
        "from": _user(user_id),
        **fields,
    }


def _file(kind: str) -> dict[str, Any]:
    return {"file_id": f"F-{kind}", "file_unique_id": f"U-{kind}"}


media = st.sampled_from([
    {"sticker": {**_file("s"), "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}},
    {"voice": {**_file("v"), "duration": 3}},
    {"audio": {**_file("a"), "duration": 3}},
    {"video": {**_file("vi"), "width": 1, "height": 1, "duration": 1}},
    {"video_note": {**_file("vn"), "length": 1, "duration": 1}},
    {"animation": {**_file("an"), "width": 1, "height": 1, "duration": 1}},
    {"document": {**_file("d"), "file_name": "../../etc/passwd", "mime_type": "application/x-sh"}},
    {"dice": {"emoji": "🎲", "value": 6}},
    {"poll": {"id": "p", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False,
              "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}},
    {"venue": {"location": {"latitude": 10.7, "longitude": 106.6}, "title": "Chợ", "address": "x"}},
    {"new_chat_members": [_user(42)]},
    {"photo": []},
])


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    """One raw update, as Telegram (or something pretending to be it) could deliver it."""
    user = draw(user_ids)
    kind = draw(st.sampled_from(
        ["text", "text", "text", "command", "callback", "callback", "media", "photo", "contact", "location",
         "edited", "channel", "group", "bot", "unknown", "missing", "garbage", "member"]
    ))
    if kind == "text":
        return {"message": _message(user, {"text": draw(texts)})}
    if kind == "command":
        text = draw(commands)
        length = draw(st.integers(0, 10_000))
        return {"message": _message(user, {"text": text, "entities": [{"type": "bot_command", "offset": 0, "length": length}]})}
    if kind == "callback":
        query: dict[str, Any] = {"id": str(draw(st.integers(1, 10**18))), "from": _user(user), "chat_instance": "1"}
        data = draw(st.one_of(st.none(), callback_data))
        if data is not None:
            query["data"] = data
        where = draw(st.sampled_from(["message", "inaccessible", "none", "inline"]))
        if where == "message":
            query["message"] = {**_message(user, {"text": "x"}), "from": {"id": 1, "is_bot": True, "first_name": "bot"}}
        elif where == "inaccessible":
            query["message"] = {"message_id": draw(st.integers(0, 2**31)), "chat": {"id": user, "type": "private"}, "date": 0}
        elif where == "inline":
            query["inline_message_id"] = "AAAA"
        return {"callback_query": query}
    if kind == "media":
        return {"message": _message(user, {**draw(media), **({"caption": draw(texts)} if draw(st.booleans()) else {})})}
    if kind == "photo":
        fields: dict[str, Any] = {"photo": [{**_file("p1"), "width": 90, "height": 90}, {**_file("p2"), "width": 0, "height": 10**9}]}
        if draw(st.booleans()):
            fields["caption"] = draw(texts)
        return {"message": _message(user, fields)}
    if kind == "contact":
        contact: dict[str, Any] = {"phone_number": draw(st.one_of(texts, st.just("+84903123456"))), "first_name": draw(texts)}
        owner = draw(st.sampled_from(["own", "other", "none"]))
        if owner != "none":
            contact["user_id"] = user if owner == "own" else 999
        if draw(st.booleans()):
            contact["last_name"] = draw(texts)
        return {"message": _message(user, {"contact": contact})}
    if kind == "location":
        return {"message": _message(user, {"location": {"latitude": draw(floats), "longitude": draw(floats)}})}
    if kind == "edited":
        return {"edited_message": _message(user, {"text": draw(texts), "edit_date": 1_700_000_001})}
    if kind == "channel":
        return {"channel_post": {"message_id": 5, "date": 1_700_000_000, "chat": {"id": -100777, "type": "channel", "title": "Kênh"}, "text": draw(texts)}}
    if kind == "group":
        chat = draw(st.sampled_from([
            {"id": -100555, "type": "supergroup", "title": "Nhóm cư dân"},
            {"id": -555, "type": "group", "title": "Nhóm"},
            {"id": STAFF_CHAT, "type": "supergroup", "title": "Cán bộ"},
        ]))
        return {"message": _message(user, {"text": draw(texts)}, chat=chat)}
    if kind == "bot":
        message = _message(user, {"text": draw(texts)})
        message["from"] = {"id": user, "is_bot": True, "first_name": "Robot"}
        return {"message": message}
    if kind == "unknown":
        name = draw(st.sampled_from(["message_reaction", "business_message", "purchased_paid_media", "zzz_future_kind", "poll"]))
        return {name: {"x": draw(st.integers()), "text": draw(texts)}}
    if kind == "missing":
        message = _message(user, {"text": draw(texts)})
        for key in draw(st.lists(st.sampled_from(["chat", "from", "date", "message_id"]), min_size=1, unique=True)):
            del message[key]
        return {"message": message}
    if kind == "member":
        status = draw(st.sampled_from(["kicked", "member", "left"]))
        return {"my_chat_member": {"chat": {"id": user, "type": "private"}, "from": _user(user), "date": 1_700_000_000,
                                   "old_chat_member": {"status": "member", "user": _user(1)},
                                   "new_chat_member": {"status": status, "user": _user(1), **({"until_date": 0} if status == "kicked" else {})}}}
    # garbage where objects belong
    field = draw(st.sampled_from(["message", "callback_query", "edited_message"]))
    return {field: draw(st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3)))}


def private_writers(raws: list[dict[str, Any]]) -> set[str]:
    """Users who could legitimately become residents: a human in a private chat (or a button)."""
    found = set()
    for raw in raws:
        for key in ("message", "callback_query"):
            item = raw.get(key)
            if isinstance(item, dict) and isinstance(item.get("from"), dict):
                found.add(str(item["from"].get("id")))
    return found


# --- checks --------------------------------------------------------------------------------


def check_reply(reply: Reply) -> None:
    """What Telegram would refuse: empty text, oversized chunks, callback data over 64 bytes."""
    assert reply.text.strip() or reply.document is not None, reply
    for chunk in split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH):
        assert 0 < len(chunk) <= MessageLimit.MAX_TEXT_LENGTH
    for button in reply.all_buttons():
        assert button.label.strip(), reply
        assert 1 <= len(button.payload.encode()) <= 64, button
    to_markup(reply)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in strings_in(key) + strings_in(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings_in(item)]
    return []


async def check_storage(database: Database, writers: set[str]) -> None:
    limits = SETTINGS.limits
    for concern in await database.fetch_all(
        "SELECT c.*, (SELECT count(*) FROM followers f WHERE f.concern_id = c.id AND f.role = 'author'"
        " AND f.resident_id = c.author_id) AS authors FROM concerns c"
    ):
        # Only user 7101's walk can end in a concern (a hostile update may press its real
        # "Gửi ý kiến"), and whatever was stored went through the dialogue's validation.
        text = concern["text"]
        assert concern["authors"] == 1 and concern["code"].startswith("TT-"), dict(concern)
        assert limits.text_min_chars <= len(text) <= limits.text_max_chars and letter_count(text) >= 3, text
        assert not forbidden(text) and text == clean(text), repr(text)
        assert not forbidden(concern["contact_name"] or "")
    for row in await database.fetch_all("SELECT resident_id, state FROM conversations"):
        state = Conversation.from_json(row["state"])  # parses
        raw = json.loads(row["state"])
        bodies = [json.loads(body) for body in raw.pop("last_replies", [])]  # replies kept for replays
        bad = {ch for text in strings_in(raw) + strings_in(bodies) for ch in forbidden(text)}
        assert not bad, f"conversation {row['resident_id']} stores {sorted(map(hex, map(ord, bad)))}: {state!r:.300}"
        if state.draft is not None and state.draft.text is not None:
            assert len(state.draft.text) <= SETTINGS.limits.text_max_chars
    residents = await database.fetch_all("SELECT channel, channel_user_id FROM residents")
    ids = [row["channel_user_id"] for row in residents]
    assert len(ids) == len(set(ids)), ids
    assert set(ids) <= writers, f"residents {set(ids) - writers} never wrote to the bot in private"
    consents = await database.fetch_all("SELECT text_shown FROM consents")
    assert all(not forbidden(row["text_shown"]) for row in consents)


# --- 1. in process ---------------------------------------------------------------------------

PRELUDE_TEXT = "Đèn chiếu sáng hẻm 48 Tân Hóa hư hơn một tháng, ban đêm rất tối."
# Where user 7101 is put, through ordinary steps, before the hostile updates arrive: hostile input
# then meets every step of the dialogue, not only the idle menu.
PRELUDE_STEPS = ("none", "consent", "idle", "area", "topic", "text", "photos", "location", "contact", "confirm")
PRELUDE = [  # (the step it leads to, what the user does)
    ("consent", "command", "start"),
    ("idle", "press", "Tôi đồng ý"),
    ("area", "press", "📝 Gửi ý kiến mới"),
    ("area", "press", "Khu phố 1"),
    ("topic", "press", "Tổ dân phố 1 (hẻm 48 Tân Hóa)"),
    ("text", "press", "Hẻm, đường sá, đèn chiếu sáng"),
    ("photos", "text", PRELUDE_TEXT),
    ("location", "press", "Bỏ qua"),
    ("contact", "text", "Bỏ qua vị trí"),
    ("confirm", "text", "Gửi ẩn danh"),
]


async def walk_to(step: str, handle: Any) -> None:
    if step == "none":
        return
    buttons: dict[str, str] = {}
    last = max(number for number, (reaches, _, _) in enumerate(PRELUDE) if reaches == step)
    for number, (_, kind, value) in enumerate(PRELUDE[: last + 1]):
        base = {"channel": "telegram", "user_id": "7101", "chat_id": "7101", "event_id": f"prelude-{number}"}
        if kind == "command":
            inbound = Inbound(kind=InboundKind.COMMAND, command=value, text="/" + value, **base)
        elif kind == "press":
            inbound = Inbound(kind=InboundKind.BUTTON, payload=buttons[value], **base)
        else:
            inbound = Inbound(kind=InboundKind.TEXT, text=value, **base)
        replies = await handle(inbound)
        buttons.update({b.label: b.payload for r in replies for b in r.all_buttons()})


async def run_in_process(raws: list[dict[str, Any]], prelude: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(START)
        database = await Database.open(Path(folder) / "fuzz.db")
        try:
            await create_meeting(database, clock.now())
            services = build_services(SETTINGS, database, clock)
            channel = TelegramChannel(SETTINGS, Secrets("123456:FUZZ-TOKEN", None), services.router.handle)
            bot = channel.application.bot
            await walk_to(prelude, services.router.handle)
            for number, raw in enumerate(raws, start=1):
                raw = {"update_id": number, **raw}
                # What the channel does with each getUpdates result, then python-telegram-bot.
                update = Update.de_json(bot._parseable(json.loads(json.dumps(raw))), bot)
                inbound = to_inbound(update)
                if inbound is None:
                    continue
                if inbound.kind in (InboundKind.TEXT, InboundKind.COMMAND):
                    assert len(inbound.text or "") <= MessageLimit.MAX_TEXT_LENGTH
                assert inbound.payload is None or len(inbound.payload) <= 64
                if inbound.group and update.message is not None and update.message.document is not None:
                    continue  # the staff chat's file download needs the network: the server part covers it
                replies = await services.router.handle(inbound)
                for reply in replies:
                    check_reply(reply)
                clock.advance(timedelta(seconds=7))
            await check_storage(database, private_writers(raws) | ({"7101"} if prelude != "none" else set()))
        finally:
            await database.close()


@hsettings(max_examples=IN_PROCESS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(updates(), min_size=1, max_size=8), st.sampled_from(PRELUDE_STEPS))
def test_hostile_updates_in_process(raws: list[dict[str, Any]], prelude: str) -> None:
    asyncio.run(run_in_process(raws, prelude))


# --- 2. through the fake Bot API ------------------------------------------------------------


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def run_through_server(raws: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(datetime.now(START.tzinfo))
        database = await Database.open(Path(folder) / "fuzz.db")
        errors = _Errors()
        logging.getLogger("handlers.telegram.channel").addHandler(errors)
        try:
            await create_meeting(database, clock.now())
            async with FakeBotApi(bot_username=BOT_NAME) as api:
                api.group(STAFF_CHAT, "Cán bộ")
                for user_id in USERS:
                    api.user(user_id, first_name="Khách")
                services = build_services(SETTINGS, database, clock)
                channel = TelegramChannel(settings_for(SETTINGS, api), Secrets(api.token, None), services.router.handle)
                await channel.start()
                try:
                    for raw in raws:
                        api.push_update(raw)
                    # Updates are handled one at a time, in order: once /start is answered, every
                    # hostile update before it has been handled too.
                    normal = api.user(7199, first_name="Bình")
                    (greeting,) = await normal.reply_after(lambda: normal.send_text("/start"), count=1, timeout=30)
                    assert "Xin chào" in (greeting.text or "")
                finally:
                    await channel.stop()
                assert api.server_errors == []
                # A reply Telegram refuses (empty, too long, bad keyboard) is a reply the user never
                # sees. Settling forged callbacks may be refused (unknown query or message): harmless.
                refused = [c for c in api.calls if 400 <= c.status < 500 and c.method in ("sendMessage", "sendDocument", "editMessageText")]
                assert refused == [], [(c.method, c.status, c.description) for c in refused]
            await check_storage(database, private_writers(raws) | {"7199"})
            crashes = [r for r in errors.records if r.exc_info]
            assert not crashes, [(r.getMessage(), repr(r.exc_info[1])) for r in crashes]  # type: ignore[index]
        finally:
            logging.getLogger("handlers.telegram.channel").removeHandler(errors)
            await database.close()


@hsettings(max_examples=THROUGH_SERVER_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(updates(), min_size=3, max_size=12))
def test_hostile_updates_through_the_fake_bot_api(raws: list[dict[str, Any]]) -> None:
    asyncio.run(run_through_server(raws))


def test_the_generator_reaches_every_kind() -> None:
    """The strategies are not vacuous: each kind of hostile input is produced."""
    seen: set[str] = set()

    @hsettings(max_examples=300, deadline=None, database=None)
    @given(updates())
    def collect(raw: dict[str, Any]) -> None:
        seen.update(raw)
        message = raw.get("message")
        if isinstance(message, dict):
            seen.update(k for k in message if k in ("text", "photo", "contact", "location", "sticker", "document", "voice"))

    collect()
    assert {"message", "callback_query", "edited_message", "channel_post", "my_chat_member"} <= seen
    assert {"text", "photo", "contact", "location"} <= seen


async def test_a_command_name_is_cleaned_before_it_is_echoed_and_stored(database: Database, clock, meeting) -> None:  # type: ignore[no-untyped-def]
    services = build_services(SETTINGS, database, clock)
    for number, text in enumerate(["/start\u200b", "/st\x07art"], start=1):
        command = text[1:]
        inbound = Inbound(channel="telegram", user_id="7150", kind=InboundKind.COMMAND, event_id=str(number),
                          command=command, text=text, chat_id="7150")
        await services.router.handle(inbound)
        row = await database.fetch_one("SELECT state FROM conversations")
        assert row is not None
        state = json.loads(row["state"])
        texts = strings_in(state) + strings_in([json.loads(body) for body in state["last_replies"]])
        stored = {ch for t in texts for ch in forbidden(t)}
        assert not stored, f"{text!r} left {sorted(map(hex, map(ord, stored)))} in the conversation state"


async def test_documents_in_groups_other_than_the_staff_chat_are_not_downloaded(database: Database, clock, meeting) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e import running_channel

    async with FakeBotApi(bot_username=BOT_NAME) as api:
        group = api.group(-100555, "Nhóm cư dân")
        member = api.user(7170, first_name="Bình")
        stored = api.files.store(b"%PDF-1.4 fake", "giay-to.pdf", "application/pdf", "documents")
        document = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                    "file_name": "giay-to.pdf", "mime_type": "application/pdf", "file_size": len(stored.content)}
        services = build_services(SETTINGS, database, clock)
        async with running_channel(SETTINGS, api, services.router.handle):
            api._user_message(member, group.chat_id, {"document": document})
            normal = api.user(7171, first_name="An")
            await normal.reply_after(lambda: normal.send_text("/start"), count=1)  # everything before is handled
        assert api.calls_of("getFile") == [] and api.downloads == []


async def test_every_invisible_format_character_is_cleaned_from_what_residents_type(database: Database, clock, meeting) -> None:  # type: ignore[no-untyped-def]
    services = build_services(SETTINGS, database, clock)
    await walk_to("text", services.router.handle)
    marks = "\u061c\u180e\ufff9\U000e0001"
    text = f"Đèn{marks[0]} hẻm 48 Tân Hóa{marks[1]} hư lâu rồi{marks[2]}, tối quá{marks[3]}."
    inbound = Inbound(channel="telegram", user_id="7101", chat_id="7101", kind=InboundKind.TEXT, event_id="x1", text=text)
    await services.router.handle(inbound)
    row = await database.fetch_one("SELECT state FROM conversations")
    assert row is not None
    draft = Conversation.from_json(row["state"]).draft
    assert draft is not None and draft.text is not None, "the text step refused the text"
    kept = [hex(ord(ch)) for ch in draft.text if unicodedata.category(ch) == "Cf"]
    assert not kept, f"format characters kept in the draft: {kept}"
