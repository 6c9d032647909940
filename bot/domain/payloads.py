"""Button payloads: short typed ids, built and parsed by one codec per family.

A payload travels through the platform and comes back from the resident's phone: it is never
trusted. Each family (resident step buttons, resident global buttons, staff buttons) owns a
prefix and builds its payloads through `join`, which checks the platforms' limit in one
place; `split` is the only place a payload is cut into its fields. Whoever receives a parsed
payload still re-checks who may do what to what.
"""

from __future__ import annotations

# Telegram's callback_data is 1-64 bytes; Zalo's postback payloads are held to the same.
MAX_PAYLOAD_BYTES = 64
SEPARATOR = ":"
# SQLite integers are signed 64-bit: a larger id names no record, and binding it would raise
# OverflowError inside a query instead of the refusal a forged button deserves.
MAX_RECORD_ID = 2**63 - 1


class PayloadTooLong(ValueError):
    """A button we built would be refused by the platform: a bug, never the resident's fault."""


def join(*fields: str | int) -> str:
    """One payload from its fields; a field may not contain the separator, except the last."""
    parts = [str(f) for f in fields]
    if any(SEPARATOR in part for part in parts[:-1]):
        raise ValueError(f"a payload field contains {SEPARATOR!r}: {parts!r}")
    payload = SEPARATOR.join(parts)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLong(f"payload of {len(payload.encode('utf-8'))} bytes: {payload[:20]!r}…")
    return payload


def split(payload: str, fields: int) -> list[str] | None:
    """The payload's first `fields` fields (the last keeps any separators), or None if it is not one."""
    if not payload or len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        return None
    parts = payload.split(SEPARATOR, fields - 1)
    return parts if len(parts) == fields else None


def record_id(field: str) -> int | None:
    """A field as a record id (decimal digits, at most what SQLite holds), or None if it cannot be one."""
    # isdecimal, as for every number a resident can send: '²' is not one, '３' is. The length
    # check first keeps int() from converting a long run of digits only to throw it away.
    if not field.isdecimal() or len(field) > len(str(MAX_RECORD_ID)):
        return None
    number = int(field)
    return number if number <= MAX_RECORD_ID else None
