"""Documents a ward can sign as they come out: the results notice and the 7-day announcement
in the administrative form (signature block, "Nơi nhận" that fits a phường or a xã), item
titles in whole words, and spreadsheets that print legibly. Every file is opened again."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet
from playwright.async_api import Browser

from bot.__main__ import main
from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.documents.agenda import agenda_xlsx
from bot.documents.announcement import announcement_docx
from bot.documents.records import AnnouncementDocument, ResultsDocument
from bot.documents.results import results_docx, results_xlsx
from bot.domain.records import Meeting
from bot.domain.textnorm import cut_at_word, short_phrase
from bot.domain.vocabulary import MeetingFormat
from bot.services.answers import AnswerInput
from bot.services.agenda import TITLE_CHARS, item_title
from storage.db import Database
from tests.chat import Chat, submit_concern
from tests.conftest import EXAMPLE_CONFIG, START
from tests.consolekit import STAFF_ID, Console, browser, console, log_in, needs_chromium, office_pc
from tests.system import needs_program
from tests.test_answers import prepared
from tests.test_export import DOCUMENT as AGENDA
from tests.test_results import RESULTS

__all__ = ["browser", "console"]

PHUONG = ("phường", "khu phố", "tổ dân phố")
XA_THON = ("xã", "thôn")
XA_AP = ("xã", "ấp")

ANNOUNCEMENT = AnnouncementDocument(
    unit_name="Phường Phú Thọ",
    chair_title="Chủ tịch Ủy ban nhân dân phường Phú Thọ",
    meeting_id=3,
    meeting_title="Hội nghị đối thoại quý I/2026",
    starts_at="20/03/2026 08:00",
    place="Hội trường UBND phường Phú Thọ, 1 Lữ Gia",
    format=MeetingFormat.HYBRID,
    format_label="Trực tiếp kết hợp trực tuyến",
    intake_opens_at="02/03/2026 09:00",
    intake_closes_at="17/03/2026 17:00",
    generated_at="05/03/2026 10:00",
    topics=("Giao thông, trật tự đô thị, vỉa hè", "Thoát nước, ngập úng"),
    channels=("Telegram", "Zalo"),
    levels=PHUONG,
    chair_name="Nguyễn Văn An",
)


def foot(data: bytes) -> tuple[list[str], list[str]]:
    """The last table of a document, the foot: its left and right cells' lines."""
    left, right = Document(io.BytesIO(data)).tables[-1].rows[0].cells
    return left.text.split("\n"), right.text.split("\n")


