"""The one vocabulary: every word has its label in both catalogs, and its rules hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

import pytest

from bot.config import LANGUAGES
from bot.domain.records import Answer
from bot.domain.vocabulary import (
    STORED_PHASES,
    ConcernStatus,
    Disposition,
    FollowerRole,
    MeetingFormat,
    Phase,
    Role,
)
from bot.services.answers import AnswerInput
from bot.text import Catalog

LABELLED: list[type[StrEnum]] = [Disposition, ConcernStatus, Phase, MeetingFormat, FollowerRole]
WORDS = [word for vocabulary in LABELLED for word in vocabulary]


@pytest.mark.parametrize("word", WORDS, ids=lambda word: f"{type(word).__name__}.{word.name}")
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_word_has_its_label_in_both_catalogs(word: StrEnum, language: str) -> None:
    catalog = Catalog.load()
    assert word.catalog_key in catalog.keys(language)  # type: ignore[attr-defined]
    assert catalog.t(language, word.catalog_key)  # type: ignore[attr-defined]


@pytest.mark.parametrize("word", [*ConcernStatus, *Phase], ids=lambda word: f"{type(word).__name__}.{word.name}")
@pytest.mark.parametrize("language", LANGUAGES)
def test_statuses_and_phases_read_in_refusals_in_both_catalogs(word: ConcernStatus | Phase, language: str) -> None:
    assert word.refusal_key in Catalog.load().keys(language)


def test_words_are_stored_and_compared_as_the_plain_words() -> None:
    assert Disposition.FORWARDED == "forwarded" and f"{Phase.INTAKE_OPEN}" == "intake_open"
    assert {"open": 1}[ConcernStatus.OPEN] == 1
    assert Role.GROUP_HEAD == "group_head" and FollowerRole.AUTHOR == "author"


def test_a_word_is_found_only_as_spelled() -> None:
    assert Disposition.of("forwarded") is Disposition.FORWARDED
    assert Disposition.of("Forwarded") is None and Disposition.of("sent away") is None
    assert MeetingFormat.of("hybrid") is MeetingFormat.HYBRID and MeetingFormat.of("zoom") is None
    # What the spreadsheet import accepts is more forgiving.
    assert Disposition.parse(" Forwarded ") is Disposition.FORWARDED
    assert MeetingFormat.listed() == "in_person, online, hybrid"
    assert Disposition.listed() == "answered, explained, forwarded, not_accepted"


def test_forwarded_needs_an_agency_and_a_due_date() -> None:
    assert {d for d in Disposition if d.needs_agency} == {Disposition.FORWARDED}
    assert {d for d in Disposition if d.needs_due_date} == {Disposition.FORWARDED}
    assert {d for d in Disposition if d.awaits_final_answer} == {Disposition.FORWARDED}
    today = date(2026, 3, 2)
    problems = AnswerInput("forwarded", "Chuyển Phòng Quản lý đô thị", "Chủ tịch").problems(today)
    assert [p.key for p in problems] == ["refusal.answer_agency_missing", "refusal.answer_due_missing"]
    for other in Disposition:
        if other is not Disposition.FORWARDED:
            assert AnswerInput(other, "Đã sửa", "Chủ tịch").problems(today) == []
    assert [p.key for p in AnswerInput("maybe", "x", "y").problems(today)] == ["refusal.answer_disposition"]


def test_only_a_forwarded_answer_waits_for_the_agency() -> None:
    at = datetime(2026, 3, 2, 2, 0)

    def answer(disposition: Disposition, final: str | None) -> Answer:
        return Answer(1, disposition, "…", "Chủ tịch", "Phòng", date(2026, 3, 10), at, "cli", final, None, None, 1)

    assert answer(Disposition.FORWARDED, None).awaiting_agency
    assert answer(Disposition.FORWARDED, None).overdue_on(date(2026, 3, 11))
    assert not answer(Disposition.FORWARDED, "Đã làm").awaiting_agency
    assert not answer(Disposition.ANSWERED, None).awaiting_agency


def test_phase_rules() -> None:
    assert {p for p in Phase if p.answerable} == {Phase.INTAKE_CLOSED, Phase.HELD, Phase.PUBLISHED}
    assert {p for p in Phase if p.final} == {Phase.HELD, Phase.PUBLISHED, Phase.CANCELLED}
    assert {p for p in Phase if p.held} == {Phase.HELD, Phase.PUBLISHED}
    assert {p for p in Phase if p.concluded} == {Phase.PUBLISHED, Phase.CANCELLED}
    assert {p for p in Phase if p.scheduled} == {Phase.ANNOUNCED, Phase.PUBLISHED}
    assert STORED_PHASES == {Phase.DRAFT, Phase.ANNOUNCED, Phase.PUBLISHED, Phase.CANCELLED}
    # Every phase a meeting can be in after it was held is final, and nothing final takes answers it could not.
    assert all(p.final for p in Phase if p.held)
    assert all(p.answerable for p in Phase if p.held)


def test_concern_status_rules() -> None:
    assert {s for s in ConcernStatus if s.reaches_meeting} == {ConcernStatus.OPEN, ConcernStatus.MERGED}
    assert {s for s in ConcernStatus if s.carriable} == {ConcernStatus.OPEN, ConcernStatus.CARRIED}
    assert {s for s in ConcernStatus if s.counted} == {ConcernStatus.OPEN, ConcernStatus.CARRIED}


def test_a_meetings_phase_follows_the_clock() -> None:
    from bot.domain.records import Meeting

    opens = datetime(2026, 3, 1, 0, 0)
    meeting = Meeting(
        id=1, title="Đối thoại", area_id="phu-tho", starts_at=opens + timedelta(days=10), place="Hội trường",
        format=MeetingFormat.IN_PERSON, intake_opens_at=opens, intake_closes_at=opens + timedelta(days=8),
        status=Phase.ANNOUNCED, created_at=opens - timedelta(days=1),
    )
    assert meeting.phase(opens - timedelta(hours=1)) is Phase.ANNOUNCED
    assert meeting.phase(opens) is Phase.INTAKE_OPEN and meeting.accepts_concerns_at(opens)
    assert meeting.phase(opens + timedelta(days=9)) is Phase.INTAKE_CLOSED
    assert meeting.phase(opens + timedelta(days=10)) is Phase.HELD
