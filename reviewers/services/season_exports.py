"""A season's judging as tables (reviews, scores, jurors), and the five exports of a season for staff: which there
are, how many rows each has, and each as a CSV or XLSX file. Staff only, so blind rounds show every name."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, union
from sqlalchemy.orm import Session

from portal.models import Entry, Nomination, Season, User
from portal.services.entry_exports import (CSV_MIMETYPE, ENTRY_COLUMNS, FILE_COLUMNS, XLSX_MIMETYPE, Sheet,
                                           entries_sheet, entry_counts, files_sheet, moscow, to_csv, to_xlsx)
from reviewers.models import Assignment, AssignmentStatus, Criterion, JurorProfile, PoolMember, Review, Round, Score

ASSIGNMENT_STATUSES = {
    AssignmentStatus.ASSIGNED.value: _l("назначено"),
    AssignmentStatus.IN_PROGRESS.value: _l("в работе"),
    AssignmentStatus.SUBMITTED.value: _l("оценка отправлена"),
    AssignmentStatus.RECUSED.value: _l("самоотвод"),
}
REVIEW_COLUMNS = [_l("Раунд"), _l("№ заявки"), _l("Номинация"), _l("Эксперт"), _l("Статус"),
                  _l("Отправлена (МСК)"), _l("Итоговый балл (0–100)"), _l("Комментарий для заявителя"),
                  _l("Комментарий для оргкомитета"), _l("Причина самоотвода")]
SCORE_COLUMNS = [_l("Раунд"), _l("№ заявки"), _l("Эксперт"), _l("Статус"), _l("Критерий"), _l("Вес"), _l("Балл"),
                 _l("Шкала от"), _l("Шкала до")]
JUROR_COLUMNS = [_l("Эксперт"), _l("E-mail"), _l("Место работы"), _l("Пулы (раунд: номинации)"), _l("Назначено"),
                 _l("Отправлено оценок"), _l("Самоотводов")]


def _number(value: float) -> float | int:
    """9.0 as 9, so that a whole score reads "9" and not "9,0"."""
    return int(value) if value.is_integer() else value


def _statuses() -> dict[str, str]:
    return {code: str(label) for code, label in ASSIGNMENT_STATUSES.items()}


def reviews_sheet(session: Session, *, season: Season, locale: str = "ru") -> Sheet:
    """One row per assignment of every round of the season (a review not yet started has empty review cells)."""
    query = (select(Round.number, Assignment.entry_id, Nomination.title_ru, User.full_name, Assignment.status,
                    Review.submitted_at, Review.weighted_score, Review.comment_applicant, Review.comment_private,
                    Assignment.recuse_reason)
             .select_from(Assignment)
             .join(Round, Round.id == Assignment.round_id)
             .join(Entry, Entry.id == Assignment.entry_id)
             .join(Nomination, Nomination.id == Entry.nomination_id)
             .join(User, User.id == Assignment.juror_id)
             .outerjoin(Review, Review.assignment_id == Assignment.id)
             .where(Round.season_id == season.id)
             .order_by(Round.number, Assignment.entry_id, Assignment.id))
    statuses = _statuses()
    rows = [[number, entry_id, nomination, juror, statuses.get(status, status), moscow(submitted),
             None if score is None else round(score, 2), applicant or "", private or "", reason or ""]
            for (number, entry_id, nomination, juror, status, submitted, score, applicant, private, reason)
            in session.execute(query)]
    return Sheet(_("Оценки"), [str(c) for c in REVIEW_COLUMNS], rows,
                 widths=(8, 10, 36, 30, 18, 18, 12, 60, 60, 40))


def scores_sheet(session: Session, *, season: Season, locale: str = "ru") -> Sheet:
    """One row per (review, criterion) of every round of the season, with the criterion's weight and scale."""
    query = (select(Round.number, Assignment.entry_id, User.full_name, Assignment.status, Criterion.title_ru,
                    Criterion.weight, Score.value, Criterion.scale_min, Criterion.scale_max)
             .select_from(Score)
             .join(Review, Review.id == Score.review_id)
             .join(Assignment, Assignment.id == Review.assignment_id)
             .join(Round, Round.id == Assignment.round_id)
             .join(User, User.id == Assignment.juror_id)
             .join(Criterion, Criterion.id == Score.criterion_id)
             .where(Round.season_id == season.id)
             .order_by(Round.number, Assignment.entry_id, Assignment.id, Criterion.position, Criterion.id))
    statuses = _statuses()
    rows = [[number, entry_id, juror, statuses.get(status, status), criterion, _number(weight), _number(value),
             _number(low), _number(high)]
            for number, entry_id, juror, status, criterion, weight, value, low, high in session.execute(query)]
    return Sheet(_("Баллы"), [str(c) for c in SCORE_COLUMNS], rows, widths=(8, 10, 30, 18, 40, 8, 8, 10, 10))


