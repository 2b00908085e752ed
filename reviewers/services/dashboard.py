"""Figures of a season's progress dashboard, computed with a constant number of aggregate queries."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.models import Entry, EntryStatus, Nomination, Region, Season, User
from reviewers.models import Assignment, AssignmentStatus as A, Round
from reviewers.services.juror_views import overdue_condition

# Entries that reached the jury's office: everything but drafts and withdrawn entries.
NOT_SUBMITTED = (EntryStatus.DRAFT.value, EntryStatus.WITHDRAWN.value)
TOP_REGIONS = 15
TOP_JURORS = 20


@dataclass
class RoundFigures:
    round: Round
    assigned: int = 0
    submitted: int = 0
    recused: int = 0
    overdue: int = 0


@dataclass
class Dashboard:
    days: list[tuple[date, int]]  # every day of the submission window in the season's zone
    deadline_index: int | None  # the day column the deadline falls after
    deadline_day: date
    by_status: list[tuple[str, int]]
    by_nomination: list[tuple[Nomination, int]]
    by_region: list[tuple[str | None, str, str, int]]  # (code, name_ru, name_en, count); code None: no region
    others: int
    rounds: list[RoundFigures]
    current_round: Round | None
    jurors: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(count for _day, count in self.days)


def _hour_bucket(session: Session, column):
    """The UTC hour of a timestamp as "YYYY-MM-DD HH" on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def daily_entries(session: Session, *, season: Season) -> tuple[list[tuple[date, int]], int | None, date]:
    """Submitted entries per day of the season's zone, over the window from opening to closing (whole hours)."""
    zone = ZoneInfo(season.time_zone or "Europe/Moscow")
    bucket = _hour_bucket(session, Entry.submitted_at)
    counts: Counter = Counter()
    for hour, count in session.execute(
            select(bucket, func.count()).where(Entry.season_id == season.id, Entry.submitted_at.is_not(None),
                                               Entry.status.not_in(NOT_SUBMITTED)).group_by(bucket)):
        moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=timezone.utc)
        counts[moment.astimezone(zone).date()] += count
    first = season.submissions_open_at.astimezone(zone).date()
    deadline = season.submissions_close_at.astimezone(zone).date()
    last = max([deadline] + list(counts))
    first = min([first] + list(counts))
    days = [(first + timedelta(days=i), 0) for i in range((last - first).days + 1)]
    days = [(day, counts[day]) for day, _zero in days]
    return days, (deadline - first).days + 1, deadline


def entry_breakdowns(session: Session, *, season: Season) -> tuple[list, list, list, int]:
    """Entries by status, submitted entries by nomination, and by region (the top regions and the rest)."""
    by_status = session.execute(select(Entry.status, func.count()).where(Entry.season_id == season.id)
                                .group_by(Entry.status).order_by(func.count().desc(), Entry.status)).all()
    submitted = (Entry.season_id == season.id, Entry.status.not_in(NOT_SUBMITTED))
    counted = func.count(Entry.id)
    by_nomination = session.execute(
        select(Nomination, counted).outerjoin(Entry, (Entry.nomination_id == Nomination.id) & submitted[1])
        .where(Nomination.season_id == season.id).group_by(Nomination.id)
        .order_by(Nomination.track_id, Nomination.position, Nomination.id)).all()
    regions = session.execute(
        select(Entry.region_code, Region.name_ru, Region.name_en, func.count())
        .outerjoin(Region, Region.code == Entry.region_code)
        .where(*submitted).group_by(Entry.region_code, Region.name_ru, Region.name_en)
        .order_by(func.count().desc(), Entry.region_code)).all()
    top = [(code, name_ru or "", name_en or "", count) for code, name_ru, name_en, count in regions[:TOP_REGIONS]]
    others = sum(row[-1] for row in regions[TOP_REGIONS:])
    return [tuple(r) for r in by_status], [tuple(r) for r in by_nomination], top, others


def _overdue(now: datetime):
    return func.sum(case((overdue_condition(now), 1), else_=0))


def round_figures(session: Session, *, season: Season, now: datetime) -> tuple[list[RoundFigures], Round | None]:
    """Per round: assignments (not recused), submitted, recused and overdue (due date passed, not submitted);
    the current round is the last one already open at `now`."""
    rounds = session.scalars(select(Round).where(Round.season_id == season.id).order_by(Round.number)).all()
    figures = {r.id: RoundFigures(round=r) for r in rounds}
    rows = session.execute(
        select(Assignment.round_id, Assignment.status, func.count(), _overdue(now)).join(Round)
        .where(Round.season_id == season.id).group_by(Assignment.round_id, Assignment.status))
    for round_id, status, count, overdue in rows:
        item = figures[round_id]
        if status == A.RECUSED.value:
            item.recused += count
            continue
        item.assigned += count
        item.submitted += count if status == A.SUBMITTED.value else 0
        item.overdue += overdue or 0
    started = [r for r in rounds if r.opens_at <= now]
    return list(figures.values()), (started[-1] if started else None)


def juror_figures(session: Session, *, round: Round, now: datetime) -> list[dict]:
    """Per juror of the round: assigned (not recused), submitted and overdue; the most overdue first."""
    assigned = func.sum(case((Assignment.status != A.RECUSED.value, 1), else_=0))
    submitted = func.sum(case((Assignment.status == A.SUBMITTED.value, 1), else_=0))
    overdue = _overdue(now)
    rows = session.execute(
        select(User.id, User.full_name, assigned, submitted, overdue)
        .join(Assignment, Assignment.juror_id == User.id).join(Round, Round.id == Assignment.round_id)
        .where(Assignment.round_id == round.id).group_by(User.id, User.full_name)
        .order_by(overdue.desc(), User.full_name, User.id).limit(TOP_JURORS))
    return [{"id": i, "name": name, "assigned": a or 0, "submitted": s or 0, "overdue": o or 0}
            for i, name, a, s, o in rows]


def season_dashboard(session: Session, *, season: Season, now: datetime) -> Dashboard:
    """Every figure of the dashboard (eight queries whatever the number of entries, rounds or jurors)."""
    days, deadline_index, deadline = daily_entries(session, season=season)
    by_status, by_nomination, by_region, others = entry_breakdowns(session, season=season)
    rounds, current = round_figures(session, season=season, now=now)
    jurors = juror_figures(session, round=current, now=now) if current is not None else []
    return Dashboard(days=days, deadline_index=deadline_index, deadline_day=deadline, by_status=by_status,
                     by_nomination=by_nomination, by_region=by_region, others=others, rounds=rounds,
                     current_round=current, jurors=jurors)
