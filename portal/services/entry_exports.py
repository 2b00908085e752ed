"""A season's entries and their files as tables, and the one writer of tables: CSV (UTF-8 with BOM, `;`, so Excel
opens Cyrillic) and XLSX. Read-only; the feature packages build their own tables and write them here."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Award, Entry, EntryFile, Nomination, Organisation, Region, Season, User
from portal.timefmt import MOSCOW
from portal.vocabularies import ENTRY_STATUSES, FILE_KINDS, award_title

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MOMENT = "%d.%m.%Y %H:%M"  # what a Russian Excel reads as a date and time


@dataclass(frozen=True)
class Sheet:
    """A table to write: a sheet title, column headers, rows of plain values (str, int, float, naive datetime,
    None) and optional XLSX column widths in characters."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[int] = ()


# --- the writer ---------------------------------------------------------------------------------------------------

def csv_cell(value) -> str:
    """A value as CSV text: decimal comma, Moscow date and time, formula-like text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, float):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime(CSV_MOMENT)
    return str(value)


def to_csv(sheet: Sheet) -> bytes:
    """The table as CSV: a BOM, `;` between cells, the header row first."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([csv_cell(h) for h in sheet.header])
    # Whole numbers and ordinary text go through as they are; the rest through csv_cell.
    writer.writerows([v if (kind := type(v)) is int or (kind is str and not v.startswith(FORMULA_STARTS))
                      else csv_cell(v) for v in row] for row in sheet.rows)
    return buffer.getvalue().encode("utf-8")


XLSX_TEXT_LIMIT = 32_767  # characters Excel holds in one cell
EXCEL_EPOCH = datetime(1899, 12, 30)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles: 0 plain, 1 bold (the header), 2 a date and time.
_STYLES = (f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
           'formatCode="dd.mm.yyyy hh:mm"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
           'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
           '<border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
           'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" '
           'fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" '
           'applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _xlsx_text(value: str) -> str:
    """Text as XML character data, cut at Excel's limit (characters XML cannot hold go with the whole row)."""
    value = value[:XLSX_TEXT_LIMIT]
    return escape(value) if "&" in value or "<" in value or ">" in value else value


def _xlsx_row(number: int, values: Sequence, columns: Sequence[str], style: str = "") -> str:
    """One `<row>`: text as inline strings (never a formula, whatever it starts with), numbers, dates; None left
    out."""
    cells = []
    for column, value in zip(columns, values):
        kind = type(value)
        if value is None:
            continue
        if kind is str:
            cells.append(f'<c r="{column}{number}"{style} t="inlineStr"><is><t xml:space="preserve">'
                         f'{_xlsx_text(value)}</t></is></c>')
        elif kind is datetime:
            cells.append(f'<c r="{column}{number}" s="2"><v>{(value - EXCEL_EPOCH).total_seconds() / 86400!r}</v></c>')
        elif kind is int or kind is float:
            cells.append(f'<c r="{column}{number}"{style}><v>{value!r}</v></c>')
        else:
            cells.append(f'<c r="{column}{number}"{style} t="inlineStr"><is><t xml:space="preserve">'
                         f'{_xlsx_text(str(value))}</t></is></c>')
    row = f'<row r="{number}">{"".join(cells)}</row>'
    return ILLEGAL_CHARACTERS_RE.sub("", row) if ILLEGAL_CHARACTERS_RE.search(row) else row


def _worksheet(sheet: Sheet, batch: int = 2000) -> Iterator[str]:
    """The worksheet's XML in pieces of `batch` rows: a frozen header row in bold, the column widths, the rows."""
    columns = [get_column_letter(i) for i in range(1, len(sheet.header) + 1)]
    yield (f'{_XML}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" '
           'topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
    if sheet.widths:
        yield "<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                 for i, w in enumerate(sheet.widths, start=1)) + "</cols>"
    yield "<sheetData>" + _xlsx_row(1, [str(h) for h in sheet.header], columns, ' s="1"')
    pieces = []
    for number, row in enumerate(sheet.rows, start=2):
        pieces.append(_xlsx_row(number, row, columns))
        if len(pieces) == batch:
            yield "".join(pieces)
            pieces.clear()
    yield "".join(pieces) + "</sheetData></worksheet>"


def to_xlsx(*sheets: Sheet) -> bytes:
    """The tables as one XLSX workbook (Office Open XML), a sheet each, with a bold frozen header row. Written
    directly, row by row: several times faster than building cells in openpyxl, and text is never a formula."""
    names = [escape(sheet.title[:31], {'"': "&quot;"}) for sheet in sheets]
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                        f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for i in range(1, len(sheets) + 1))
    parts = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default '
            'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
            'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
            'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'{overrides}</Types>'),
        "_rels/.rels": (f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" Type="{_RELS}/'
                        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
                            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                                      for i, name in enumerate(names, start=1)) + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_RELS}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": _STYLES,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, text in parts.items():
            package.writestr(name, text)
        for i, sheet in enumerate(sheets, start=1):
            with package.open(f"xl/worksheets/sheet{i}.xml", "w") as stream:
                for piece in _worksheet(sheet):
                    stream.write(piece.encode("utf-8"))
    return buffer.getvalue()


