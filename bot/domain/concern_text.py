"""What makes a concern's words acceptable: one rule for every way a concern comes in (the chat's
text step, Open311's `description`), so a city portal and a resident are held to the same bar."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.textnorm import letter_count

# Fewer letters than this is not a sentence anyone can act on ("ok", "??", an emoji).
MIN_LETTERS = 3


class TextProblem(StrEnum):
    """Why a concern's text is refused; each value is the sentence's key in every surface's catalog."""

    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    NO_WORDS = "no_words"


def text_problem(text: str, min_chars: int, max_chars: int) -> TextProblem | None:
    if len(text) > max_chars:
        return TextProblem.TOO_LONG
    letters = letter_count(text)
    # A word too short ("hu") is short, not wordless: only text without letters lacks words.
    if letters and len(text) < min_chars:
        return TextProblem.TOO_SHORT
    if letters < MIN_LETTERS or len(text) < min_chars:
        return TextProblem.NO_WORDS
    return None
