"""The sandbox as a newcomer meets it: it answers after a restart, plays several residents,
prints what the outbox sends them, and speaks English when asked to."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.app import build_services, run_sandbox
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.messages import Button, Inbound, Reply
from bot.services.answers import AnswerInput
from bot.text import Catalog
from handlers.console import CHANNEL, ConsoleChannel, address_of
from storage.db import Database

LAMP = "Đèn chiếu sáng hẻm 48 Tân Hóa bị hư hơn một tháng nay, ban đêm rất tối."
VIETNAMESE = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")


class Terminal:
    """What a newcomer sees and types: the sandbox's output, and lines fed one at a time."""

    def __init__(self) -> None:
        self.out = io.StringIO()
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()

    @property
    def text(self) -> str:
        return self.out.getvalue()

    async def until(self, seen: Callable[[str], bool]) -> None:
        # A bounded number of rounds, not a deadline: the test asserts what is printed, never when.
        for _ in range(4000):
            if seen(self.text):
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"not printed; the terminal ends with:\n{self.text[-1500:]}")

    async def ready(self) -> None:
        """The sandbox has answered what was typed and waits at its prompt."""
        await self.until(lambda text: text.rstrip(" ").endswith(">"))

    async def type(self, line: str) -> None:
        await self.ready()
        length = len(self.text)
        self.lines.put_nowait(line)
        await self.until(lambda text: len(text) > length and text.rstrip(" ").endswith(">"))

    async def press(self, label: str) -> None:
        await self.ready()
        numbers = re.findall(r"\[(\d+)\] ([^\n]*)", self.text)
        number = next((n for n, shown in reversed(numbers) if label in shown), None)
        assert number is not None, f"no button {label!r}; the terminal ends with:\n{self.text[-1500:]}"
        await self.type(number)

    async def quit(self, session: asyncio.Task[None]) -> None:
        self.lines.put_nowait(None)
        await session


async def submit(terminal: Terminal, text: str = LAMP) -> str:
    for label in ("Tôi đồng ý", "Gửi ý kiến mới", "Khu phố 1", "Tổ dân phố 1", "Hẻm, đường sá"):
        await terminal.press(label)
    await terminal.type(text)
    for label in ("Bỏ qua", "Bỏ qua vị trí", "Gửi ẩn danh", "Gửi ý kiến"):
        await terminal.press(label)
    return terminal.text.split("Mã theo dõi: ")[-1].split()[0]


async def test_a_restarted_sandbox_still_answers_on_the_same_database(
    settings: Settings, database: Database, clock: ManualClock, meeting
) -> None:
    services = build_services(settings, database, clock)
    greeting = services.catalog.t("vi", "start.greeting", unit=settings.unit.name)
    first = io.StringIO()
    await ConsoleChannel(services.intake.handle, out=first).run(_fed("/help", "1"))
    assert greeting in first.getvalue()
    # Restarted: a new channel on the same database counts its events afresh.
    again = io.StringIO()
    await ConsoleChannel(services.intake.handle, out=again).run(_fed("/help"))
    intro = services.catalog.t("vi", "sandbox.intro", name="1")
    answer_to_start, answer_to_help = again.getvalue().split(intro)[1].split("[Cư dân 1] > ")[:2]
    assert answer_to_start.strip(), "the restarted sandbox ignored /start"
    assert answer_to_help.strip(), "the restarted sandbox ignored /help"


async def test_as_switches_the_resident_and_the_prompt_names_who_speaks(
    settings: Settings, database: Database, clock: ManualClock, meeting
) -> None:
    services = build_services(settings, database, clock)
    out = io.StringIO()
    console = ConsoleChannel(services.intake.handle, out=out)
    await console.run(_fed("/as Lan", "/start", "/as"))
    text = out.getvalue()
    assert "[Cư dân 1] > " in text and "[Cư dân Lan] > " in text
    assert services.catalog.t("vi", "sandbox.as_usage", name="Lan") in text
    async with database.transaction() as connection:
        users = [row["channel_user_id"] for row in await connection.execute_fetchall(
            "SELECT channel_user_id FROM residents WHERE channel = ? ORDER BY id", (CHANNEL,))]
    assert users == [address_of("1"), address_of("Lan")]