def moscow(moment: datetime | None) -> datetime | None:
    """An aware moment as naive Moscow time to the second, for a spreadsheet cell."""
    return None if moment is None else moment.astimezone(MOSCOW).replace(tzinfo=None, microsecond=0)


# --- entries and files --------------------------------------------------------------------------------------------

ENTRY_COLUMNS = [_l("№ заявки"), _l("Статус"), _l("Номинация"), _l("Название"), _l("Заявитель"), _l("ИНН"),
                 _l("Регион"), _l("Создана (МСК)"), _l("Подана (МСК)"), _l("Файлов"), _l("Награда")]
FILE_COLUMNS = [_l("№ заявки"), _l("Имя файла"), _l("Вид"), _l("Тип содержимого"), _l("Размер, байт"),
                _l("SHA-256"), _l("Загружен (МСК)")]


def entries_sheet(session: Session, *, season: Season, locale: str = "ru") -> Sheet:
    """Every entry of the season, one row each, in one query: the applicant is the organisation (short name) or,
    for an individual mentor, the person."""
    files = (select(EntryFile.entry_id, func.count().label("n")).join(Entry, Entry.id == EntryFile.entry_id)
             .where(Entry.season_id == season.id).group_by(EntryFile.entry_id).subquery())
    query = (select(Entry.id, Entry.status, Nomination.title_ru, Entry.title, Organisation.short_name,
                    Organisation.name, User.full_name, Organisation.inn, Region.name_ru, Entry.created_at,
                    Entry.submitted_at, func.coalesce(files.c.n, 0), Award.tier, Award.place)
             .join(Nomination, Nomination.id == Entry.nomination_id)
             .join(User, User.id == Entry.created_by_id)
             .outerjoin(Organisation, Organisation.id == Entry.organisation_id)
             .outerjoin(Region, Region.code == Entry.region_code)
             .outerjoin(Award, Award.entry_id == Entry.id)
             .outerjoin(files, files.c.entry_id == Entry.id)
             .where(Entry.season_id == season.id).order_by(Entry.id))
    statuses = {code: str(label) for code, label in ENTRY_STATUSES.items()}
    rows = [[entry_id, statuses.get(status, status), nomination, title, short_name or name or person, inn or "",
             region or "", moscow(created), moscow(submitted), n_files, award_title(tier, place, locale)]
            for (entry_id, status, nomination, title, short_name, name, person, inn, region, created, submitted,
                 n_files, tier, place) in session.execute(query)]
    return Sheet(str(_l("Заявки")), [str(c) for c in ENTRY_COLUMNS], rows,
                 widths=(10, 16, 36, 50, 40, 14, 28, 18, 18, 8, 24))


def files_sheet(session: Session, *, season: Season, locale: str = "ru") -> Sheet:
    """Every file attached to the season's entries, in one query, by entry and upload order."""
    query = (select(EntryFile.entry_id, EntryFile.filename, EntryFile.kind, EntryFile.content_type, EntryFile.size,
                    EntryFile.sha256, EntryFile.uploaded_at)
             .join(Entry, Entry.id == EntryFile.entry_id)
             .where(Entry.season_id == season.id).order_by(EntryFile.entry_id, EntryFile.id))
    kinds = {code: str(label) for code, label in FILE_KINDS.items()}
    rows = [[entry_id, filename, kinds.get(kind, kind), content_type, size, sha256, moscow(uploaded)]
            for entry_id, filename, kind, content_type, size, sha256, uploaded in session.execute(query)]
    return Sheet(str(_l("Файлы")), [str(c) for c in FILE_COLUMNS], rows, widths=(10, 40, 24, 28, 14, 66, 18))


def entry_counts(session: Session, *, season: Season) -> tuple[int, int]:
    """(entries, files) of the season."""
    entries = session.scalar(select(func.count()).select_from(Entry).where(Entry.season_id == season.id))
    files = session.scalar(select(func.count()).select_from(EntryFile).join(Entry, Entry.id == EntryFile.entry_id)
                           .where(Entry.season_id == season.id))
    return entries, files
