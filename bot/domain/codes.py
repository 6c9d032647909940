"""Tracking codes as residents and staff type them: 'tt 147', 'TT-0147', '147' all mean TT-0147."""

from __future__ import annotations


def format_code(prefix: str, concern_id: int) -> str:
    return f"{prefix}-{concern_id:04d}"


def normalise_code(text: str, prefix: str) -> str | None:
    cleaned = text.strip().upper().replace(" ", "").replace("-", "")
    if cleaned.startswith(prefix):
        cleaned = cleaned[len(prefix):]
    if not cleaned.isdecimal() or len(cleaned) > 9:
        return None
    return format_code(prefix, int(cleaned))