def body_texts(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


# --- The signature block and "Nơi nhận" ---------------------------------------------------------


def test_results_are_signed_for_the_committee_by_the_chair_with_room_to_sign() -> None:
    _, right = foot(results_docx(replace(RESULTS, chair_name="Nguyễn Văn An")))
    assert right[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert right[2:-1] and all(line == "" for line in right[2:-1])  # the room for the signature and seal
    assert right[-1] == "Nguyễn Văn An"
    paragraphs = Document(io.BytesIO(results_docx(RESULTS))).tables[-1].rows[0].cells[1].paragraphs
    assert all(run.bold for p in paragraphs[:2] for run in p.runs)
    # Without a name in the config the space is left for the name stamp; no hint is printed.
    _, unnamed = foot(results_docx(RESULTS))
    assert unnamed[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and all(line == "" for line in unnamed[2:])


@pytest.mark.parametrize(
    ("levels", "heads", "kind", "other"),
    [
        (PHUONG, "- Trưởng khu phố, tổ trưởng tổ dân phố (để thông báo đến Nhân dân);", "phường", "xã"),
        (XA_THON, "- Trưởng thôn (để thông báo đến Nhân dân);", "xã", "phường"),
        (XA_AP, "- Trưởng ấp (để thông báo đến Nhân dân);", "xã", "phường"),
    ],
)
def test_the_recipients_fit_the_unit(levels: tuple[str, ...], heads: str, kind: str, other: str) -> None:
    unit = "Phường Phú Thọ" if kind == "phường" else "Xã An Phú"
    results = replace(RESULTS, unit_name=unit, levels=levels)
    announcement = replace(ANNOUNCEMENT, unit_name=unit, levels=levels)
    for data in (results_docx(results), announcement_docx(announcement)):
        left, _ = foot(data)
        assert left[0] == "Nơi nhận:"
        assert heads in left
        assert f"- Thường trực Đảng ủy, Thường trực HĐND {kind};" in left
        assert left[-1] == "- Lưu: VT."
        assert any(f"trụ sở Ủy ban nhân dân {unit[0].lower()}{unit[1:]};" in line for line in left)
        assert not any(other in line for line in left)


async def test_the_services_pass_the_units_levels_and_chair(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    unit = settings.unit.model_copy(update={"name": "Xã An Phú", "levels": ["xã", "ấp"], "chair_name": "Lê Văn Tư"})
    services = build_services(settings.model_copy(update={"unit": unit}), database, clock)
    document = await services.agenda.announcement(meeting.id)
    assert (document.levels, document.chair_name) == (("xã", "ấp"), "Lê Văn Tư")
    left, right = foot(announcement_docx(document))
    assert "- Trưởng ấp (để thông báo đến Nhân dân);" in left and right[-1] == "Lê Văn Tư"
    assert not any("phường" in line for line in left)


async def test_the_results_report_of_a_commune_through_the_service(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    unit = settings.unit.model_copy(update={"name": "Xã An Phú", "levels": ["xã", "thôn"], "chair_name": "Lê Văn Tư"})
    services = build_services(settings.model_copy(update={"unit": unit}), database, clock)
    await prepared(services, clock, database)  # TT-0003 is merged into TT-0001
    for code, answer in (("TT-0001", "Đã thay bóng đèn."), ("TT-0002", "Đã nạo vét cống.")):
        await services.answers.record(code, AnswerInput("answered", answer, "Chủ tịch UBND xã"), "cli:test")
    document = await services.results.results_document(meeting.id)
    assert (document.levels, document.chair_name) == (("xã", "thôn"), "Lê Văn Tư")
    # The residents behind each concern count those of the concerns merged into it.
    assert {c.code: c.followers for e in document.entries for c in e.concerns} == {"TT-0001": 2, "TT-0002": 1}
    _, content = await services.results.export_results(meeting.id, "docx", "cli:test")
    left, right = foot(content)
    assert "- Trưởng thôn (để thông báo đến Nhân dân);" in left and right[-1] == "Lê Văn Tư"
    assert not any("phường" in line for line in left)


# --- The announcement ------------------------------------------------------------------------


def test_the_announcement_says_when_where_how_and_how_to_send_a_concern() -> None:
    data = announcement_docx(ANNOUNCEMENT)
    doc = Document(io.BytesIO(data))
    left, right = (cell.text for cell in doc.tables[0].rows[0].cells)
    assert left.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG PHÚ THỌ"]
    assert re.search(r"^Số: +/TB-UBND$", left, re.M)
    assert right.split("\n")[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert "Phú Thọ, ngày 05 tháng 3 năm 2026" in right
    texts = [t for t in body_texts(data) if t.strip()]
    assert texts[:2] == ["THÔNG BÁO", "Về việc tổ chức hội nghị đối thoại quý I/2026"]
    joined = "\n".join(texts)
    for expected in (
        "1. Thời gian: 08 giờ 00, ngày 20/03/2026.",
        "2. Địa điểm: Hội trường UBND phường Phú Thọ, 1 Lữ Gia.",
        "3. Hình thức: Trực tiếp kết hợp trực tuyến. Nhân dân đến dự trực tiếp",
        "Chủ tịch Ủy ban nhân dân phường Phú Thọ chủ trì",
        "trưởng khu phố, tổ trưởng tổ dân phố",
        "về các lĩnh vực: Giao thông, trật tự đô thị, vỉa hè; Thoát nước, ngập úng.",
        "5. Gửi ý kiến, kiến nghị trước hội nghị: từ 09 giờ 00, ngày 02/03/2026 đến 17 giờ 00, ngày 17/03/2026",
        "trên Telegram hoặc Zalo: gõ /new",
    ):
        assert expected in joined, expected
    _, signature = foot(data)
    assert signature[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and signature[-1] == "Nguyễn Văn An"


@pytest.mark.parametrize("fmt", list(MeetingFormat))
def test_each_format_says_how_to_attend(fmt: MeetingFormat) -> None:
    labels = {"in_person": "Trực tiếp", "online": "Trực tuyến", "hybrid": "Trực tiếp kết hợp trực tuyến"}
    document = replace(ANNOUNCEMENT, format=fmt, format_label=labels[fmt.value])
    line = next(t for t in body_texts(announcement_docx(document)) if t.startswith("3. Hình thức: "))
    assert line.startswith(f"3. Hình thức: {labels[fmt.value]}. ")
    line = line.removeprefix(f"3. Hình thức: {labels[fmt.value]}. ")  # how to attend
    assert ("trực tuyến" in line) == (fmt is not MeetingFormat.IN_PERSON)
    assert ("đến dự trực tiếp" in line) == (fmt is not MeetingFormat.ONLINE)


def test_without_a_chat_channel_the_announcement_still_says_where_to_send() -> None:
    joined = "\n".join(body_texts(announcement_docx(replace(ANNOUNCEMENT, channels=()))))
    assert "/new" not in joined and "Bộ phận Tiếp nhận và Trả kết quả" in joined


def test_the_announcement_hides_phone_numbers_in_the_meetings_words() -> None:
    data = announcement_docx(replace(ANNOUNCEMENT, place="Nhà văn hóa khu phố 2 (liên hệ 0903 123 456)"))
    assert "0903 123 456" not in "\n".join(body_texts(data))


def test_the_cli_writes_the_announcement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('path = "data/doithoai.db"', f'path = "{tmp_path / "cli.db"}"')
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")

    def run(*args: str) -> int:
        return main([*args[:2], "--config", str(config), *args[2:]], clock=ManualClock(START))

    assert run("meeting", "create", "--title", "Hội nghị đối thoại quý I/2026", "--starts", "20/03/2026 08:00",
               "--place", "Hội trường UBND phường Phú Thọ", "--format", "online") == 0
    capsys.readouterr()
    assert run("meeting", "notice", "1", "--out", str(tmp_path)) == 0
    written = tmp_path / "thong-bao-hoi-nghi-1-20260320.docx"
    assert f"wrote {written}" in capsys.readouterr().out
    joined = "\n".join(body_texts(written.read_bytes()))
    assert "08 giờ 00, ngày 20/03/2026" in joined and "Hình thức: Trực tuyến." in joined
    assert "trên Telegram: gõ /new" in joined  # Zalo is off in the example config


def test_the_announcement_gives_the_bots_address_and_the_meetings_page(tmp_path: Path) -> None:
    """Printed on the notice board, a link is what a resident can type: the bot's address and the
    public page where the results will be, from the config."""
    text = (EXAMPLE_CONFIG.read_text(encoding="utf-8")
            .replace('path = "data/doithoai.db"', f'path = "{tmp_path / "cli.db"}"')
            .replace('telegram_username = ""', 'telegram_username = "PhuThoDoiThoaiBot"')
            .replace('public_url = ""', 'public_url = "https://doithoai.phutho.example.vn"')
            .replace("[web]\n", "[web]\nenabled = true\n", 1).replace("enabled = false\n# Put it", "# Put it", 1))
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    run = lambda *args: main([*args[:2], "--config", str(config), *args[2:]], clock=ManualClock(START))  # noqa: E731
    assert run("meeting", "create", "--title", "Hội nghị đối thoại quý I/2026", "--starts", "20/03/2026 08:00",
               "--place", "Hội trường UBND phường Phú Thọ") == 0
    assert run("meeting", "notice", "1", "--out", str(tmp_path)) == 0
    joined = "\n".join(body_texts((tmp_path / "thong-bao-hoi-nghi-1-20260320.docx").read_bytes()))
    assert "trên Telegram (https://t.me/PhuThoDoiThoaiBot): gõ /new" in joined
    assert "https://doithoai.phutho.example.vn/public/meetings/1" in joined


@needs_chromium
async def test_the_console_downloads_the_announcement_from_the_meetings_page(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link(STAFF_ID))
    async with page.expect_download() as downloading:
        await page.click("#meeting-1 >> text=Văn bản thông báo (DOCX)")
    download = await downloading.value
    assert download.suggested_filename.startswith("thong-bao-hoi-nghi-1-")
    texts = body_texts(Path(await download.path()).read_bytes())
    assert "THÔNG BÁO" in texts
    assert await console.audit("announcement.export.docx") == [("web:telegram:100000002", "done")]


@needs_program("libreoffice", "libreoffice-writer-nogui")
@pytest.mark.parametrize("name", ["announcement", "results"])
def test_the_notices_convert_to_pdf(name: str, tmp_path: Path) -> None:
    source = tmp_path / f"{name}.docx"
    source.write_bytes(announcement_docx(ANNOUNCEMENT) if name == "announcement" else results_docx(RESULTS))
    subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=110,
    )
    assert source.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


# --- Titles in whole words -------------------------------------------------------------------

# Vietnamese words, spaces and the punctuation residents type; sometimes a long run of letters.
_WORDS = st.lists(
    st.one_of(
        st.sampled_from(["đề", "nghị", "tăng", "cường", "tuần", "tra", "hẻm", "48", "Tân", "Hóa", "đèn", "TT-0147"]),
        st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặ", min_size=1, max_size=12),
    ),
    min_size=1, max_size=40,
)
_GLUE = st.sampled_from([" ", " ", " ", ", ", ". ", "; ", ": ", "  ", "\n"])


@st.composite
def resident_texts(draw: st.DrawFn) -> str:
    words = draw(_WORDS)
    return "".join(word + (draw(_GLUE) if i < len(words) - 1 else "") for i, word in enumerate(words))


def assert_whole_words(text: str, cut: str, limit: int) -> None:
    flat = " ".join(text.split())
    assert len(cut) <= limit
    if cut == flat:
        return
    kept = cut[:-1] if cut.endswith("…") else cut
    assert flat.startswith(kept)
    first_word = flat.split(" ")[0]
    if len(first_word) >= limit:
        return  # a single word longer than the room: the only case a word may be cut
    # What follows the kept words in the text is not the rest of a word.
    assert kept and kept[-1] != " "
    assert not flat[len(kept)].isalnum(), (flat, cut)


@given(resident_texts(), st.integers(min_value=8, max_value=120))
def test_a_cut_never_ends_inside_a_word(text: str, limit: int) -> None:
    assert_whole_words(text, cut_at_word(text, limit), limit)
    assert_whole_words(text, short_phrase(text, limit), limit)


@given(resident_texts())
def test_an_automatic_title_is_a_short_phrase_in_whole_words(text: str) -> None:
    title = item_title(text)
    assert_whole_words(text, title, TITLE_CHARS)
    assert "\n" not in title


def test_the_title_that_reached_the_chair_cut_mid_word() -> None:
    text = (
        "Trộm cắp xe máy xảy ra nhiều lần trong hẻm 60 Lũy Bán Bích vào ban đêm, người dân rất lo lắng, "
        "đề nghị tăng cường tuần tra ban đêm."
    )
    title = item_title(text)
    assert not title.endswith("cườ…") and "tăng cườ" not in title.replace("tăng cường", "")
    # Too long for one phrase: it ends at the last clause that fits.
    assert title == "Trộm cắp xe máy xảy ra nhiều lần trong hẻm 60 Lũy Bán Bích vào ban đêm…"
    # A long first sentence ends the title with its full stop.
    assert item_title("Đèn hẻm 48 Tân Hóa hư đã hơn hai tháng nay, buổi tối rất tối và nguy hiểm. Đề nghị phường "
                      "sớm thay bóng đèn mới cho bà con.") == (
        "Đèn hẻm 48 Tân Hóa hư đã hơn hai tháng nay, buổi tối rất tối và nguy hiểm."
    )


async def test_a_title_stored_cut_mid_word_reaches_the_chair_in_whole_words(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting
) -> None:
    services = build_services(settings, database, clock)
    text = "Trộm cắp xe máy nhiều lần trong hẻm 160 Lũy Bán Bích, người dân lo lắng, đề nghị tăng cường tuần tra ban đêm."
    await submit_concern(Chat(services.intake, "9101", channel="telegram"), text)
    assert await services.agenda.build(meeting.id, "test") == 1
    # What the agenda stored before titles ended at a word: 89 characters and an ellipsis.
    old = text[:89].rstrip() + "…"
    assert old.endswith("tăng cườ…")
    await services.agenda.rename(meeting.id, 1, old, "test")
    title = (await services.agenda.document(meeting.id)).entries[0].title
    assert title == item_title(text) and "cườ…" not in title
    # A title staff wrote themselves is kept, ellipsis and all.
    await services.agenda.rename(meeting.id, 1, "Trộm cắp xe máy…", "test")
    assert (await services.agenda.document(meeting.id)).entries[0].title == "Trộm cắp xe máy…"


# --- Spreadsheets that print -----------------------------------------------------------------


def sheets() -> list[tuple[str, Worksheet]]:
    long_answer = "Phường đã làm việc với Công ty Chiếu sáng công cộng; " * 8
    results = replace(RESULTS, entries=(replace(RESULTS.entries[0], answer=long_answer), *RESULTS.entries[1:]))
    found = []
    for name, data in (("agenda", agenda_xlsx(AGENDA)), ("results", results_xlsx(results))):
        book = openpyxl.load_workbook(io.BytesIO(data))
        found += [(f"{name}:{sheet.title}", sheet) for sheet in book.worksheets]
    return found


@pytest.mark.parametrize(("name", "sheet"), sheets(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_sheet_prints_one_page_wide_with_its_header_on_each_page(name: str, sheet: Worksheet) -> None:
    setup = sheet.page_setup
    assert int(setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert (setup.fitToWidth, setup.fitToHeight, sheet.sheet_properties.pageSetUpPr.fitToPage) == (1, 0, True)
    assert sheet.print_title_rows in ("1:1", "$1:$1")
    width = sum(sheet.column_dimensions[cell.column_letter].width for cell in sheet[1])
    assert setup.orientation == ("landscape" if width > 100 else "portrait")
    assert "&P" in sheet.oddFooter.center.text


@pytest.mark.parametrize(("name", "sheet"), sheets(), ids=lambda value: value if isinstance(value, str) else "")
def test_wrapped_cells_get_rows_tall_enough_for_their_lines(name: str, sheet: Worksheet) -> None:
    for row in sheet.iter_rows():
        height = sheet.row_dimensions[row[0].row].height
        assert height is not None and height <= 409
        for cell in row:
            assert cell.alignment.wrap_text
            if cell.value is None:
                continue
            width = sheet.column_dimensions[cell.column_letter].width
            # At least the lines the text needs even if wrapping wasted nothing; 15 pt a line.
            needed = sum(-(-len(part) // int(width)) or 1 for part in str(cell.value).split("\n"))
            assert height >= min(needed * 15, 409), (name, cell.coordinate, height, needed)


def test_the_answer_sheet_leaves_room_to_write_the_answer() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(agenda_xlsx(AGENDA))).worksheets[0]
    assert all(sheet.row_dimensions[row].height >= 4 * 15 for row in range(2, sheet.max_row + 1))
