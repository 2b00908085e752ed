"""Snippets: text HTML-escaped, the words matching the query wrapped in <mark>…</mark>, cut around the matches."""
from __future__ import annotations

from html import escape

from search.analysis import WORD, term_of

ELLIPSIS = "…"


def _spans(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    if not terms:
        return []
    return [m.span() for m in WORD.finditer(text) if term_of(m.group(0)) in terms]


def _window(text: str, spans: list[tuple[int, int]], size: int) -> tuple[int, int]:
    """The stretch of at most `size` characters holding the most matches, widened to word boundaries."""
    if len(text) <= size:
        return 0, len(text)
    if not spans:
        start = 0
    else:
        best, start, right = -1, 0, 0
        for left, (s, _) in enumerate(spans):
            right = max(right, left)
            while right + 1 < len(spans) and spans[right + 1][1] - s <= size:
                right += 1
            if right - left + 1 > best:
                best, start = right - left + 1, s
        start = max(0, start - size // 5)  # some words before the first match
    end = min(len(text), start + size)
    if start > 0:
        cut = text.find(" ", start, start + 20)
        start = cut + 1 if cut != -1 else start
    if end < len(text):
        cut = text.rfind(" ", max(start, end - 20), end)
        end = cut if cut != -1 else end
    return start, end


SCAN_CHARS = 10_000  # a long text is looked at this far for a fragment


def snippet(text: str, terms: frozenset[str], size: int | None = None) -> str:
    """`text` (or its best `size`-character stretch) as HTML, matches marked."""
    text = text or ""
    return _render(text, _spans(text, terms), size)


def _render(text: str, spans: list[tuple[int, int]], size: int | None) -> str:
    start, end = (0, len(text)) if size is None else _window(text, spans, size)
    out = [ELLIPSIS] if start > 0 else []
    position = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[position:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        position = e
    out.append(escape(text[position:end]))
    if end < len(text):
        out.append(ELLIPSIS)
    return "".join(out)


def highlights(stored: dict, terms: frozenset[str], *, title_chars: int = 300, summary_chars: int = 300,
               fragment_chars: int = 240, fields: tuple[str, ...] = ()) -> dict[str, str]:
    """The snippets of one practice: its title and summary always, and a fragment of the first other field (in
    `fields` order) where a word of the query appears."""
    title = stored.get("title") or ""
    found = {"title": snippet(title, terms, title_chars if len(title) > title_chars else None),
             "summary": snippet(stored.get("summary") or "", terms, summary_chars)}
    if terms:
        for name in fields:
            text = (stored.get(name) or "")[:SCAN_CHARS]
            spans = _spans(text, terms)
            if spans:
                found[name] = _render(text, spans, fragment_chars)
                break
    return found