async def test_a_push_is_printed_for_its_resident_and_its_buttons_answer_as_that_resident(
    settings: Settings, database: Database, clock: ManualClock, meeting
) -> None:
    services = build_services(settings, database, clock)
    handled: list[tuple[str, str | None]] = []

    async def handle(inbound: Inbound) -> list[Reply]:
        handled.append((inbound.user_id, inbound.payload))
        return await services.intake.handle(inbound)

    out = io.StringIO()
    console = ConsoleChannel(handle, out=out)
    lines = _fed()
    session = asyncio.create_task(console.run(lines))
    await asyncio.sleep(0)
    await console.sender().send(address_of("2"), Reply("Kết quả trả lời", buttons=((Button("Hài lòng", "x:1"),),)))
    assert services.catalog.t("vi", "sandbox.push_heading", name="2") + "\n\nKết quả trả lời\n  [1] Hài lòng" in out.getvalue()
    for line in ("/as 2", "1", None):
        lines.put_nowait(line)
    await session
    assert (address_of("2"), "x:1") in handled


async def test_the_whole_loop_submit_then_staff_answer_and_publish_then_the_answer_arrives(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "sandbox.db"
    terminal = Terminal()
    session = asyncio.create_task(run_sandbox(settings, path, "vi", clock, terminal.lines, terminal.out))
    code = await submit(terminal)
    await terminal.type("/as 2")
    # Staff, in another terminal: the CLI opens the same database with its own services.
    staff_database = await Database.open(path)
    try:
        staff = build_services(settings, staff_database, clock)
        (meeting,) = await staff.meetings.list()
        await staff.agenda.build(meeting.id, "cli:test")
        clock.advance(timedelta(days=15))
        await staff.answers.record(code, AnswerInput("answered", "Phường đã thay bóng đèn ngày 20/3.", "Chủ tịch UBND phường"), "cli:test")
        assert (await staff.publishing.publish(meeting.id, "cli:test")).queued == 1
    finally:
        await staff_database.close()
    heading = Catalog.load().t("vi", "sandbox.push_heading", name="1")
    await terminal.until(lambda text: heading in text and "Phường đã thay bóng đèn" in text.split(heading)[-1])
    assert code in terminal.text.split(heading)[-1]
    # The answer asks resident 1 whether they are satisfied; they answer after switching back.
    await terminal.ready()
    await terminal.type("/as 1")
    await terminal.press("Hài lòng")
    await terminal.quit(session)


async def test_english_sandbox_greets_in_english_with_no_vietnamese_hints(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    catalog = Catalog.load()
    terminal = Terminal()
    session = asyncio.create_task(run_sandbox(settings, tmp_path / "sandbox.db", "en", clock, terminal.lines, terminal.out))
    await terminal.ready()
    await terminal.type("/as Lan")
    await terminal.type("/as")
    await terminal.type("/location here")
    await terminal.quit(session)
    text = terminal.text
    assert catalog.t("en", "start.greeting", unit=settings.unit.name) in text
    assert "[Resident 1] > " in text and "[Resident Lan] > " in text
    assert catalog.t("en", "sandbox.intro", name="1") in text
    for key in ("sandbox.speaking_as", "sandbox.as_usage", "sandbox.location_usage"):
        assert catalog.t("en", key, name="Lan") in text
    sandbox_lines = [line for line in text.splitlines() if line.startswith(("===", "Type", "You", "Usage", "[Resident"))]
    assert sandbox_lines and not [line for line in sandbox_lines if VIETNAMESE.search(line)]
    assert not VIETNAMESE.search(catalog.t("en", "sandbox.intro", name="1") + catalog.t("en", "sandbox.contact_name"))


def _fed(*lines: str) -> asyncio.Queue[str | None]:
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    for line in lines:
        queue.put_nowait(line)
    queue.put_nowait(None)
    return queue if lines else asyncio.Queue()

