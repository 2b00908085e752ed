"""Ids that arrive as text (query strings, form fields, JSON): digits only and short enough for an integer column, so a
long number is "no such object" instead of an overflow on PostgreSQL."""
from __future__ import annotations

MAX_ID_DIGITS = 9


def parse_id(raw) -> int | None:
    """An id from a request value (a string, or an int from JSON); None when absent, malformed or out of range."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < 10 ** MAX_ID_DIGITS else None
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.isdecimal() and len(text) <= MAX_ID_DIGITS else None
