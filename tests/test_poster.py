"""The notice-board poster: an A4 PDF, printed to pixels (PDFium) and its QR codes read back
(ZXing) as a phone's camera would, to the bot on Telegram and Zalo and to the meeting's page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pypdfium2
import pytest
import zxingcpp

from bot.documents.poster import PosterFontMissing, find_fonts

from tests.publickit import TELEGRAM_BOT, ZALO_OA, Site, site

__all__ = ["site"]

A4_POINTS = (595, 842)  # 210 × 297 mm


async def poster(site: Site, query: str = "") -> bytes:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(f"{site.url}/public/meetings/1/poster.pdf{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def printed(content: bytes) -> tuple[set[str], str]:
    """What a phone reads off the printed page, and the page's text."""
    document = pypdfium2.PdfDocument(content)
    assert len(document) == 1
    page = document[0]
    assert tuple(round(side) for side in page.get_size()) == A4_POINTS
    image = page.render(scale=150 / 72).to_pil().convert("L")  # a 150 dpi print
    codes = {found.text for found in zxingcpp.read_barcodes(image)}
    return codes, page.get_textpage().get_text_range()


async def test_the_poster_codes_open_the_bot_and_the_meeting_page(site: Site) -> None:
    codes, text = printed(await poster(site))
    assert codes == {f"https://t.me/{TELEGRAM_BOT}", f"https://zalo.me/{ZALO_OA}", f"{site.url}/public/meetings/1"}
    for words in ("THÔNG BÁO", "Hội nghị đối thoại quý I/2026", "Hội trường UBND phường Phú Thọ", "Thời gian nhận ý kiến",
                  "Gửi ý kiến qua Zalo"):
        assert words in text, words


async def test_the_english_poster_points_to_the_english_page(site: Site) -> None:
    codes, text = printed(await poster(site, "?lang=en"))
    assert f"{site.url}/public/meetings/1?lang=en" in codes
    assert "NOTICE" in text and "Send a concern on Telegram" in text


def test_a_poster_font_that_is_not_there_is_named_by_its_key(tmp_path: Path) -> None:
    with pytest.raises(PosterFontMissing, match=r"\[public\] poster_font"):
        find_fonts(str(tmp_path / "missing.ttf"))
