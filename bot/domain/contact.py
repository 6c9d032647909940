"""A contact a resident gives to be called back: what a Vietnamese phone number and a name must be.
One rule for every way a concern comes in (the chat's contact step, Open311's `phone`/names)."""

from __future__ import annotations

import re

from bot.domain.textnorm import letter_count

_PHONE = re.compile(r"^(?:\+?84|0)(\d{9,10})$")
# A name has letters: "A." or "??" is not a name anyone can be called by.
MIN_NAME_LETTERS = 2


def normalise_phone(raw: str) -> str | None:
    """Vietnamese numbers as +84…; None if it does not look like one."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    match = _PHONE.match(digits)
    return None if match is None else "+84" + match.group(1)


def acceptable_name(name: str, max_chars: int) -> bool:
    return len(name) <= max_chars and letter_count(name) >= MIN_NAME_LETTERS
