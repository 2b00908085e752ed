"""RFC 6266 `Content-Disposition` values that survive any file name, Cyrillic included."""
from __future__ import annotations

import unicodedata
from urllib.parse import quote

_PATH_SEPARATORS = frozenset("/\\")
_FALLBACK_NAME = "file"


def _clean(filename: str) -> str:
    """The name without control characters and path separators (both would let a name escape its header or folder)."""
    kept = (ch for ch in filename if ch not in _PATH_SEPARATORS and unicodedata.category(ch) != "Cc")
    return "".join(kept).strip()


def _ascii_fallback(name: str) -> str:
    """`name` for old clients: non-ASCII characters become "_", double quotes are dropped."""
    return "".join(ch if ord(ch) < 128 else "_" for ch in name if ch != '"')


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded UTF-8>` for `filename`."""
    name = _clean(filename) or _FALLBACK_NAME
    fallback = _ascii_fallback(name).strip() or _FALLBACK_NAME
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
