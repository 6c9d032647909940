"""Units: every meeting, concern and consent belongs to one; a unit's services see only its own.

Two units' services share one database here, as a city's deployment for many wards will.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

import storage.migrations
from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import DEFAULT_UNIT_ID, NewConcern
from bot.services.agenda import AgendaError
from bot.services.answers import AnswerError, AnswerInput
from bot.services.meetings import MeetingDraft, MeetingError
from bot.services.triage import TriageError
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.residents import ResidentRepository
from storage.subscriptions import ScheduleMarks
from tests.chat import Chat, submit_concern

OTHER_UNIT = "phuong-tan-hoa"


@pytest.fixture
def other_settings(settings: Settings) -> Settings:
    unit = settings.unit.model_copy(update={"id": OTHER_UNIT, "name": "Phường Tân Hòa"})
    return settings.model_copy(update={"unit": unit})


@pytest.fixture
def ours(settings: Settings, database: Database, clock: ManualClock) -> Services:
    return build_services(settings, database, clock)


@pytest.fixture
def theirs(other_settings: Settings, database: Database, clock: ManualClock) -> Services:
    return build_services(other_settings, database, clock)


def draft(clock: ManualClock, title: str) -> MeetingDraft:
    return MeetingDraft(title=title, starts_at=clock.now() + timedelta(days=20), place="Hội trường UBND phường")


def test_a_config_without_a_unit_id_is_the_default_unit(settings: Settings) -> None:
    assert settings.unit.id == DEFAULT_UNIT_ID


async def test_a_meeting_of_one_unit_is_not_found_by_another(
    ours: Services, theirs: Services, settings: Settings, clock: ManualClock
) -> None:
    mine = (await ours.meetings.create(draft(clock, "Đối thoại Phú Thọ"), "cli:test")).meeting
    other = (await theirs.meetings.create(draft(clock, "Đối thoại Tân Hòa"), "cli:test")).meeting
    assert (mine.unit_id, other.unit_id) == (settings.unit.id, OTHER_UNIT)
    assert [m.id for m in await ours.meetings.list()] == [mine.id]
    assert [m.id for m in await theirs.meetings.list()] == [other.id]
    assert await theirs.meetings.get(mine.id) is None
    # Each unit has exactly one meeting in preparation, whatever the other unit does.
    assert (await ours.meetings.current()).id == mine.id
    assert (await theirs.meetings.current()).id == other.id
    with pytest.raises(MeetingError) as refused:
        await theirs.meetings.cancel(mine.id, "cli:test", "nhầm phường")
    assert refused.value.key == "refusal.no_meeting"
    assert (await ours.meetings.get_or_fail(mine.id)).status == "announced"


async def test_a_concern_stays_in_its_unit(ours: Services, theirs: Services, clock: ManualClock) -> None:
    mine = (await ours.meetings.create(draft(clock, "Đối thoại Phú Thọ"), "cli:test")).meeting
    code = await submit_concern(Chat(ours.intake, "3101"))
    assert (await ours.triage.view(code)).concern.meeting_id == mine.id
    with pytest.raises(TriageError) as refused:
        await theirs.triage.view(code)
    assert refused.value.key == "refusal.no_concern"
    with pytest.raises(TriageError) as refused:
        await theirs.triage.queue(mine.id)
    assert refused.value.key == "refusal.no_meeting"
    with pytest.raises(TriageError):
        await theirs.triage.reject(code, "không thuộc phường", "cli:test")
    with pytest.raises(AgendaError):
        await theirs.agenda.build(mine.id, "cli:test")
    with pytest.raises(AnswerError):
        await theirs.answers.record(code, AnswerInput("answered", "Đã sửa đèn", "Chủ tịch"), "cli:test")
    assert (await ours.statistics.stats()).concerns == 1
    assert (await theirs.statistics.stats()).concerns == 0
    assert len((await ours.triage.queue(mine.id)).entries) == 1


async def test_the_dialogue_of_a_unit_offers_and_files_under_that_unit(
    ours: Services, theirs: Services, database: Database, clock: ManualClock
) -> None:
    await ours.meetings.create(draft(clock, "Đối thoại Phú Thọ"), "cli:test")
    # Only our unit has a meeting: a resident of the other unit is told there is none.
    chat = Chat(theirs.intake, "3104")
    await chat.text("/start")
    await chat.press("Tôi đồng ý")
    await chat.press("Gửi ý kiến mới")
    assert chat.said("Hiện chưa có hội nghị đối thoại nào đang nhận ý kiến")
    other = (await theirs.meetings.create(draft(clock, "Đối thoại Tân Hòa"), "cli:test")).meeting
    code = await submit_concern(Chat(theirs.intake, "3105"))
    concern = (await theirs.triage.view(code)).concern
    assert (concern.meeting_id, concern.unit_id) == (other.id, OTHER_UNIT)
    async with database.transaction() as connection:
        resident = await ResidentRepository(connection).get_or_create("test", "3105", "vi", clock.now())
        assert await ResidentRepository(connection, OTHER_UNIT).latest_consent(resident.id, "contact") is not None
        assert await ResidentRepository(connection).latest_consent(resident.id, "contact") is None


async def test_a_unit_cannot_file_a_concern_under_another_units_meeting(
    ours: Services, database: Database, clock: ManualClock
) -> None:
    mine = (await ours.meetings.create(draft(clock, "Đối thoại Phú Thọ"), "cli:test")).meeting
    async with database.transaction() as connection:
        author = await ResidentRepository(connection).get_or_create("telegram", "3102", "vi", clock.now())
        new = NewConcern(
            draft_key="d:1", meeting_id=mine.id, area_id="kp1-t1", topic_id="thoat-nuoc", text="Cống tắc",
            author_id=author.id, language="vi",
        )
        with pytest.raises(ValueError, match="not a meeting of unit"):
            await ConcernRepository(connection, OTHER_UNIT).submit(new, "TT", clock.now())
        stored = await ConcernRepository(connection).submit(new, "TT", clock.now())
    assert stored.unit_id == DEFAULT_UNIT_ID


async def test_the_schedule_of_a_unit_acts_on_its_meetings_only(ours: Services, theirs: Services, clock: ManualClock) -> None:
    mine = (await ours.meetings.create(draft(clock, "Đối thoại Phú Thọ"), "cli:test")).meeting
    other = (await theirs.meetings.create(draft(clock, "Đối thoại Tân Hòa"), "cli:test")).meeting
    our_keys = {a.key for a in await ours.schedule.actions()}
    their_keys = {a.key for a in await theirs.schedule.actions()}
    assert f"announce:{mine.id}" in our_keys and f"announce:{other.id}" not in our_keys
    assert f"announce:{other.id}" in their_keys and f"announce:{mine.id}" not in their_keys


async def test_consent_is_given_to_one_unit(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as connection:
        resident = await ResidentRepository(connection).get_or_create("telegram", "3103", "vi", clock.now())
        await ResidentRepository(connection).record_consent(resident.id, "contact", "v1", "Tôi đồng ý", True, clock.now())
        assert (await ResidentRepository(connection).latest_consent(resident.id, "contact")) is not None
        assert await ResidentRepository(connection, OTHER_UNIT).latest_consent(resident.id, "contact") is None
        assert await ResidentRepository(connection, OTHER_UNIT).consents(resident.id) == []


# --- a database from before units -------------------------------------------------------------


def _version_4_database(path: Path) -> None:
    """What a deployment had before migration 0005: a meeting, a concern, a consent, a digest sent."""
    folder = Path(storage.migrations.__file__).parent
    connection = sqlite3.connect(path)
    try:
        for script in sorted(folder.glob("000[1-4]_*.sql")):
            connection.executescript(script.read_text(encoding="utf-8"))
        connection.executescript(
            """
            PRAGMA user_version = 4;
            INSERT INTO residents (id, channel, channel_user_id, language, created_at)
                VALUES (1, 'telegram', '5001', 'vi', '2026-03-01T02:00:00+00:00');
            INSERT INTO consents (resident_id, purpose, text_version, text_shown, given, at)
                VALUES (1, 'contact', 'v1', 'Tôi đồng ý', 1, '2026-03-01T02:00:00+00:00');
            INSERT INTO meetings (id, title, area_id, starts_at, place, format, intake_opens_at, intake_closes_at,
                                  status, created_at, announced_at)
                VALUES (1, 'Đối thoại quý I', 'phu-tho', '2026-03-20T01:00:00+00:00', 'Hội trường', 'in_person',
                        '2026-03-01T00:00:00+00:00', '2026-03-15T00:00:00+00:00', 'announced',
                        '2026-03-01T00:00:00+00:00', '2026-03-01T00:00:00+00:00');
            INSERT INTO concerns (id, code, meeting_id, area_id, topic_id, text, author_id, language, submitted_at,
                                  draft_key, text_folded)
                VALUES (1, 'TT-0001', 1, 'kp1-t1', 'thoat-nuoc', 'Cống trước nhà bị tắc', 1, 'vi',
                        '2026-03-01T03:00:00+00:00', 'draft-1', 'cong truoc nha bi tac');
            INSERT INTO followers (concern_id, resident_id, role, since) VALUES (1, 1, 'author', '2026-03-01T03:00:00+00:00');
            INSERT INTO schedule_marks (key, at) VALUES ('followup:2026-03-02', '2026-03-02T01:00:00+00:00');
            INSERT INTO outbox (dedupe_key, channel, address, body, next_attempt_at, created_at)
                VALUES ('followup:2026-03-02', 'telegram', '-100', '{}', '2026-03-02T01:00:00+00:00',
                        '2026-03-02T01:00:00+00:00');
            """
        )
    finally:
        connection.close()


async def test_a_database_from_before_units_is_found_under_the_configs_unit(
    tmp_path: Path, settings: Settings, clock: ManualClock
) -> None:
    path = tmp_path / "v4.db"
    _version_4_database(path)
    database = await Database.open(path)
    try:
        # Through the newest migration (0007, the outbox heartbeat, at this writing).
        newest = max(int(p.name[:4]) for p in Path(storage.migrations.__file__).parent.glob("[0-9][0-9][0-9][0-9]_*.sql"))
        assert newest >= 7
        assert await database.migrate() == newest
        services = build_services(settings, database, clock)
        meeting = await services.meetings.get(1)
        assert meeting is not None and meeting.unit_id == settings.unit.id and meeting.title == "Đối thoại quý I"
        view = await services.triage.view("TT-0001")
        assert (view.concern.unit_id, view.concern.text, view.residents) == (settings.unit.id, "Cống trước nhà bị tắc", 1)
        async with database.transaction() as connection:
            consent = await ResidentRepository(connection, settings.unit.id).latest_consent(1, "contact")
            marks = await ScheduleMarks(connection).all()
        assert consent is not None and consent.given
        # The digest sent that day still counts as sent: it is not sent again.
        assert f"followup:{settings.unit.id}:2026-03-02" in marks
        outbox = await database.fetch_all("SELECT dedupe_key FROM outbox")
        assert [row[0] for row in outbox] == [f"followup:{settings.unit.id}:2026-03-02"]
    finally:
        await database.close()
