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


# Where a sentence, or else a clause, ends inside a line: an automatic title may stop there.
_SENTENCE_ENDS = (". ", "! ", "? ")
_CLAUSE_ENDS = ("; ", ": ", ", ")
_DANGLING = " ,;:-–—(/"


def cut_at_word(text: str, limit: int, ellipsis: str = "…") -> str:
    """The text on one line in at most `limit` characters: whole, or its words that fit and
    an ellipsis. A word is cut only when the first one alone is longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = max(limit - len(ellipsis), 0)
    # flat[room] is the first character left out: a space there means flat[:room] ends a word.
    space = flat.rfind(" ", 0, room + 1)
    words = flat[:space].rstrip(_DANGLING) if space > 0 else ""
    return (words or flat[:room]) + ellipsis


def short_phrase(text: str, limit: int) -> str:
    """A title made from a resident's text: all of it when it fits, else its opening phrase
    ended at a word boundary — at the end of a sentence (kept with its full stop) or else of a
    clause when one falls in the second half of the room, else after the last whole word."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = cut_at_word(flat, limit)
    head = cut[:-1]
    sentence = max(head.rfind(mark) for mark in _SENTENCE_ENDS)
    if sentence >= limit // 2:
        return head[: sentence + 1]
    clause = max(head.rfind(mark) for mark in _CLAUSE_ENDS)
    if clause >= limit // 2:
        return head[:clause].rstrip(_DANGLING) + "…"
    return cut
