"""The notice-board poster of a meeting: one A4 page with the announcement and QR codes that open
the bot (Telegram, Zalo) and the meeting's public page, for the ward office's board and the
heads of residential groups to print.

A PDF drawn with fpdf2 (pure Python): text in a TrueType font with Vietnamese letters, QR codes
from segno drawn as vector squares so that they stay sharp at any printer's resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

# Debian's DejaVu (fonts-dejavu-core, which fontconfig and so Chromium and LibreOffice pull in).
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
MARGIN = 15.0  # mm
QR_SIZE = 48.0  # mm: scans from a metre or so off a notice board


class PosterFontMissing(Exception):
    """No font with Vietnamese letters was found; the message names where it was looked for."""


@dataclass(frozen=True)
class PosterCode:
    """One QR code and the words printed under it."""

    url: str
    label: str


@dataclass(frozen=True)
class Poster:
    unit_name: str
    heading: str  # "THÔNG BÁO"
    title: str
    lines: tuple[tuple[str, str], ...]  # (label, value): time, place, format, how to attend, intake
    invitation: str  # how to send a concern, in a sentence
    codes: tuple[PosterCode, ...]
    footer: str


def find_fonts(configured: str = "") -> tuple[Path, Path]:
    """The regular and bold font files: the configured file (for both), else DejaVu Sans."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise PosterFontMissing(f"[public] poster_font: {configured} is not a file")
        return path, path
    regular, bold = DEJAVU / REGULAR, DEJAVU / BOLD
    if not regular.is_file():
        raise PosterFontMissing(f"no font for the poster: {regular} is missing (apt-get install fonts-dejavu-core, "
                                "or set [public] poster_font to a TTF file with Vietnamese letters)")
    return regular, bold if bold.is_file() else regular


def poster_pdf(poster: Poster, fonts: tuple[Path, Path]) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_creator("doithoai")
    pdf.set_title(poster.title)
    pdf.add_font("body", "", str(fonts[0]))
    pdf.add_font("body", "B", str(fonts[1]))
    pdf.add_page()
    width = pdf.w - 2 * MARGIN
    pdf.set_font("body", "B", 13)
    pdf.multi_cell(width, 6, poster.unit_name.upper(), align="C")
    pdf.ln(6)
    pdf.set_font("body", "B", 30)
    pdf.multi_cell(width, 13, poster.heading, align="C")
    pdf.ln(2)
    pdf.set_font("body", "B", 17)
    pdf.multi_cell(width, 8.5, poster.title, align="C")
    pdf.ln(6)
    for label, value in poster.lines:
        pdf.set_font("body", "B", 13)
        pdf.multi_cell(width, 6.5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("body", "", 13)
        pdf.multi_cell(width, 6.5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(3)
    pdf.set_font("body", "B", 14)
    pdf.multi_cell(width, 7, poster.invitation, align="C")
    _codes(pdf, poster.codes, max(pdf.get_y() + 6, pdf.h - MARGIN - QR_SIZE - 32))
    pdf.set_font("body", "", 9)
    pdf.set_xy(MARGIN, pdf.h - MARGIN - 5)
    pdf.multi_cell(width, 4.5, poster.footer, align="C")
    return bytes(pdf.output())


def _codes(pdf: FPDF, codes: tuple[PosterCode, ...], top: float) -> None:
    """The QR codes side by side, each with its label and address under it."""
    if not codes:
        return
    slot = (pdf.w - 2 * MARGIN) / len(codes)
    for index, code in enumerate(codes):
        left = MARGIN + index * slot + (slot - QR_SIZE) / 2
        _qr(pdf, code.url, left, top, QR_SIZE)
        pdf.set_xy(MARGIN + index * slot, top + QR_SIZE + 2)
        pdf.set_font("body", "B", 10)
        pdf.multi_cell(slot, 5, code.label, align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_font("body", "", 8)
        pdf.multi_cell(slot, 4, code.url, align="C")


def _qr(pdf: FPDF, url: str, left: float, top: float, size: float) -> None:
    """A QR code as black squares, with the quiet zone of four modules the standard asks for."""
    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    modules = len(matrix) + 8
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            start = column
            while column < len(line) and line[column]:
                column += 1
            # One rectangle per run of dark modules: fewer shapes, no hairline gaps between them.
            pdf.rect(left + (start + 4) * step, top + (row + 4) * step, (column - start) * step, step, style="F")
