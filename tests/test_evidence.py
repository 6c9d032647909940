"""Evidence with answers in the services: the files taken and refused (with the sentence that
says why), the agency's final answer carrying a document, and the outbox sending each file once,
read from the evidence folder at the send (a file gone from it fails its row, saying so)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest

from bot.app import Services, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.evidence import DOCX, MAX_FILES, EvidenceKind, sniff
from bot.domain.messages import Document, Reply
from bot.outbox.delivery import TransientError
from bot.outbox.dispatcher import OutboxDispatcher
from bot.services.answers import AnswerError, AnswerInput
from bot.services.evidence import evidence_problems
from storage.db import Database
from storage.evidence import FOLDER
from tests.test_answers import outbox, prepared
from tests.test_console_evidence import PDF, PHOTO
from tests.test_zalo_outbox import ClockSleep

FORWARDED = AnswerInput("forwarded", "Đã chuyển Công ty thoát nước khảo sát.", "Chủ tịch UBND phường",
                        "Công ty TNHH MTV Thoát nước đô thị", date(2026, 3, 31))


def word_file(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    content = io.BytesIO()
    document.save(content)
    return content.getvalue()


class Recording:
    """A channel's sender that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, address: str, reply: Reply) -> None:
        self.sent.append((address, reply))


@pytest.fixture
def services(settings: Settings, database: Database, clock: ManualClock) -> Services:
    return build_services(settings, database, clock)


def test_files_are_told_apart_by_what_they_hold() -> None:
    letter = word_file("Công văn trả lời")
    assert sniff(PHOTO) == (EvidenceKind.PHOTO, "image/png")
    assert sniff(b"\xff\xd8\xff\xe0rest") == (EvidenceKind.PHOTO, "image/jpeg")
    assert sniff(PDF) == (EvidenceKind.DOCUMENT, "application/pdf")
    assert sniff(letter) == (EvidenceKind.DOCUMENT, DOCX)
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert sniff(other_zip.getvalue()) is None  # a spreadsheet is not a Word document
    assert sniff(b"GIF89a....") is None and sniff(b"MZ\x90\x00") is None


def test_refusals_say_which_file_and_why() -> None:
    big_photo = b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024)
    problems = evidence_problems([Document("anh.png", big_photo), Document("trong.pdf", b""),
                                  Document("bang.xlsx", b"PK\x03\x04....")], largest_photo=1024 * 1024)
    assert [str(p) for p in problems] == [
        "the file 'anh.png' is 1 MB, over the 1 MB allowed for its kind",
        "the file 'trong.pdf' is empty",
        "the file 'bang.xlsx' is not a photo (JPEG, PNG) or a document (PDF, DOCX), so it cannot be sent",
    ]
    assert evidence_problems([Document("anh.png", big_photo)], largest_photo=5 * 1024 * 1024) == []
    too_many = [Document(f"{n}.pdf", PDF) for n in range(MAX_FILES + 1)]
    assert [str(p) for p in evidence_problems(too_many, 5 * 1024 * 1024)] == [
        f"an answer takes at most {MAX_FILES} files, and {MAX_FILES + 1} were chosen"]


async def test_a_final_answer_carries_a_document_to_every_follower_once(
    services: Services, settings: Settings, meeting: object, clock: ManualClock, database: Database, tmp_path: Path,
) -> None:
    await prepared(services, clock, database)
    await services.answers.record("TT-0002", FORWARDED, "cli:test")
    await services.publishing.publish(1, "cli:test")
    letter = word_file("Công ty Thoát nước đã nạo vét xong tuyến cống ngày 5/4.")
    with pytest.raises(AnswerError, match="is not a photo"):
        await services.followup.finalise("TT-0002", "Đã nạo vét xong.", "cli:test", [Document("so-do.gif", b"GIF89a")])
    assert await outbox(database, "final:") == []
    await services.followup.finalise("TT-0002", "Đã nạo vét xong tuyến cống ngày 5/4.", "cli:test",
                                     [Document("C:\\Users\\vanthu\\cong-van 12/CV.docx", letter)])
    rows = await outbox(database, "final:1:2:")
    assert [key for key, _, _ in rows] == ["final:1:2:2", "final:1:2:2:file1"]
    file_row = rows[1][2]
    assert file_row.evidence is not None and file_row.evidence.filename == "CV.docx"  # no folders from the PC
    assert file_row.text == "A document with the answer to your concern TT-0002 (1/1)."  # John reads English
    shown = await services.evidence.files("TT-0002")
    assert [(stage, f.kind) for stage, f in shown] == [("final", "document")]

    sender = Recording()
    dispatcher = OutboxDispatcher(database, {"telegram": sender}, clock, settings.notify, sleep=ClockSleep(clock))
    await dispatcher.drain()
    sent_files = [reply for _, reply in sender.sent if reply.evidence is not None]
    assert [reply.evidence_content for reply in sent_files] == [letter]
    await services.publishing.publish(1, "cli:test")
    await dispatcher.drain()
    assert len([r for _, r in sender.sent if r.evidence is not None]) == 1  # once, however often published


async def test_a_file_gone_from_the_evidence_folder_fails_its_row_saying_so(
    services: Services, settings: Settings, meeting: object, clock: ManualClock, database: Database, tmp_path: Path,
) -> None:
    await prepared(services, clock, database)
    given = AnswerInput("answered", "Phường đã thay bóng đèn.", "Chủ tịch UBND phường",
                        evidence=(Document("anh.png", PHOTO),))
    await services.answers.record("TT-0001", given, "cli:test")
    await services.publishing.publish(1, "cli:test")
    for kept in (tmp_path / FOLDER).iterdir():
        kept.unlink()  # a restore without the folder, say
    sender = Recording()
    await OutboxDispatcher(database, {"telegram": sender}, clock, settings.notify, sleep=ClockSleep(clock)).drain()
    failed = await database.fetch_all("SELECT dedupe_key, last_error FROM outbox WHERE status = 'failed'")
    assert [(r["dedupe_key"].split(":")[-1], r["last_error"]) for r in failed] == [("file1", "evidence file missing")] * 2
    assert sender.sent and all(reply.evidence is None for _, reply in sender.sent)  # the answers' texts still went


class LosingTwice(Recording):
    """A network that loses the first text push twice: it is retried 1 s, then 2 s later, while the
    chat's pace would let the next push go after 1 s."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    async def send(self, address: str, reply: Reply) -> None:
        if reply.evidence is None and self.lost < 2:
            self.lost += 1
            raise TransientError("connection reset")
        await super().send(address, reply)


async def test_files_wait_for_their_answer_when_it_is_retried(
    services: Services, settings: Settings, meeting: object, clock: ManualClock, database: Database,
) -> None:
    await prepared(services, clock, database)
    given = AnswerInput("answered", "Đã khảo sát tuyến cống.", "Chủ tịch UBND phường",
                        evidence=(Document("anh.png", PHOTO), Document("bien-ban.pdf", PDF)))
    await services.answers.record("TT-0002", given, "cli:test")  # John's concern: one follower
    await services.publishing.publish(1, "cli:test")
    sender = LosingTwice()
    await OutboxDispatcher(database, {"telegram": sender}, clock, settings.notify, sleep=ClockSleep(clock),
                           random=lambda: 0.5).drain()  # no jitter: the retries come exactly 1 s and 2 s later
    to_john = [reply for address, reply in sender.sent if address == "702"]
    assert [r.evidence.filename if r.evidence else "answer" for r in to_john] == ["answer", "anh.png", "bien-ban.pdf"]
