"""The staff's entries table: filters, search, sorting, status counts and pages in a fixed number of SQL queries."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from portal.models import DeadlineExtension, Entry, EntryFile, EntryStatus, Organisation, Season, User
from portal.services.ids import parse_id
from portal.services.text_search import contains_caseless

DEFAULT_STATUS = ""  # every status except drafts
ALL_STATUSES = "all"  # drafts included
STATUSES = tuple(s.value for s in EntryStatus)
HAS_FILES = ("yes", "no")
# Flags an organizer narrows the table by: an individual deadline extension in force or ended (not revoked), an
# organisation's entry, an individual's.
FLAGS = ("extension", "organisation", "individual")
SORTS = ("-submitted", "submitted", "id", "-id", "title", "applicant")
MAX_SEARCH = 200


@dataclass(frozen=True)
class EntryFilters:
    """What the organizer asked for; the dates are days in the season's time zone, both inclusive."""

    nomination_id: int | None = None
    region_code: str | None = None
    status: str = DEFAULT_STATUS
    has_files: str = ""
    flag: str = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    text: str = ""
    sort: str = "-submitted"


@dataclass
class EntryPage:
    """One page of entries with their file counts, the total and the counts per status under the other filters."""

    items: list[Entry]
    file_counts: dict[int, int]
    total: int
    page: int
    per_page: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2):
        """Page numbers with None for the gaps, as Flask-SQLAlchemy's pagination yields them."""
        last = 0
        for number in range(1, self.pages + 1):
            if (number <= left_edge or self.page - left_current <= number < self.page + right_current
                    or number > self.pages - right_edge):
                if last + 1 != number:
                    yield None
                yield number
                last = number


def applicant_name_column():
    """The applicant as the table shows it: the organisation's short name, its full name, or the individual."""
    return func.coalesce(func.nullif(Organisation.short_name, ""), Organisation.name, User.full_name)


def _ordering(sort: str) -> tuple:
    if sort == "submitted":
        return (Entry.submitted_at.is_(None), Entry.submitted_at, Entry.id)
    if sort == "id":
        return (Entry.id,)
    if sort == "-id":
        return (Entry.id.desc(),)
    if sort == "title":
        return (Entry.title, Entry.id)
    if sort == "applicant":
        return (applicant_name_column(), Entry.id)
    return (Entry.submitted_at.is_(None), Entry.submitted_at.desc(), Entry.id.desc())


def _day_start(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name)).astimezone(ZoneInfo("UTC"))


def base_conditions(season: Season, filters: EntryFilters) -> list:
    """Every filter except the status and the text search."""
    conditions = [Entry.season_id == season.id]
    if filters.nomination_id is not None:
        conditions.append(Entry.nomination_id == filters.nomination_id)
    if filters.region_code:
        conditions.append(Entry.region_code == filters.region_code)
    has_file = exists().where(EntryFile.entry_id == Entry.id)
    if filters.has_files == "yes":
        conditions.append(has_file)
    elif filters.has_files == "no":
        conditions.append(~has_file)
    if filters.flag == "extension":
        conditions.append(exists().where(DeadlineExtension.entry_id == Entry.id, DeadlineExtension.revoked_at.is_(None)))
    elif filters.flag == "organisation":
        conditions.append(Entry.organisation_id.is_not(None))
    elif filters.flag == "individual":
        conditions.append(Entry.organisation_id.is_(None))
    if filters.submitted_from is not None:
        conditions.append(Entry.submitted_at >= _day_start(filters.submitted_from, season.time_zone))
    if filters.submitted_to is not None:
        conditions.append(Entry.submitted_at < _day_start(filters.submitted_to + timedelta(days=1), season.time_zone))
    return conditions


def status_condition(status: str):
    """Drafts are hidden unless asked for: by their own status or by "all"."""
    if status == ALL_STATUSES:
        return None
    if status in STATUSES:
        return Entry.status == status
    return Entry.status != EntryStatus.DRAFT.value


def status_matches(status: str, value: str) -> bool:
    """The Python twin of `status_condition`, for the rows filtered in Python."""
    if status == ALL_STATUSES:
        return True
    if status in STATUSES:
        return value == status
    return value != EntryStatus.DRAFT.value


def entry_number(text: str) -> int | None:
    """The entry id in a search such as "123", "№ 123" or "#123", else None."""
    digits = text.lstrip("№# ").strip()
    return parse_id(digits)


def text_condition(text: str):
    """The search: title and applicant names in any case (Cyrillic too, on every database), INN, entry id."""
    condition = (contains_caseless(Entry.title, Organisation.name, Organisation.short_name, User.full_name, text=text)
                 | Organisation.inn.contains(text, autoescape=True))
    number = entry_number(text)
    return condition | (Entry.id == number) if number is not None else condition


def _joined(query):
    return (query.outerjoin(Organisation, Organisation.id == Entry.organisation_id)
            .join(User, User.id == Entry.created_by_id))


def _load_page(session: Session, conditions: list, sort: str, *, offset: int, limit: int) -> list[Entry]:
    return list(session.scalars(_joined(select(Entry)).where(*conditions).order_by(*_ordering(sort))
                                .options(selectinload(Entry.created_by), selectinload(Entry.region))
                                .offset(offset).limit(limit)))


def _file_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(session.execute(select(EntryFile.entry_id, func.count()).where(EntryFile.entry_id.in_(ids))
                                .group_by(EntryFile.entry_id)).all())


def search_entries(session: Session, *, season: Season, filters: EntryFilters, page: int = 1,
                   per_page: int = 50) -> EntryPage:
    """One page of the season's entries under `filters`; the same number of queries whatever the page holds."""
    page = max(page, 1)
    conditions = base_conditions(season, filters)
    text = filters.text.strip()[:MAX_SEARCH]
    if text:
        conditions.append(text_condition(text))
    counts = dict(session.execute(_joined(select(Entry.status, func.count())).where(*conditions)
                                  .group_by(Entry.status)).all())
    total = sum(n for code, n in counts.items() if status_matches(filters.status, code))
    chosen = status_condition(filters.status)
    if chosen is not None:
        conditions.append(chosen)
    items = _load_page(session, conditions, filters.sort, offset=(page - 1) * per_page, limit=per_page) if total else []
    return EntryPage(items=items, file_counts=_file_counts(session, [e.id for e in items]), total=total, page=page,
                     per_page=per_page, counts=counts)
