"""Before the meeting: the announcement (thông báo) the law asks for at least 7 days ahead.

What it must say (time, place, content, format and how to attend) comes from the meeting as
staff set it up, and it tells residents how to send a concern through the bot while intake
is open. A DOCX in the administrative layout of Decree 30/2020, ready to number, sign, post
on the notice board and send to the heads of the residential groups. Pure functions from an
:class:`AnnouncementDocument` to bytes.
"""

from __future__ import annotations

from docx.shared import Pt

from bot.documents.records import AnnouncementDocument
from bot.documents.style import (
    document_filename,
    docx_body,
    docx_bytes,
    docx_official,
    docx_paragraph,
    docx_signed,
    docx_title,
)
from bot.documents.words import (
    as_sentence,
    committee_name,
    free_text,
    group_heads,
    plain_text,
    recipients,
    spoken_time,
    unit_kind,
)
from bot.domain.vocabulary import MeetingFormat

# The law: the announcement goes out at least this many days before the meeting.
NOTICE_DAYS = 7

_TITLE = "THÔNG BÁO"
NUMBER_LINE = "Số:        /TB-UBND"

# How residents take part, by the meeting's format.
_ATTENDING: dict[MeetingFormat, str] = {
    MeetingFormat.IN_PERSON: "Nhân dân đến dự trực tiếp tại địa điểm nêu trên.",
    MeetingFormat.ONLINE: (
        "Hội nghị tổ chức trực tuyến; Nhân dân theo dõi và tham gia tại địa điểm, điểm cầu nêu trên."
    ),
    MeetingFormat.HYBRID: (
        "Nhân dân đến dự trực tiếp tại địa điểm nêu trên hoặc theo dõi, tham gia tại các điểm cầu trực tuyến."
    ),
}


def announcement_docx(document: AnnouncementDocument) -> bytes:
    """The meeting's announcement as a DOCX (Decree 30/2020 layout)."""
    kind = unit_kind(document.unit_name, document.levels)
    committee = committee_name(document.unit_name)
    title = " ".join(free_text(document.meeting_title).split())
    doc = docx_official(
        f"Thông báo tổ chức hội nghị đối thoại - {title}", document.unit_name, document.generated_at,
        number_line=NUMBER_LINE,
    )
    docx_title(doc, _TITLE, f"Về việc tổ chức {_lower_first(title)}", ())
    docx_body(
        docx_paragraph(doc),
        [(
            f"Thực hiện quy định về thực hiện dân chủ ở cơ sở, {committee} thông báo tổ chức hội nghị "
            f"đối thoại giữa {_chair(document)} với Nhân dân như sau:",
            "",
        )],
    )
    for label, text in _points(document, kind):
        docx_body(docx_paragraph(doc), [(label, "b"), (text, "")])
    docx_body(docx_paragraph(doc), [("5. Gửi ý kiến, kiến nghị trước hội nghị: ", "b"), (_intake(document), "")])
    for line in _ways(document, committee):
        docx_body(docx_paragraph(doc), [(f"- {line}", "")])
    closing = docx_body(
        docx_paragraph(doc),
        [(f"{committee} thông báo để Nhân dân trên địa bàn {kind} biết, tham gia và gửi ý kiến, kiến nghị.", "")],
    )
    closing.paragraph_format.space_before = Pt(6)
    docx_signed(
        doc,
        document.chair_name,
        recipients(document.unit_name, document.levels, posted="Đăng tải trên các phương tiện thông tin, niêm yết"),
    )
    return docx_bytes(doc)


def _lower_first(title: str) -> str:
    """'Hội nghị đối thoại quý I/2026' -> 'hội nghị đối thoại quý I/2026' mid-sentence."""
    if title[:8].casefold() == "hội nghị":
        return title[0].lower() + title[1:]
    return f"hội nghị đối thoại: {title}" if title else "hội nghị đối thoại"


def _chair(document: AnnouncementDocument) -> str:
    # A title of office keeps its capitals mid-sentence: "… giữa Chủ tịch Ủy ban nhân dân phường …".
    return " ".join(plain_text(document.chair_title).split())


def _points(document: AnnouncementDocument, kind: str) -> list[tuple[str, str]]:
    """Time, place, format and how to attend, who takes part, what it is about."""
    topics = "; ".join(t for t in (" ".join(plain_text(x).split()) for x in document.topics) if t)
    content = "Chủ tịch Ủy ban nhân dân " + kind + " lắng nghe, đối thoại, giải đáp các ý kiến, kiến nghị của Nhân dân"
    content += f" về các lĩnh vực: {topics}." if topics else "."
    return [
        ("1. Thời gian: ", as_sentence(spoken_time(document.starts_at))),
        ("2. Địa điểm: ", as_sentence(" ".join(free_text(document.place).split()))),
        (
            "3. Hình thức: ",
            f"{as_sentence(plain_text(document.format_label).strip())} {_ATTENDING[document.format]}",
        ),
        (
            "4. Thành phần và nội dung: ",
            f"{_chair(document)} chủ trì; đại diện Ủy ban "
            f"Mặt trận Tổ quốc Việt Nam {kind}, các đoàn thể; {group_heads(document.levels).lower()} và "
            f"Nhân dân trên địa bàn. {content}",
        ),
    ]


def _intake(document: AnnouncementDocument) -> str:
    return (
        f"từ {spoken_time(document.intake_opens_at)} đến {spoken_time(document.intake_closes_at)}, "
        "Nhân dân gửi ý kiến, kiến nghị để tổng hợp trình hội nghị:"
    )


def _ways(document: AnnouncementDocument, committee: str) -> list[str]:
    """How a resident sends a concern: through the bot on each channel the unit runs."""
    channels = " hoặc ".join(plain_text(c).strip() for c in document.channels if plain_text(c).strip())
    ways = []
    if channels:
        ways.append(
            f"Nhắn tin cho tài khoản của {committee} trên {channels}: gõ /new (hoặc bấm “Gửi ý kiến”) và làm "
            "theo hướng dẫn; mỗi ý kiến được cấp một mã để theo dõi, và câu trả lời được gửi lại qua tin nhắn."
        )
    ways.append(f"Gửi trực tiếp tại Bộ phận Tiếp nhận và Trả kết quả của {committee}.")
    if document.page_url:
        ways.append(f"Xem thông báo này và kết quả trả lời sau hội nghị tại {document.page_url}.")
    return ways


def announcement_filename(document: AnnouncementDocument, extension: str = "docx") -> str:
    """A safe ASCII name: 'thong-bao-hoi-nghi-12-20261220.docx' (the meeting's date)."""
    return document_filename(f"Thông báo hội nghị {document.meeting_id}", document.starts_at, extension)
