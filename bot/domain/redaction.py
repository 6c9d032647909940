"""The one redaction function: phone numbers and e-mail addresses masked in text shown to others.

Whatever a resident wrote is shown to someone other than its author only through `redact`:
to other residents (similar concerns, pushes to supporters), in group chats, documents and
public pages. The author sees their own text as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Vietnamese numbers as people type them: 0903 123 456, +84 90 312 3456, (028) 3855.1234 …
_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[.,])\(?(?:\+\s?84|0)[\s.\-)]{0,2}[235789](?:[\s.\-)]{0,2}\d){8,9}(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


@dataclass(frozen=True)
class Masks:
    """What stands in place of what was hidden, in the reader's language."""

    phone: str
    email: str


VIETNAMESE = Masks(phone="[số điện thoại đã ẩn]", email="[địa chỉ e-mail đã ẩn]")


def redact(text: str, masks: Masks = VIETNAMESE) -> str:
    """`text` with every phone number and e-mail address replaced by its mask."""
    return _PHONE.sub(masks.phone, _EMAIL.sub(masks.email, text))
