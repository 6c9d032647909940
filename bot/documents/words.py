"""Text as the documents write it: free text made safe to print, sentences, dates and times
in words, the unit's name in the header and mid-sentence.

Plain functions from text to text, shared by every document (and by the answer import, which
cleans what it reads the same way the export cleaned what it wrote).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from bot.domain.redaction import VIETNAMESE, redact

# What a phone number in free text becomes in every document.
PHONE_PLACEHOLDER = VIETNAMESE.phone

# --- Text hygiene -------------------------------------------------------------------------

# Characters XML 1.0 (and so DOCX and XLSX) cannot hold.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def plain_text(text: object) -> str:
    """NFC, and nothing an Office file cannot store."""
    return _XML_ILLEGAL.sub("", unicodedata.normalize("NFC", str(text)))


def free_text(text: str) -> str:
    """Free text from residents or staff: plain, without phone numbers or e-mail addresses."""
    return redact(plain_text(text))


# Between the areas of one item, in a line or a cell: area names contain commas themselves.
AREA_SEPARATOR = "; "


def as_sentence(text: str) -> str:
    """Text ending in one full stop (none added after '.', '!', '?', '…')."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", "…")) else text + "."


# --- Dates and times as the documents write them --------------------------------------------

_DATE_TIME = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?\s*$")


def date_parts(value: str) -> tuple[int, int, int, int | None, int | None] | None:
    """'20/12/2026 08:00' -> (20, 12, 2026, 8, 0); the time is optional; None if not a date."""
    match = _DATE_TIME.match(value)
    if match is None:
        return None
    day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    hour = int(match.group(4)) if match.group(4) is not None else None
    minute = int(match.group(5)) if match.group(5) is not None else None
    return day, month, year, hour, minute


def day_of(text: str | None) -> date | None:
    """The calendar day of 'dd/mm/yyyy[ HH:MM]'; None if there is none or it does not exist."""
    parts = date_parts(text) if text else None
    if parts is None:
        return None
    try:
        return date(parts[2], parts[1], parts[0])
    except ValueError:
        return None


def day_text(text: str | None) -> str:
    """'15/01/2027 10:00' -> '15/01/2027'; anything that is not a date as it is."""
    day = day_of(text)
    return day.strftime("%d/%m/%Y") if day is not None else plain_text(text or "").strip()


def long_date(value: str) -> str:
    """'05/12/2026 16:30' -> 'ngày 05 tháng 12 năm 2026' (Decree 30/2020: months 1-2 as 01, 02)."""
    parts = date_parts(value)
    if parts is None:
        return "ngày … tháng … năm …"
    day, month, year, _, _ = parts
    month_text = f"{month:02d}" if month < 3 else str(month)
    return f"ngày {day:02d} tháng {month_text} năm {year}"


def spoken_time(value: str) -> str:
    """'20/12/2026 08:00' -> '08 giờ 00, ngày 20/12/2026'; anything else as it is."""
    parts = date_parts(value)
    if parts is None:
        return plain_text(value).strip()
    day, month, year, hour, minute = parts
    date_words = f"ngày {day:02d}/{month:02d}/{year}"
    if hour is None:
        return date_words
    return f"{hour:02d} giờ {minute:02d}, {date_words}"


def duration(minutes: int) -> str:
    """90 -> '90 phút (1 giờ 30 phút)'; under an hour just the minutes."""
    if minutes < 60:
        return f"{minutes} phút"
    hours, rest = divmod(minutes, 60)
    spoken = f"{hours} giờ" + (f" {rest} phút" if rest else "")
    return f"{minutes} phút ({spoken})"


# --- The unit's name ------------------------------------------------------------------------

UNIT_KINDS = ("phường", "xã", "đặc khu", "thị trấn")


def place_name(unit_name: str) -> str:
    """The place before the date line: 'Phường Phú Thọ' -> 'Phú Thọ'; 'Phường 5' stays."""
    name = " ".join(plain_text(unit_name).split())
    for kind in UNIT_KINDS:
        if name.casefold().startswith(kind + " "):
            rest = name[len(kind) + 1 :].strip()
            if rest and not rest[0].isdigit():
                return rest
    return name


def committee_name(unit_name: str) -> str:
    """'Phường Phú Thọ' -> 'Ủy ban nhân dân phường Phú Thọ' (the kind in lower case mid-sentence)."""
    name = " ".join(plain_text(unit_name).split())
    for kind in UNIT_KINDS:
        if name.casefold().startswith(kind + " "):
            name = kind + name[len(kind) :]
            break
    return f"Ủy ban nhân dân {name}"


def unit_kind(unit_name: str, levels: Sequence[str]) -> str:
    """What the unit is, in lower case: the config's first level name ('phường', 'xã'), else
    the kind its name starts with, else 'địa phương'."""
    if levels and levels[0].strip():
        return " ".join(plain_text(levels[0]).split()).lower()
    name = " ".join(plain_text(unit_name).split()).casefold()
    return next((kind for kind in UNIT_KINDS if name.startswith(kind + " ")), "địa phương")


def group_heads(levels: Sequence[str]) -> str:
    """The heads of the levels below the unit, as a recipients' line names them:
    ('phường', 'khu phố', 'tổ dân phố') -> 'Trưởng khu phố, tổ trưởng tổ dân phố';
    ('xã', 'thôn') -> 'Trưởng thôn'; ('xã', 'ấp') -> 'Trưởng ấp'."""
    heads = []
    for level in levels[1:]:
        name = " ".join(plain_text(level).split()).lower()
        if name:
            # A group ('tổ dân phố', 'tổ nhân dân') has a 'tổ trưởng'; a village or quarter a 'trưởng'.
            heads.append(("tổ trưởng " if name.startswith("tổ ") else "trưởng ") + name)
    line = ", ".join(heads) or "trưởng các khu dân cư"
    return line[0].upper() + line[1:]


def recipients(unit_name: str, levels: Sequence[str], *, posted: str) -> tuple[str, ...]:
    """'Nơi nhận' of a notice to the people of the unit (Decree 30/2020, bottom left): the
    unit's leadership, the heads of its residential groups, where it is posted, the archive."""
    kind = unit_kind(unit_name, levels)
    return (
        f"- Thường trực Đảng ủy, Thường trực HĐND {kind};",
        f"- Chủ tịch, các Phó Chủ tịch UBND {kind};",
        f"- Ban Thường trực Ủy ban MTTQ Việt Nam {kind};",
        f"- {group_heads(levels)} (để thông báo đến Nhân dân);",
        f"- {posted} tại trụ sở {committee_name(unit_name)};",
        "- Lưu: VT.",
    )
