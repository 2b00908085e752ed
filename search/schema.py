"""The Whoosh schema: one positional text field holding every part of a practice in its own position region, facet
fields, what snippets need (stored), and the columns the engine reads in bulk.

A practice becomes one Whoosh document. One text field rather than one per part keeps indexing cheap (Whoosh's cost
is per posting) while positions still tell the title from the body (see analysis.REGIONS) and give exact phrases.
"""
from __future__ import annotations

import re

from whoosh import columns, fields

from search.analysis import PART_BREAK, REGION_BREAK, MentoringAnalyzer, fold
from search.codec import CompactPositions
from search.documents import PracticeDoc

TEXT_FIELD = "text"
# Weight of a word by where it stands, in the order of analysis.REGIONS: title, keywords, summary, body, files.
REGION_WEIGHTS = (3.0, 2.0, 1.5, 1.0, 0.5)
FACETS = ("nomination", "region", "district", "year", "form", "award", "audience")
STORED_TEXTS = ("title", "summary", "keywords", "description", "results", "replicability", "files_text")
FILES_INDEXED_CHARS = 200_000   # of the extracted file text, this much is indexed
FILES_STORED_CHARS = 20_000     # and this much kept for snippets
TITLE_KEY_CHARS = 80
LEADING = re.compile(r"^[\W_]+")


def build_schema() -> fields.Schema:
    """A new schema (the analyser and the posting format are pickled into the index with it)."""
    text = fields.TEXT(analyzer=MentoringAnalyzer(), phrase=True)
    text.format = CompactPositions()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        pk=fields.COLUMN(columns.NumericColumn("q")),
        published=fields.COLUMN(columns.NumericColumn("q")),
        title_key=fields.COLUMN(columns.VarBytesColumn()),
        **{TEXT_FIELD: text},
        **{name: fields.ID() for name in FACETS},
        **{name: fields.STORED() for name in STORED_TEXTS})


def title_key(title: str) -> bytes:
    """What sorting by title compares: folded, quotes, marks and spaces at the start skipped."""
    key = LEADING.sub("", fold(title))
    return key[:TITLE_KEY_CHARS].encode("utf-8", "replace")


def clean(text: str | None) -> str:
    """Text safe to index and store: no lone surrogates, no region separators."""
    if not text:
        return ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    if REGION_BREAK in text or PART_BREAK in text:
        text = text.replace(REGION_BREAK, " ").replace(PART_BREAK, " ")
    return text


def to_fields(doc: PracticeDoc) -> dict:
    """The Whoosh document for one practice."""
    title, summary = clean(doc.title), clean(doc.summary)
    keywords = [clean(k) for k in doc.keywords if k and clean(k).strip()]
    description, results, replicability = clean(doc.description), clean(doc.results), clean(doc.replicability)
    files = clean(doc.files_text)[:FILES_INDEXED_CHARS]
    regions = (title, PART_BREAK.join(keywords), summary,
               PART_BREAK.join((description, results, replicability)), files)
    values = {
        "id": str(doc.id), "pk": int(doc.id), "published": _epoch(doc.published_at), "title_key": title_key(title),
        TEXT_FIELD: REGION_BREAK.join(regions),
        "title": title, "summary": summary, "keywords": "; ".join(keywords), "description": description,
        "results": results, "replicability": replicability, "files_text": files[:FILES_STORED_CHARS],
        "year": str(doc.year),
    }
    for facet in ("nomination", "region", "district", "form", "award", "audience"):
        value = getattr(doc, facet)
        if value:
            values[facet] = str(value)
    return values


def _epoch(moment) -> int:
    try:
        return int(moment.timestamp())
    except (AttributeError, ValueError, OverflowError, OSError):
        return 0
