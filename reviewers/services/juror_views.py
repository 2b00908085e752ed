"""What a juror may read: their assignments, the entry as a blind round allows it, the criteria as a scoring form
shows them, and the other jurors' reviews as the round's switches allow. Read-only helpers: nothing here writes.

The blind projection (`juror_entry`) is the one place that decides which parts of an entry a juror sees; every juror
page and API response is built from it, never from the `Entry` itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.models import Entry, EntryFile, Nomination, User
from portal.services.errors import NotFound
from portal.storage import extension_for
from portal.vocabularies import FILE_KINDS
from reviewers.models import Assignment, AssignmentStatus as A, Criterion, RevealReviews, Review, Round
from reviewers.permissions import can_open_assignment

OPEN_STATUSES = (A.ASSIGNED.value, A.IN_PROGRESS.value)  # assigned and not yet submitted (nor recused)
# What the review form of an assignment allows at a moment.
OPEN, SUBMITTED, CLOSED, NOT_OPEN = "open", "submitted", "closed", "not_open"


# --- assignments --------------------------------------------------------------------------------------------------

def assignments_query(*, juror: User, status: str | None = None) -> Select:
    """The juror's assignments, recused ones left out (they are closed to the juror), by round, nomination, entry."""
    query = (select(Assignment)
             .join(Round, Round.id == Assignment.round_id)
             .join(Entry, Entry.id == Assignment.entry_id)
             .join(Nomination, Nomination.id == Entry.nomination_id)
             .where(Assignment.juror_id == juror.id, Assignment.status != A.RECUSED.value)
             .order_by(Round.season_id.desc(), Round.number, Nomination.position, Entry.id)
             .options(selectinload(Assignment.review), joinedload(Assignment.round).selectinload(Round.season)))
    if status:
        query = query.where(Assignment.status == status)
    return query


