"""A concern's fields are declared once, in NewConcern: storing and carrying over follow from it."""

from __future__ import annotations

from dataclasses import MISSING, fields, replace

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import CARRY_OVER_KEEPS, CARRY_OVER_RESETS, Concern, NewConcern, carried_over
from storage.concerns import ConcernRepository
from storage.db import Database
from storage.residents import ResidentRepository
from tests.conftest import create_meeting

NEW_FIELDS = {field.name for field in fields(NewConcern)}


def test_every_field_is_either_carried_over_or_reset() -> None:
    unclassified = NEW_FIELDS - CARRY_OVER_KEEPS - CARRY_OVER_RESETS
    assert not unclassified, f"say whether carrying a concern over keeps or resets {sorted(unclassified)}"
    assert not CARRY_OVER_KEEPS & CARRY_OVER_RESETS
    assert CARRY_OVER_KEEPS | CARRY_OVER_RESETS == NEW_FIELDS  # and neither names a field that is gone


def test_a_stored_concern_has_every_field_a_carry_over_reads() -> None:
    assert CARRY_OVER_KEEPS <= {field.name for field in fields(Concern)}


def _full(meeting_id: int, author_id: int) -> NewConcern:
    """A concern with every field set to something other than its default."""
    return NewConcern(
        draft_key="draft:full",
        meeting_id=meeting_id,
        area_id="kp1-t1",
        topic_id="thoat-nuoc",
        text="Cống trước nhà số 12 bị tắc, mưa là ngập",
        author_id=author_id,
        language="en",
        contact_name="Nguyễn Văn An",
        contact_phone="0903123456",
        phone_verified=True,
        latitude=10.77,
        longitude=106.66,
        photos=("photo-1", "photo-2"),
        text_folded="cong truoc nha so 12 bi tac mua la ngap",
        proxy=True,
        carried_from=None,
    )


def test_the_example_concern_sets_every_field() -> None:
    # So that the tests below really cover a field added later, not its default.
    full = _full(1, 1)
    defaults = {f.name: f.default for f in fields(NewConcern) if f.default is not MISSING}
    left_at_default = [name for name, default in defaults.items() if getattr(full, name) == default and name != "carried_from"]
    assert not left_at_default, f"give {left_at_default} a value in _full()"


async def _submit(database: Database, clock: ManualClock, meeting_id: int, **changes: object) -> tuple[NewConcern, Concern]:
    async with database.transaction() as connection:
        author = await ResidentRepository(connection).get_or_create("telegram", "4242", "en", clock.now())
        new = replace(_full(meeting_id, author.id), **changes)
        return new, await ConcernRepository(connection).submit(new, "TT", clock.now())


async def test_the_insert_stores_every_field(database: Database, clock: ManualClock) -> None:
    meeting = await create_meeting(database, clock.now())
    _, first = await _submit(database, clock, meeting.id)
    # carried_from names an earlier concern, so the second one sets that field too.
    new, concern = await _submit(database, clock, meeting.id, draft_key="draft:again", carried_from=first.id)
    row = await database.fetch_one("SELECT * FROM concerns WHERE id = ?", (concern.id,))
    assert row is not None
    photos = await database.fetch_all("SELECT file_ref FROM concern_photos WHERE concern_id = ? ORDER BY position", (concern.id,))
    expected = {name: getattr(new, name) for name in NEW_FIELDS}
    stored = {name: row[name] for name in NEW_FIELDS - {"photos"}} | {"photos": tuple(p[0] for p in photos)}
    assert stored == expected
    # ... and every field but the draft key reads back into the record as it was given.
    read = NEW_FIELDS - {"draft_key"}
    assert {name: getattr(concern, name) for name in read} == {name: expected[name] for name in read}


def test_carried_over_copies_what_it_keeps_and_sets_the_rest() -> None:
    source = Concern(
        id=7, code="TT-0007", meeting_id=1, area_id="kp1-t1", topic_id="thoat-nuoc", text="Cống tắc", author_id=3,
        contact_name="An", contact_phone="0903123456", phone_verified=True, latitude=10.7, longitude=106.6,
        status="open", language="en", submitted_at=None, withdrawn_at=None, photos=("p",),  # type: ignore[arg-type]
        proxy=True, text_folded="cong tac",
    )
    copy = carried_over(source, meeting_id=2)
    assert {name: getattr(copy, name) for name in CARRY_OVER_KEEPS} == {name: getattr(source, name) for name in CARRY_OVER_KEEPS}
    assert (copy.meeting_id, copy.carried_from, copy.draft_key) == (2, 7, "carry:7:2")


async def test_carrying_over_keeps_every_kept_field(settings: Settings, database: Database, clock: ManualClock) -> None:
    services = build_services(settings, database, clock)
    first = await create_meeting(database, clock.now())
    later = await create_meeting(database, clock.now(), title="Hội nghị đối thoại quý II/2026", days_ahead=40, intake_days=30)
    _, source = await _submit(database, clock, first.id)
    carried = await services.carryover.carry_over(source.code, "cli:test", meeting_id=later.id)
    assert {name: getattr(carried, name) for name in CARRY_OVER_KEEPS} == {name: getattr(source, name) for name in CARRY_OVER_KEEPS}
    assert (carried.meeting_id, carried.carried_from) == (later.id, source.id)
