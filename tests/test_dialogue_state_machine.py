"""A hypothesis state machine over the resident dialogue (`bot.resident.dialogue.Intake`): random inbound
events from three users, restarts between any two events (the database closed and a new
Database + Intake opened on the same file), and a clock that moves, possibly past intake close.

The users are two residents and a group head (who may also submit on behalf of others). Two
meetings take concerns at the start: one for the whole ward that closes in 10 days and one for
Khu phố 1 that closes in 2 days, so the meeting step, the area walk from either root and the
deadlines all come up. Besides random events, a "cooperative" rule does what the current step
asks, so that runs get through the whole flow (most runs store concerns; see the statistics
with ``--hypothesis-show-statistics``).

After every step:
* every stored concern has exactly one author follower (its author), a unique draft key and
  its code;
* no concern was stored at a time its meeting did not take concerns (before it opened, after
  its intake closed);
* every conversation row parses, names a known step, and holds a draft only inside the flow;
* every event a resident sent got at least one reply, unless the flood guard dropped it; a
  redelivered event (the channel sends the same update again after a crash) gets the same
  replies as the first time and changes nothing.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, target
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.codes import format_code
from bot.domain.messages import Contact, Inbound, InboundKind, Location, Reply
from bot.outbox.codec import encode_body
from bot.resident.dialogue import FLOW_STEPS, Conversation, Intake
from bot.services.flood import FloodGuard
from storage.db import Database
from storage.times import parse_time
from tests.conftest import EXAMPLE_CONFIG, START, create_meeting

SETTINGS = load_settings(EXAMPLE_CONFIG)
MAX_EXAMPLES = 200
STEPS = 50
# Two residents and the head of a residential group (config.example.toml), who may submit for others.
HEAD = "100000011"
USERS = ("501", "502", HEAD)
CHANNEL = "telegram"
STEP_NAMES = set(FLOW_STEPS) | {"idle", "consent"}

CONCERN_TEXT = "Đèn chiếu sáng hẻm 48 Tân Hóa hư hơn một tháng, ban đêm rất tối."
texts = st.one_of(
    st.sampled_from([
        CONCERN_TEXT, "Nước ngập đường Lãnh Binh Thăng mỗi khi mưa.", "Bỏ qua vị trí", "Gửi ẩn danh",
        "Không để lại số", "Bỏ qua", "1", "2", "3", "12", "Nguyễn Thị Lan", "0903 123 456", "+84903123456",
        "Khu phố 1", "Tổ dân phố 1 (hẻm 48 Tân Hóa)", "Hẻm, đường sá, đèn chiếu sáng", "✅ Gửi ý kiến",
        "🙂🙂🙂", "\u200b\u202e", "ngắn", "²", "①", "３", "٣",
    ]),
    st.integers(500, 700).map(lambda n: "quá " * n),  # over the 2000-character limit
    st.text(max_size=60),
)
commands = st.tuples(
    st.sampled_from(["start", "new", "cancel", "my", "help", "privacy", "delete", "language", "status",
                     "withdraw", "mydata", "unsubscribe", "proxy", "zzz"]),
    st.sampled_from(["", "TT-0001", "1", "tt 2", "en", "vi", "xx", "²", "TT-①"]),
)
forged = st.one_of(
    st.text(max_size=70),
    st.sampled_from(["g:wdy:1", "g:wd:1", "g:wdn:", "g:del:ask", "g:del:yes", "g:del:no", "g:sat:1:0", "g:sat:1:1",
                     "g:satskip:", "g:sub:kp1", "g:sub:nowhere", "g:lang:en", "g:lang:vi", "g:consent:yes", "g:new:",
                     "g:my:", "g:help:", "g:proxy:", "0:c:yes", "1:ok:", "3:sup:1", "5:a:kp1", "999:ok:", "x:y:z",
                     "²:ok:", "g:wd:①", "g:sat:²:1"]),
)
deltas = st.sampled_from([timedelta(seconds=5), timedelta(minutes=2), timedelta(hours=3),
                          timedelta(days=1), timedelta(days=3), timedelta(days=11)])


class Dialogue(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="dialogue-"))
        self.path = self.folder / "dialogue.db"
        self.clock = ManualClock(START)
        self.database: Database | None = None
        self.intake: Intake | None = None
        self.flood = FloodGuard(SETTINGS.limits.messages_per_minute)  # the model of the bot's own guard
        self.events = 0
        self.offered: dict[str, list[tuple[str, str, bool]]] = {u: [] for u in USERS}  # (label, payload, typed)
        self.seen_payloads: dict[str, list[str]] = {u: [] for u in USERS}
        self.last: dict[str, tuple[Inbound, list[Reply]] | None] = {u: None for u in USERS}
        self.restarts = 0
        self.most_concerns = 0

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def open(self) -> None:
        async def setup() -> None:
            self.database = await Database.open(self.path)
            now = self.clock.now()
            await create_meeting(self.database, now, title="Hội nghị đối thoại quý I/2026")
            await create_meeting(self.database, now, title="Đối thoại Khu phố 1", days_ahead=5, intake_days=2, area_id="kp1")

        self.run(setup())
        self.intake = Intake(SETTINGS, self.database, self.clock)  # type: ignore[arg-type]

    def teardown(self) -> None:
        if currently_in_test_context():
            # Steer the search towards runs that get through the whole flow; show how often they do.
            target(float(self.most_concerns), label="concerns stored")
            event(f"concerns stored: {min(self.most_concerns, 3)}{'+' if self.most_concerns > 3 else ''}")
        if self.database is not None:
            self.run(self.database.close())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- sending ------------------------------------------------------------------------

    def send(self, user: str, kind: InboundKind, event_id: str | None = None, **fields: Any) -> list[Reply]:
        if event_id is None:
            self.events += 1
            event_id = f"e{self.events}"
        inbound = Inbound(channel=CHANNEL, user_id=user, kind=kind, event_id=event_id, chat_id=user, **fields)
        verdict = self.flood.check(f"{CHANNEL}:{user}", self.clock.now())
        assert self.intake is not None
        replies = self.run(self.intake.handle(inbound))
        if verdict == "drop":
            assert replies == [], f"a dropped event was answered: {replies}"
            return replies
        assert replies, f"no reply to {inbound}"
        for reply in replies:
            assert reply.text.strip() or reply.document is not None
            for button in reply.all_buttons():
                assert 1 <= len(button.payload.encode()) <= 64, button
        self.last[user] = (inbound, replies)
        prompts = [r for r in replies if r.buttons]
        if prompts:
            prompt = prompts[-1]
            typed = prompt.ask is not None  # a reply keyboard: Telegram sends the label as text
            self.offered[user] = [(b.label, b.payload, typed) for b in prompt.all_buttons()]
        self.seen_payloads[user].extend(b.payload for r in replies for b in r.all_buttons())
        return replies

    # --- rules: what a resident can send -----------------------------------------------------

    @rule(user=st.sampled_from(USERS), text=texts)
    def text(self, user: str, text: str) -> None:
        if text.strip():
            self.send(user, InboundKind.TEXT, text=text)

    @rule(user=st.sampled_from(USERS), command=commands)
    def command(self, user: str, command: tuple[str, str]) -> None:
        name, args = command
        self.send(user, InboundKind.COMMAND, command=name, args=args, text=f"/{name} {args}".strip())

    @rule(user=st.sampled_from(USERS), choice=st.integers(min_value=0, max_value=30))
    def press_offered(self, user: str, choice: int) -> None:
        offered = self.offered[user]
        if not offered:
            return
        label, payload, typed = offered[choice % len(offered)]
        if typed:
            self.send(user, InboundKind.TEXT, text=label)
        else:
            self.send(user, InboundKind.BUTTON, payload=payload)

    def conversation(self, user: str) -> Conversation | None:
        assert self.database is not None
        row = self.run(self.database.fetch_one(
            "SELECT c.state FROM conversations c JOIN residents r ON r.id = c.resident_id "
            "WHERE r.channel = ? AND r.channel_user_id = ?", (CHANNEL, user)
        ))
        return None if row is None else Conversation.from_json(row["state"])

    def step_of(self, user: str) -> str:
        state = self.conversation(user)
        return "new" if state is None else state.step

    def press(self, user: str, payload: str) -> None:
        self.send(user, InboundKind.BUTTON, payload=payload)

    def cooperate(self, user: str, choice: int) -> None:
        """What a resident who wants to get a concern in would do at the current step; without
        it random events almost never get through the whole flow."""
        step = self.step_of(user)
        if step in ("new", "idle"):
            command = "proxy" if user == HEAD and choice % 2 else "new"
            self.send(user, InboundKind.COMMAND, command=command, text=f"/{command}")
        elif step == "proxy_name":
            self.send(user, InboundKind.TEXT, text="Trần Văn Ba")
        elif step == "text":
            self.send(user, InboundKind.TEXT, text=CONCERN_TEXT if choice % 2 else CONCERN_TEXT[:-1] + f" ({choice}).")
        elif step == "location":
            self.send(user, InboundKind.TEXT, text="Bỏ qua vị trí")
        elif step == "contact":
            self.send(user, InboundKind.TEXT, text="Gửi ẩn danh")
        elif step == "phone":
            self.send(user, InboundKind.TEXT, text="Không để lại số")
        else:
            forward = [o for o in self.offered[user] if not o[1].endswith((":x:", ":ab:", ":edit:", ":k:consent"))]
            if not forward:
                self.send(user, InboundKind.COMMAND, command="help", text="/help")  # shows the step again
                return
            label, payload, typed = forward[choice % len(forward)]
            if typed:
                self.send(user, InboundKind.TEXT, text=label)
            else:
                self.send(user, InboundKind.BUTTON, payload=payload)

    # Three rules for the same thing: hypothesis picks rules evenly, and this one has to weigh more.
    @rule(user=st.sampled_from(USERS), choice=st.integers(min_value=0, max_value=30))
    def cooperate_1(self, user: str, choice: int) -> None:
        self.cooperate(user, choice)

    @rule(user=st.sampled_from(USERS), choice=st.integers(min_value=0, max_value=30))
    def cooperate_2(self, user: str, choice: int) -> None:
        self.cooperate(user, choice)

    @rule(user=st.sampled_from(USERS), choice=st.integers(min_value=0, max_value=30))
    def cooperate_3(self, user: str, choice: int) -> None:
        self.cooperate(user, choice)

    @rule(user=st.sampled_from(USERS), choice=st.integers(min_value=0, max_value=200))
    def press_old(self, user: str, choice: int) -> None:
        """Any button the resident was ever shown, stale ones included (Telegram keeps them)."""
        seen = self.seen_payloads[user]
        if seen:
            self.press(user, seen[choice % len(seen)])

    @rule(user=st.sampled_from(USERS), payload=forged)
    def press_forged(self, user: str, payload: str) -> None:
        self.press(user, payload)

    @rule(user=st.sampled_from(USERS), other=st.sampled_from(USERS), choice=st.integers(min_value=0, max_value=200))
    def press_someone_elses(self, user: str, other: str, choice: int) -> None:
        """A payload copied from another resident's chat: never trusted for who may do what."""
        seen = self.seen_payloads[other]
        if seen:
            self.press(user, seen[choice % len(seen)])

    @rule(user=st.sampled_from(USERS), caption=st.one_of(st.none(), texts))
    def photo(self, user: str, caption: str | None) -> None:
        self.events += 1
        self.send(user, InboundKind.PHOTO, photos=(f"photo-{self.events}",), text=caption)

    @rule(user=st.sampled_from(USERS), owner=st.sampled_from(["own", "other", "none"]),
          phone=st.sampled_from(["+84 903 123 456", "0903123456", "12345", "", "+1 202 555 0100"]))
    def contact(self, user: str, owner: str, phone: str) -> None:
        owner_id = {"own": user, "other": "999", "none": None}[owner]
        self.send(user, InboundKind.CONTACT, contact=Contact(phone, "Lan", "Nguyễn", owner_id))

    @rule(user=st.sampled_from(USERS),
          latitude=st.one_of(st.floats(-90, 90), st.floats(allow_nan=True, allow_infinity=True)),
          longitude=st.one_of(st.floats(-180, 180), st.floats(allow_nan=True, allow_infinity=True)))
    def location(self, user: str, latitude: float, longitude: float) -> None:
        self.send(user, InboundKind.LOCATION, location=Location(latitude, longitude))

    @rule(user=st.sampled_from(USERS), what=st.sampled_from(["sticker", "voice", "document", "video", "other"]),
          caption=st.one_of(st.none(), texts))
    def unsupported(self, user: str, what: str, caption: str | None) -> None:
        self.send(user, InboundKind.UNSUPPORTED, unsupported=what, text=caption)

    @rule(user=st.sampled_from(USERS))
    def redeliver(self, user: str) -> None:
        """The channel delivers the last update again (the bot died before confirming it)."""
        last = self.last[user]
        if last is None:
            return
        inbound, replies = last
        before = self.run(self.snapshot())
        verdict = self.flood.check(f"{CHANNEL}:{user}", self.clock.now())
        assert self.intake is not None
        again = self.run(self.intake.handle(inbound))
        if verdict != "ok":
            return  # the flood guard spoke first; nothing to compare
        assert [encode_body(r) for r in again] == [encode_body(r) for r in replies if r.document is None]
        assert self.run(self.snapshot()) == before, "handling the same update twice changed something"

    # --- rules: the world -----------------------------------------------------------------

    @rule()
    def restart(self) -> None:
        assert self.database is not None
        self.run(self.database.close())
        self.database = self.run(Database.open(self.path))
        self.intake = Intake(SETTINGS, self.database, self.clock)
        self.flood = FloodGuard(SETTINGS.limits.messages_per_minute)  # the guard lives in memory
        self.restarts += 1

    @rule(delta=deltas)
    def advance_clock(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    # --- invariants -------------------------------------------------------------------------

    async def snapshot(self) -> tuple[Any, ...]:
        assert self.database is not None
        concerns = await self.database.fetch_all("SELECT id, status, text FROM concerns ORDER BY id")
        followers = await self.database.fetch_all("SELECT * FROM followers ORDER BY concern_id, resident_id")
        states = await self.database.fetch_all("SELECT resident_id, state FROM conversations ORDER BY resident_id")
        return tuple(tuple(map(tuple, rows)) for rows in (concerns, followers, states))

    @invariant()
    def stored_concerns_are_whole(self) -> None:
        if self.database is None:
            return

        async def check() -> None:
            assert self.database is not None
            rows = await self.database.fetch_all(
                "SELECT c.id, c.code, c.draft_key, c.author_id, c.submitted_at, c.text, m.intake_opens_at, "
                "m.intake_closes_at, (SELECT count(*) FROM followers f WHERE f.concern_id = c.id AND f.role = 'author') AS authors, "
                "(SELECT count(*) FROM followers f WHERE f.concern_id = c.id AND f.role = 'author' AND f.resident_id = c.author_id) AS own "
                "FROM concerns c JOIN meetings m ON m.id = c.meeting_id"
            )
            assert len({row["draft_key"] for row in rows}) == len(rows), "a draft was stored twice"
            self.most_concerns = max(self.most_concerns, len(rows))
            for row in rows:
                assert row["code"] == format_code(SETTINGS.unit.code_prefix, row["id"]), dict(row)
                assert row["authors"] == 1 and row["own"] == 1, dict(row)
                submitted = parse_time(row["submitted_at"])
                assert parse_time(row["intake_opens_at"]) <= submitted < parse_time(row["intake_closes_at"]), (
                    f"concern {row['code']} stored at {submitted} outside its meeting's intake window"
                )
                limits = SETTINGS.limits
                assert limits.text_min_chars <= len(row["text"]) <= limits.text_max_chars, row["text"]

        self.run(check())

    @invariant()
    def conversations_parse(self) -> None:
        if self.database is None:
            return
        for row in self.run(self.database.fetch_all("SELECT resident_id, state FROM conversations")):
            state = Conversation.from_json(row["state"])
            if currently_in_test_context():
                event(f"step reached: {state.step}")
            assert state.step in STEP_NAMES, state.step
            if state.draft is not None:
                assert state.step in FLOW_STEPS, (state.step, state.draft)
                assert len(state.draft.photos) <= SETTINGS.limits.photos_max
            assert Conversation.from_json(state.to_json()) == state


Dialogue.TestCase.settings = hsettings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestDialogue = Dialogue.TestCase


def test_the_machine_can_store_a_concern_restart_and_refuse_after_close() -> None:
    """The rules reach the end of the flow (the invariants above are not vacuous), a restart
    mid-flow loses nothing, and a confirm after the intake closed stores nothing."""
    machine = Dialogue()
    try:
        machine.open()
        user = USERS[0]
        machine.command(user, ("start", ""))
        machine.press_offered(user, 0)  # Tôi đồng ý
        machine.press_offered(user, 0)  # Gửi ý kiến mới -> which meeting?
        machine.press_offered(user, 0)  # the first meeting offered
        machine.press_offered(user, 0)  # the first area
        machine.restart()
        machine.press_offered(user, 0)  # the first area below it (or the whole area)
        machine.press_offered(user, 1)  # a topic
        machine.text(user, CONCERN_TEXT)
        machine.press_offered(user, 0)  # Bỏ qua (photos)
        machine.text(user, "Bỏ qua vị trí")
        machine.text(user, "Gửi ẩn danh")
        machine.redeliver(user)
        machine.press_offered(user, 0)  # ✅ Gửi ý kiến
        machine.redeliver(user)
        machine.stored_concerns_are_whole()
        machine.conversations_parse()
        rows = machine.run(machine.database.fetch_all("SELECT code FROM concerns"))  # type: ignore[union-attr]
        assert [row["code"] for row in rows] == ["TT-0001"]

        # Again up to the summary, then the intake closes before the confirm.
        machine.command(user, ("new", ""))
        for _ in range(4):
            machine.press_offered(user, 0)
        machine.text(user, "Nước ngập đường Lãnh Binh Thăng mỗi khi mưa lớn, đề nghị nạo vét cống.")
        machine.press_offered(user, 0)
        machine.text(user, "Bỏ qua vị trí")
        machine.text(user, "Gửi ẩn danh")
        machine.advance_clock(timedelta(days=11))
        machine.restart()
        replies = machine.send(user, InboundKind.BUTTON, payload=machine.offered[user][0][1])
        assert "hết hạn nhận ý kiến" in replies[0].text
        machine.stored_concerns_are_whole()
        rows = machine.run(machine.database.fetch_all("SELECT code FROM concerns"))  # type: ignore[union-attr]
        assert len(rows) == 1
    finally:
        machine.teardown()


def test_a_payload_with_the_current_version_at_the_text_step_is_answered() -> None:
    machine = Dialogue()
    try:
        machine.open()
        user = USERS[0]
        for _ in range(20):
            if machine.step_of(user) == "text":
                break
            machine.cooperate(user, 0)
        state = machine.conversation(user)
        assert state is not None
        replies = machine.send(user, InboundKind.BUTTON, payload=f"{state.version}:t:giao-thong")
        assert "không hợp lệ" in replies[0].text
    finally:
        machine.teardown()


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (InboundKind.TEXT, {"text": "²"}),
        (InboundKind.TEXT, {"text": "①"}),
        (InboundKind.BUTTON, {"payload": "²:a:b"}),
        (InboundKind.BUTTON, {"payload": "g:wd:²"}),
        (InboundKind.COMMAND, {"command": "status", "args": "²"}),
        (InboundKind.COMMAND, {"command": "withdraw", "args": "TT-①"}),
    ],
)
def test_digits_that_int_cannot_read_get_an_answer(kind: InboundKind, fields: dict[str, str]) -> None:
    machine = Dialogue()
    try:
        machine.open()
        machine.command(USERS[0], ("start", ""))  # the consent buttons are offered: typed choices count
        assert machine.intake is not None
        inbound = Inbound(channel=CHANNEL, user_id=USERS[0], chat_id=USERS[0], kind=kind, event_id="digits", **fields)
        replies = machine.run(machine.intake.handle(inbound))
        assert replies
    finally:
        machine.teardown()