def assignment_for(session: Session, *, assignment_id: int, user: User) -> Assignment:
    """The assignment if `user` may open it (their own, not recused); NotFound otherwise, so nobody learns of it."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or not can_open_assignment(user, assignment):
        raise NotFound(_("Назначение не найдено."))
    return assignment


def account_for(session: Session, *, email: str) -> User | None:
    """The account already registered with this (normalised) e-mail, if any."""
    return session.scalar(select(User).where(User.email == email))


def review_state(assignment: Assignment, now: datetime) -> str:
    """`open` (the form is editable), `submitted`, `closed` (the round's window is over) or `not_open` (not yet)."""
    if assignment.status == A.SUBMITTED.value:
        return SUBMITTED
    if now >= assignment.round.closes_at:
        return CLOSED
    if now < assignment.round.opens_at:
        return NOT_OPEN
    return OPEN


def is_overdue(assignment: Assignment, now: datetime) -> bool:
    """Past its due date (the round's close when it has none) and still not submitted."""
    due = assignment.due_at or assignment.round.closes_at
    return assignment.status in OPEN_STATUSES and now >= due


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """`is_overdue` in SQL, for a query that joins the assignment's round."""
    return Assignment.status.in_(OPEN_STATUSES) & (func.coalesce(Assignment.due_at, Round.closes_at) <= now)


@dataclass
class NominationGroup:
    nomination: Nomination
    assignments: list[Assignment] = field(default_factory=list)


@dataclass
class RoundGroup:
    """A round on the juror's dashboard: its assignments by nomination and the progress (recused left out)."""

    round: Round
    nominations: list[NominationGroup] = field(default_factory=list)
    submitted: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0


def dashboard_groups(assignments: list[Assignment]) -> list[RoundGroup]:
    """Group assignments (already ordered by round, nomination, entry) by round, then nomination."""
    groups: dict[int, RoundGroup] = {}
    for assignment in assignments:
        if assignment.status == A.RECUSED.value:
            continue
        group = groups.setdefault(assignment.round_id, RoundGroup(round=assignment.round))
        nomination = assignment.entry.nomination
        if not group.nominations or group.nominations[-1].nomination.id != nomination.id:
            group.nominations.append(NominationGroup(nomination=nomination))
        group.nominations[-1].assignments.append(assignment)
        group.total += 1
        group.submitted += assignment.status == A.SUBMITTED.value
    return list(groups.values())


# --- the entry, as the round lets the juror see it ----------------------------------------------------------------

def shows_identity(round: Round) -> bool:
    """Whether the juror may see who applied: the organisation, the authors, the creator, the video."""
    return not round.blind


def shows_region(round: Round) -> bool:
    return not (round.blind and round.hide_region)


def file_display_name(file: EntryFile, number: int, round: Round) -> str:
    """The name a juror sees and downloads: the original one in an open round; in a blind round a neutral one
    ("Материал 2 (презентация).pdf"), since a file name often names the school or the author."""
    if shows_identity(round):
        return file.filename
    extension = extension_for(file.content_type) or PurePath(file.filename).suffix.lower()[:8]
    kind = str(FILE_KINDS.get(file.kind, FILE_KINDS["other"])).lower()
    return _("Материал %(n)d (%(kind)s)", n=number, kind=kind) + extension


def entry_files(entry: Entry, round: Round) -> list[tuple[EntryFile, str]]:
    """The entry's files with the names the juror sees, numbered in upload order."""
    return [(file, file_display_name(file, number, round)) for number, file in enumerate(entry.files, start=1)]


def assignment_file(assignment: Assignment, file_id: int) -> tuple[EntryFile, str]:
    """One file of the assignment's entry and its display name; NotFound for a file of another entry."""
    for file, name in entry_files(assignment.entry, assignment.round):
        if file.id == file_id:
            return file, name
    raise NotFound(_("Файл не найден."))


def juror_entry(entry: Entry, round: Round, locale: str = "ru") -> dict:
    """The entry as a juror of `round` sees it (API field names, SPEC §7.1). In a blind round nothing names the
    applicant: no organisation, INN, authors, creator or video link, and no region when the round hides it."""
    identity, region = shows_identity(round), shows_region(round)
    data = {
        "id": entry.id,
        "season": entry.season.slug,
        "nomination": {"code": entry.nomination.code, "title": entry.nomination.title(locale)},
        "title": entry.title,
        "summary": entry.summary,
        "problem": entry.problem,
        "goals": entry.goals,
        "mentoring_form": entry.mentoring_form,
        "target_audience": entry.target_audience,
        "mentors_count": entry.mentors_count,
        "mentees_count": entry.mentees_count,
        "start_year": entry.start_year,
        "region": None,
        "description": entry.description,
        "resources": entry.resources,
        "results": entry.results,
        "replicability": entry.replicability,
        "keywords": list(entry.keywords or []),
        "files": [{"id": file.id, "name": name, "kind": file.kind, "size": file.size,
                   "content_type": file.content_type} for file, name in entry_files(entry, round)],
        "blind": round.blind,
        "applicant": None,
        "authors": None,
        "video_url": None,
    }
    if region and entry.region is not None:
        data["region"] = {"code": entry.region.code,
                          "name": entry.region.name_en if locale == "en" else entry.region.name_ru}
    if identity:
        organisation = entry.organisation
        data["applicant"] = {
            "kind": "organisation" if organisation else "individual",
            "name": organisation.name if organisation else entry.created_by.full_name,
            "short_name": organisation.short_name if organisation else "",
            "inn": organisation.inn if organisation else None,
            "submitted_by": entry.created_by.full_name,
        }
        data["authors"] = [{"full_name": a.full_name, "position": a.job_title, "email": a.email}
                           for a in entry.authors]
        data["video_url"] = entry.video_url or None
    return data


# --- the rubric and the review --------------------------------------------------------------------------------------

def number_text(value: float, locale: str = "ru") -> str:
    """7 → "7", 7.5 → "7,5" in Russian."""
    text = f"{value:g}"
    return text.replace(".", ",") if locale == "ru" else text


def criterion_to_dict(criterion: Criterion, locale: str = "ru") -> dict:
    """A criterion as the form and the API show it: its scale's every value and the band descriptors."""
    return {
        "id": criterion.id,
        "code": criterion.code,
        "title": criterion.title(locale),
        "description": (criterion.description_en if locale == "en" and criterion.description_en
                        else criterion.description_ru),
        "weight": criterion.weight,
        "required": criterion.required,
        "scale": {"min": criterion.scale_min, "max": criterion.scale_max, "step": criterion.scale_step},
        "values": criterion.scale_values(),
        "bands": [{"min": b.get("min"), "max": b.get("max"), "text": b.get("text", "")}
                  for b in (criterion.bands or [])],
    }


def review_scores(review: Review | None) -> dict[int, float]:
    return {s.criterion_id: s.value for s in review.scores} if review else {}


def may_see_other_reviews(assignment: Assignment) -> bool:
    """The round's switch: never; after the juror submitted their own; always."""
    mode = assignment.round.reveal_reviews
    if mode == RevealReviews.ALWAYS.value:
        return True
    return mode == RevealReviews.AFTER_SUBMIT.value and assignment.status == A.SUBMITTED.value


def other_reviews(session: Session, *, assignment: Assignment) -> list[dict]:
    """The other jurors' submitted reviews of the same entry in the same round, anonymised ("reviewer": 1, 2, …
    in a stable order) and without the private comments; empty when the round does not reveal them."""
    if not may_see_other_reviews(assignment):
        return []
    reviews = session.scalars(
        select(Review).join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.round_id == assignment.round_id, Assignment.entry_id == assignment.entry_id,
               Assignment.id != assignment.id, Assignment.status == A.SUBMITTED.value,
               Review.submitted_at.is_not(None))
        .order_by(Assignment.id)).all()
    return [{"reviewer": number, "scores": {str(k): v for k, v in review_scores(review).items()},
             "comment_applicant": review.comment_applicant, "weighted_score": review.weighted_score,
             "submitted_at": review.submitted_at}
            for number, review in enumerate(reviews, start=1)]
