"""Case-insensitive text search in SQL that works for Cyrillic on every database.

Neither SQLite's lower() nor PostgreSQL's under the C locale folds Cyrillic, so the search text becomes a regular
expression listing both cases of each letter (е and ё alike), everything else escaped. It runs through
`regexp_match`: PostgreSQL's `~`, and on SQLite the Python `re` function SQLAlchemy registers.
"""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement, or_

# Both spellings of these letters match each other in a search ("Семен" finds "Семён").
YO_LETTERS = "еЕёЁ"


def letter_class(char: str) -> str:
    """A regular-expression piece matching `char` in either case (е and ё alike), or `char` itself, escaped."""
    if char in YO_LETTERS:
        return "[" + YO_LETTERS + "]"
    lower, upper = char.lower(), char.upper()
    if lower != upper and len(lower) == len(upper) == 1:
        return f"[{lower}{upper}]"
    return re.escape(char)


def caseless_pattern(text: str) -> str:
    """A pattern that finds `text` in any case, in every alphabet."""
    return "".join(letter_class(char) for char in text)


def contains_caseless(*columns, text: str) -> ColumnElement[bool]:
    """True where any of `columns` contains `text`, whatever the case (ё = е)."""
    pattern = caseless_pattern(text)
    return or_(*(column.regexp_match(pattern) for column in columns))
