"""Inviting jurors from a CSV file: `email;full_name;position;workplace;inn;region`, a header first, at most
MAX_ROWS lines. Valid lines are invited (or their open invitation re-sent), bad ones reported as «строка N: …»;
a dry run checks everything and writes nothing."""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import validators
from portal.models import Region, User
from portal.services import audit
from portal.services.accounts import normalise_email
from portal.services.errors import ServiceError, ValidationFailed
from reviewers.models import AffiliationKind
from reviewers.services.invitations import (check_invitable, invite_juror, lookup, normalise_region_code,
                                             split_values)

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
TEMPLATE_HEADER = ("email", "full_name", "position", "workplace", "inn", "region")
REQUIRED_COLUMNS = ("email", "full_name")
TEMPLATE_EXAMPLE = ("ivanova@example.ru", "Иванова Мария Петровна", "доцент кафедры педагогики",
                    "Тверской государственный университет", "7707083893 | 7736207543", "69 | 77")
INVITED, RESENT, SKIPPED = "invited", "resent", "skipped"


@dataclass
class LineResult:
    """What happened to one line of the file (or would happen, in a dry run)."""

    line: int
    email: str
    full_name: str
    outcome: str
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    dry_run: bool
    lines: list[LineResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def invited(self) -> int:
        return self.count(INVITED)

    @property
    def resent(self) -> int:
        return self.count(RESENT)

    @property
    def skipped(self) -> int:
        return self.count(SKIPPED)

    @property
    def problems(self) -> list[str]:
        return [message for line in self.lines for message in line.problems]


def template_csv() -> bytes:
    """The file to fill in: a BOM (so Excel opens Cyrillic), the header and an example line, `;` between cells."""
    return ("\ufeff" + ";".join(TEMPLATE_HEADER) + "\r\n" + ";".join(TEMPLATE_EXAMPLE) + "\r\n").encode("utf-8")


# --- reading ----------------------------------------------------------------------------------------------------------

def _refuse(message: str):
    raise ValidationFailed(message, {"file": message})


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM, else Windows-1251 (what a Russian Excel saves)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError:
        _refuse(_("Не удалось прочитать файл: сохраните его как CSV в кодировке UTF-8."))


def read_rows(data: bytes) -> list[tuple[int, dict[str, str], list[str]]]:
    """(line number, cells by column, problems of the line's shape) for each non-empty line after the header.
    The delimiter is `;`, or `,` when the header uses it. Refuses a file without the header or with too many lines."""
    if len(data) > MAX_BYTES:
        _refuse(_("Файл больше %(mb)d МБ: разделите его на части.", mb=MAX_BYTES // (1024 * 1024)))
    text = decode(data)
    if not text.strip():
        _refuse(_("Файл пуст."))
    if "\x00" in text:  # a spreadsheet or UTF-16 text, not a CSV (and PostgreSQL keeps no NUL in a text column)
        _refuse(_("Это не CSV-файл: сохраните таблицу как «CSV UTF-8 (разделитель — точка с запятой)»."))
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if ";" in first_line or "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        names = [name.strip().lower() for name in header]
        unknown = [name for name in names if name not in TEMPLATE_HEADER]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if unknown or missing or len(set(names)) != len(names):
            _refuse(_("Первая строка файла — заголовок со столбцами %(columns)s (обязательны email и full_name).",
                      columns=";".join(TEMPLATE_HEADER)))
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                _refuse(_("В файле больше %(n)d строк: разделите его на части.", n=MAX_ROWS))
            problems = []
            if any(cell.strip() for cell in cells[len(names):]):
                problems.append(_("строка %(n)d: значений больше, чем столбцов в заголовке (%(columns)d).",
                                  n=reader.line_num, columns=len(names)))
            rows.append((reader.line_num, {name: cell.strip() for name, cell in zip(names, cells)}, problems))
    except csv.Error as exc:
        _refuse(_("строка %(n)d: файл повреждён (%(error)s).", n=reader.line_num, error=str(exc)))
    return rows


# --- checking and inviting --------------------------------------------------------------------------------------------

def _check_line(number: int, cells: dict[str, str], *, regions: set[str], seen: dict[str, int],
                problems: list[str]) -> tuple[str, list[dict]]:
    """The line's e-mail and validated ties; adds «строка N: …» problems."""
    raw_email = cells.get("email", "")
    email = normalise_email(raw_email)
    if not email:
        problems.append(_("строка %(n)d: не указан адрес электронной почты.", n=number))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(_("строка %(n)d: неверный адрес электронной почты «%(email)s».", n=number,
                              email=raw_email))
        else:
            if email in seen:
                problems.append(_("строка %(n)d: адрес %(email)s уже есть в строке %(first)d.", n=number,
                                  email=email, first=seen[email]))
            else:
                seen[email] = number
    if not cells.get("full_name"):
        problems.append(_("строка %(n)d: не указаны ФИО.", n=number))
    affiliations: list[dict] = []
    for value in split_values(cells.get("inn", "")):
        inn = validators.normalise_digits(value)
        problem = validators.inn_error(inn)
        if problem:
            problems.append(_("строка %(n)d: ИНН «%(inn)s» — %(problem)s.", n=number, inn=value,
                              problem=_lower_first(_(problem))))
        elif {"kind": AffiliationKind.ORGANISATION.value, "inn": inn, "note": ""} not in affiliations:
            affiliations.append({"kind": AffiliationKind.ORGANISATION.value, "inn": inn, "note": ""})
    for value in split_values(cells.get("region", "")):
        code = normalise_region_code(value)
        if code not in regions:
            problems.append(_("строка %(n)d: неизвестный код региона «%(code)s».", n=number, code=value))
        elif {"kind": AffiliationKind.REGION.value, "region_code": code, "note": ""} not in affiliations:
            affiliations.append({"kind": AffiliationKind.REGION.value, "region_code": code, "note": ""})
    return email, affiliations


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def bulk_invite_from_csv(session: Session, *, data: bytes, actor: User, now: datetime, accept_url_for,
                         dry_run: bool) -> ImportReport:
    """Invite every valid line of the file (re-sending open invitations), report the rest line by line. A file
    that cannot be read at all raises ValidationFailed (field `file`) and nothing is written."""
    rows = read_rows(data)
    if not rows:
        _refuse(_("В файле нет строк с экспертами: только заголовок."))
    region_rows = list(session.scalars(select(Region)))  # referenced: checking a line's regions finds them in memory
    regions = {region.code for region in region_rows}
    known = lookup(session, emails=[row[1].get("email", "") for row in rows], now=now)
    report, seen = ImportReport(dry_run=dry_run), {}
    for number, cells, problems in rows:
        email, affiliations = _check_line(number, cells, regions=regions, seen=seen, problems=problems)
        result = LineResult(line=number, email=email or cells.get("email", ""), full_name=cells.get("full_name", ""),
                            outcome=SKIPPED, problems=problems)
        report.lines.append(result)
        if problems:
            continue
        try:
            if dry_run:
                result.outcome = RESENT if check_invitable(session, email=email, now=now, known=known).resend else INVITED
            else:
                invitation = invite_juror(session, email=email, full_name=cells["full_name"], actor=actor, now=now,
                                          accept_url_for=accept_url_for, position=cells.get("position", ""),
                                          workplace=cells.get("workplace", ""), affiliations=affiliations, known=known)
                result.outcome = RESENT if invitation.sent_count > 1 else INVITED
        except ServiceError as exc:
            problems.append(_("строка %(n)d: %(problem)s", n=number, problem=exc.message))
    if not dry_run:
        audit.record(session, actor=actor, action="juror.import", object_type="jurors", object_id="import",
                     after={"lines": len(report.lines), "invited": report.invited, "resent": report.resent,
                            "skipped": report.skipped}, now=now)
        session.flush()
    return report
