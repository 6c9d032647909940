"""Cleaning what residents type, and folding it for search.

Phones send Vietnamese precomposed (NFC) or decomposed (NFD); copy-paste brings zero-width
and direction marks. Everything is stored NFC and cleaned; search ignores accents and case.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """NFC, no control or invisible characters, tidy spaces; keeps line breaks."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    # Control (Cc) and format (Cf: zero-width, bidi marks, tags…) characters are invisible or worse.
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def letter_count(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


def fold(text: str) -> str:
    """Lower case without diacritics: 'Đèn hẻm 48 Tân Hóa' -> 'den hem 48 tan hoa'."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(re.findall(r"\w+", stripped))


def label_key(text: str) -> str:
    """What a typed button label is compared by: no accents, case, spaces, emoji or punctuation,
    so "bo qua vi tri", "BỎ QUA VỊ TRÍ" and "Bỏ qua  vị trí" all press "Bỏ qua vị trí"."""
    return fold(text).replace(" ", "")


def split_text(text: str, limit: int) -> list[str]:
    """Channels refuse messages over a length (Telegram 4096, Zalo 2000): split on line breaks where possible."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        chunks.append(rest)
    return chunks