def _season_jurors(season: Season):
    """The ids of the jurors in a pool of, or assigned in, a round of the season."""
    pooled = select(PoolMember.juror_id).join(Round, Round.id == PoolMember.round_id).where(
        Round.season_id == season.id)
    assigned = select(Assignment.juror_id).join(Round, Round.id == Assignment.round_id).where(
        Round.season_id == season.id)
    return union(pooled, assigned)


def jurors_sheet(session: Session, *, season: Season, locale: str = "ru") -> Sheet:
    """Every juror of the season (in a pool or assigned), with their pools and assignment counts; four queries."""
    people = session.execute(
        select(User.id, User.full_name, User.email, JurorProfile.workplace)
        .outerjoin(JurorProfile, JurorProfile.user_id == User.id)
        .where(User.id.in_(_season_jurors(season))).order_by(User.full_name, User.id)).all()
    pools: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for juror_id, number, nomination in session.execute(
            select(PoolMember.juror_id, Round.number, Nomination.title_ru)
            .join(Round, Round.id == PoolMember.round_id).join(Nomination, Nomination.id == PoolMember.nomination_id)
            .where(Round.season_id == season.id).order_by(Round.number, Nomination.position, Nomination.id)):
        pools[juror_id][number].append(nomination)
    counts = {juror_id: (n, submitted, recused) for juror_id, n, submitted, recused in session.execute(
        select(Assignment.juror_id, func.count(),
               func.sum(case((Assignment.status == AssignmentStatus.SUBMITTED.value, 1), else_=0)),
               func.sum(case((Assignment.status == AssignmentStatus.RECUSED.value, 1), else_=0)))
        .join(Round, Round.id == Assignment.round_id).where(Round.season_id == season.id)
        .group_by(Assignment.juror_id))}
    rows = []
    for juror_id, name, email, workplace in people:
        described = "; ".join(_("Раунд %(n)d", n=number) + ": " + ", ".join(titles)
                              for number, titles in pools[juror_id].items())
        n, submitted, recused = counts.get(juror_id, (0, 0, 0))
        rows.append([name, email, workplace or "", described, n, submitted, recused])
    return Sheet(_("Эксперты"), [str(c) for c in JUROR_COLUMNS], rows, widths=(30, 30, 40, 60, 12, 12, 12))


# --- the season's exports -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """One export: its title (also the file's name), what its columns are, and how its table is built."""

    key: str
    title: str
    columns: list
    build: Callable[..., Sheet]


DATASETS = {d.key: d for d in (
    Dataset("entries", _l("Заявки"), ENTRY_COLUMNS, entries_sheet),
    Dataset("files", _l("Файлы"), FILE_COLUMNS, files_sheet),
    Dataset("reviews", _l("Оценки"), REVIEW_COLUMNS, reviews_sheet),
    Dataset("scores", _l("Баллы"), SCORE_COLUMNS, scores_sheet),
    Dataset("jurors", _l("Эксперты"), JUROR_COLUMNS, jurors_sheet),
)}
FORMATS = {"csv": (to_csv, CSV_MIMETYPE), "xlsx": (to_xlsx, XLSX_MIMETYPE)}


@dataclass(frozen=True)
class ExportFile:
    body: bytes
    mimetype: str
    filename: str


def export_file(session: Session, *, season: Season, dataset: str, fmt: str, locale: str = "ru") -> ExportFile:
    """One export of the season as a file (`dataset` a key of DATASETS, `fmt` "csv" or "xlsx")."""
    chosen = DATASETS[dataset]
    write, mimetype = FORMATS[fmt]
    sheet = chosen.build(session, season=season, locale=locale)
    return ExportFile(write(sheet), mimetype, f"{chosen.title} — {season.slug}.{fmt}")


def row_counts(session: Session, *, season: Season) -> dict[str, int]:
    """How many rows each export of the season has, in five queries."""
    entries, files = entry_counts(session, season=season)
    in_season = Round.season_id == season.id
    assignments = session.scalar(select(func.count()).select_from(Assignment)
                                 .join(Round, Round.id == Assignment.round_id).where(in_season))
    scores = session.scalar(select(func.count()).select_from(Score).join(Review, Review.id == Score.review_id)
                            .join(Assignment, Assignment.id == Review.assignment_id)
                            .join(Round, Round.id == Assignment.round_id).where(in_season))
    jurors = session.scalar(select(func.count()).select_from(_season_jurors(season).subquery()))
    return {"entries": entries, "files": files, "reviews": assignments, "scores": scores, "jurors": jurors}
