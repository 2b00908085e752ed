"""Builders for the library tests: a PDF with Russian text, an entry carrying files of every kind, a searched index."""
from __future__ import annotations

import io
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import (ConsentKind, Entry, EntryStatus, LibraryItem, LibraryStatus, Organisation, Region, Season,
                           User)
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services import search_sync
from portal.services.awards import award_entry
from portal.services.entry_states import transition
from portal.storage import get_storage
from search.query import FACET_NAMES, Query
from tests.factories import make_entry

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF_TEXT = "Методичка для сталеваров: наставник-мастер и ёмкий чек-лист 2024"


def _glyph(char: str) -> str:
    """The Adobe glyph name of a Cyrillic letter (afii10017 = А …, with Ё/ё between Е/е and Ж/ж)."""
    if char == "Ё":
        return "afii10023"
    if char == "ё":
        return "afii10071"
    code = ord(char)
    if not 0x410 <= code <= 0x44F:
        raise ValueError(f"no glyph for {char!r}")
    base, offset = (10017, code - 0x410) if code < 0x430 else (10065, code - 0x430)
    return f"afii{base + offset + (offset > 5)}"


def russian_pdf(text: str = PDF_TEXT) -> bytes:
    """A one-page PDF whose text (Cyrillic via a /Differences encoding of Helvetica) pypdf can extract."""
    codes: dict[str, int] = {}
    differences, shown = [], bytearray()
    for char in text:
        if ord(char) < 128:
            shown += char.encode("ascii")
            continue
        if char not in codes:
            codes[char] = 128 + len(codes)
            differences.append(f"{codes[char]} /{_glyph(char)}")
        shown.append(codes[char])
    stream = b"BT /F1 18 Tf 72 700 Td (" + bytes(shown) + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        ("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
         "/BaseEncoding /WinAnsiEncoding /Differences [" + " ".join(differences) + "] >> >>").encode("ascii"),
        f"<< /Length {len(stream)} >>\nstream\n".encode("ascii") + stream + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


# (file name, kind, content): the presentation and the description are public by default, the others are not.
ENTRY_FILES = (
    ("Презентация.pdf", "presentation", russian_pdf()),
    ("Описание практики.pdf", "description", russian_pdf("Описание: школа молодого рабочего")),
    ("Фото.png", "photo", PNG_BYTES),
    ("Приказ.pdf", "supporting", russian_pdf("Приказ о назначении наставников")),
)


def make_screened_entry(user: User, season: Season, *, organisation: Organisation | None, now: datetime,
                        code: str = "production", status: EntryStatus = EntryStatus.AWARDED,
                        tier: str | None = "winner", place: int | None = 1, consent: bool = True,
                        files=ENTRY_FILES, fields: dict | None = None) -> Entry:
    """A complete entry with `files` uploaded, submitted and moved to `status` (with its award when `tier`)."""
    entry = make_entry(user, season, code=code, organisation=organisation, complete=True, now=now)
    if fields:
        entry_service.update_entry(db.session, entry=entry, user=user, data=fields, now=now)
    for filename, kind, content in files:
        file_service.upload_file(db.session, entry=entry, user=user, stream=io.BytesIO(content), filename=filename,
                                 kind=kind, storage=get_storage(), config=current_app.config, now=now)
    db.session.refresh(entry)
    if not consent:
        entry_service.record_consent(db.session, entry=entry, user=user, kind=ConsentKind.PUBLICATION, given=False,
                                     now=now)
    if status == EntryStatus.DRAFT:
        db.session.flush()
        return entry
    entry_service.submit_entry(db.session, entry=entry, user=user, now=now)
    path = {
        EntryStatus.SUBMITTED: (),
        EntryStatus.WITHDRAWN: (EntryStatus.WITHDRAWN,),
        EntryStatus.ELIGIBLE: (EntryStatus.ELIGIBLE,),
        EntryStatus.INELIGIBLE: (EntryStatus.INELIGIBLE,),
        EntryStatus.IN_REVIEW: (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW),
        EntryStatus.SHORTLISTED: (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SHORTLISTED),
        EntryStatus.AWARDED: (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.AWARDED),
        EntryStatus.NOT_AWARDED: (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.NOT_AWARDED),
    }[status]
    for target in path:
        transition(db.session, entry=entry, target=target, actor=None, now=now)
    if status == EntryStatus.AWARDED and tier is not None:
        award_entry(db.session, entry=entry, tier=tier, place=place, user=None, now=now)
    db.session.flush()
    return entry


def found_ids(app, text: str = "", **filters) -> set[int]:
    """The ids the index returns for `text` and `filters` (every page)."""
    query = Query(text=text, filters={k: [v] if isinstance(v, str) else v for k, v in filters.items()})
    return set(search_sync.index_for(app).ids_matching(query))


def index_facets(app, text: str = "") -> dict[str, dict[str, int]]:
    """Facet counts from the index for a query, as {facet: {value: count}}."""
    results = search_sync.index_for(app).search(Query(text=text, per_page=1))
    return {facet: dict(results.facets.get(facet, [])) for facet in FACET_NAMES}


def db_facets(session) -> dict[str, dict[str, int]]:
    """The facet counts the published items in the database call for."""
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACET_NAMES}
    items = session.scalars(select(LibraryItem).where(LibraryItem.status == LibraryStatus.PUBLISHED.value)).all()
    districts = dict(session.execute(select(Region.code, Region.federal_district)).all())
    for item in items:
        values = {"nomination": item.nomination_code, "region": item.region_code, "year": str(item.year),
                  "form": item.mentoring_form, "award": item.award, "audience": item.audience,
                  "district": districts.get(item.region_code)}
        for facet, value in values.items():
            if value is not None:
                counts[facet][value] = counts[facet].get(value, 0) + 1
    return counts


def published_ids(session) -> set[int]:
    return set(session.scalars(select(LibraryItem.id).where(LibraryItem.status == LibraryStatus.PUBLISHED.value)))
