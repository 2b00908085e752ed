"""Rankings of a round: raw and normalised scores side by side, spread and disagreement flags, juror severity,
agreement per nomination, ranks with declared tie-breaks; the shortlist for the next round.

Ranking uses the normalised mean (each review's 0–100 score mapped through its juror's shrunk z-score onto the
panel's scale), so a harsh or lenient juror moves an entry no more than any other juror does; the raw mean is shown
beside it."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from portal.models import Entry, EntryStatus, Nomination, User
from portal.services import audit
from portal.services.entry_states import transition
from portal.services.errors import ValidationFailed
from reviewers.engine.agreement import entry_spread, flag_disagreement, krippendorff_alpha_interval
from reviewers.engine.normalisation import ReviewScore, juror_severity, normalised_scores
from reviewers.engine.ranking import RankInput, rank_entries
from reviewers.models import AdvanceRule, Assignment, AssignmentStatus, Decision, Review, Round, Score
from reviewers.services.assignment import round_entries


@dataclass
class ReviewLine:
    assignment_id: int
    juror_id: int
    juror_name: str
    raw: float
    normalised: float
    scores: dict[int, float]
    comment_applicant: str
    comment_private: str


@dataclass
class EntryResult:
    entry: Entry
    reviews: list[ReviewLine] = field(default_factory=list)
    assigned: int = 0
    raw_mean: float | None = None
    normalised_mean: float | None = None
    spread: float | None = None
    flagged: bool = False
    rank: int | None = None
    tie_explanation: str | None = None
    criterion_means: dict[int, float] = field(default_factory=dict)
    decision: str | None = None  # "advance" / "hold" override recorded by the organizer


@dataclass
class NominationResult:
    nomination: Nomination
    rows: list[EntryResult]
    alpha: float | None


@dataclass
class RoundResults:
    round: Round
    nominations: list[NominationResult]
    severity: dict[int, tuple[float, int]]  # juror id → (mean offset against the panel, reviews)
    juror_names: dict[int, str]

    def row(self, entry_id: int) -> EntryResult | None:
        return next((r for n in self.nominations for r in n.rows if r.entry.id == entry_id), None)


def compute_results(session: Session, *, round: Round) -> RoundResults:
    """Everything the rankings page, the API and the exports show, computed from the stored reviews."""
    entries = round_entries(session, round)
    assignments = session.scalars(
        select(Assignment).where(Assignment.round_id == round.id, Assignment.status != AssignmentStatus.RECUSED.value)
        # The round and the entries are loaded already: no join of them into every assignment row.
        .options(lazyload(Assignment.round), lazyload(Assignment.entry), selectinload(Assignment.review))).all()
    # The scores as plain rows (hundreds of thousands at a large round), by review, each in criterion order.
    scores: dict[int, dict[int, float]] = defaultdict(dict)
    for review_id, criterion_id, value in session.execute(
            select(Score.review_id, Score.criterion_id, Score.value).join(Review, Review.id == Score.review_id)
            .join(Assignment, Assignment.id == Review.assignment_id).where(Assignment.round_id == round.id)
            .order_by(Score.review_id, Score.criterion_id)):
        scores[review_id][criterion_id] = value
    names = {u.id: u.full_name or u.email for u in session.scalars(
        select(User).where(User.id.in_({a.juror_id for a in assignments})))}
    by_entry: dict[int, EntryResult] = {e.id: EntryResult(entry=e) for e in entries}
    reviews: list[ReviewScore] = []
    for assignment in assignments:
        row = by_entry.get(assignment.entry_id)
        if row is None:
            continue
        row.assigned += 1
        review = assignment.review
        if review is not None and review.submitted_at is not None and review.weighted_score is not None:
            reviews.append(ReviewScore(juror_id=assignment.juror_id, entry_id=assignment.entry_id,
                                       score=review.weighted_score))
            row.reviews.append(ReviewLine(assignment.id, assignment.juror_id, names.get(assignment.juror_id, ""),
                                          review.weighted_score, review.weighted_score,
                                          scores.get(review.id, {}),
                                          review.comment_applicant, review.comment_private))
    # One panel per nomination (the engine's contract): a juror's scale is compared with its own panel's.
    nomination_of = {e.id: e.nomination_id for e in entries}
    panels: dict[int, list[ReviewScore]] = defaultdict(list)
    for review_score in reviews:
        panels[nomination_of[review_score.entry_id]].append(review_score)
    normalised = {key: value for panel in panels.values() for key, value in normalised_scores(panel).items()}
    severity = {j: (s.mean_offset, s.n) for j, s in juror_severity(reviews).items()} if reviews else {}
    decisions = {(d.entry_id, d.kind): d for d in session.scalars(select(Decision).where(Decision.round_id == round.id))}
    for row in by_entry.values():
        if not row.reviews:
            continue
        for line in row.reviews:
            line.normalised = normalised.get((line.juror_id, row.entry.id), line.raw)
        raws = [line.raw for line in row.reviews]
        row.raw_mean = sum(raws) / len(raws)
        row.normalised_mean = sum(line.normalised for line in row.reviews) / len(row.reviews)
        row.spread = entry_spread(raws) if len(raws) > 1 else 0.0
        row.flagged = flag_disagreement(row.spread, round.disagreement_threshold)
        criteria: dict[int, list[float]] = defaultdict(list)
        for line in row.reviews:
            for criterion_id, value in line.scores.items():
                criteria[criterion_id].append(value)
        row.criterion_means = {c: sum(v) / len(v) for c, v in criteria.items()}
        override = decisions.get((row.entry.id, "advance")) or decisions.get((row.entry.id, "hold"))
        row.decision = override.kind if override else None
    nominations = []
    titles = {c.id: c.title_ru for c in round.rubric.criteria}
    zone = ZoneInfo(round.season.time_zone)
    for nomination in sorted({e.nomination for e in entries}, key=lambda n: (n.track.position, n.position)):
        rows = [r for r in by_entry.values() if r.entry.nomination_id == nomination.id]
        scored = [r for r in rows if r.normalised_mean is not None]
        # A criterion nobody scored on some entry (an optional one) cannot break ties between them.
        priority = [c for c in (round.tie_break_criteria or []) if all(c in r.criterion_means for r in scored)]
        ranked = rank_entries([RankInput(entry_id=r.entry.id, score=r.normalised_mean, criterion_means=r.criterion_means,
                                         submitted_at=(r.entry.submitted_at or r.entry.created_at).astimezone(zone),
                                         chair_position=_chair(decisions, r.entry.id)) for r in scored],
                              criterion_priority=priority, criterion_titles=titles)
        for item in ranked:
            target = by_entry[item.entry_id]
            target.rank, target.tie_explanation = item.rank, item.explanation
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.entry.id))
        units = {r.entry.id: {line.juror_id: line.raw for line in r.reviews} for r in rows if r.reviews}
        nominations.append(NominationResult(nomination, rows, krippendorff_alpha_interval(units) if units else None))
    return RoundResults(round, nominations, severity, names)


def _chair(decisions, entry_id: int) -> int | None:
    decision = decisions.get((entry_id, "chair_position"))
    return decision.position if decision else None


def shortlist_size(round: Round, ranked_count: int) -> int:
    """How many of a nomination advance under the round's rule."""
    if round.advance_rule == AdvanceRule.TOP_PERCENT.value:
        return min(ranked_count, math.ceil(ranked_count * round.advance_value / 100))
    return min(ranked_count, int(round.advance_value))


def proposed_shortlist(results: RoundResults) -> set[int]:
    """Entries that advance: the rule's top places per nomination, adjusted by the organizer's recorded overrides."""
    chosen: set[int] = set()
    for nomination in results.nominations:
        ranked = [r for r in nomination.rows if r.rank is not None]
        size = shortlist_size(results.round, len(ranked))
        chosen |= {r.entry.id for r in ranked if r.rank <= size}
        chosen |= {r.entry.id for r in nomination.rows if r.decision == "advance"}
        chosen -= {r.entry.id for r in nomination.rows if r.decision == "hold"}
    return chosen


def record_decision(session: Session, *, round: Round, entry: Entry, kind: str, reason: str, actor: User, now: datetime,
                    position: int | None = None) -> Decision:
    """An override (advance / hold) or the chair's tie-break position, always with a reason; replaces an earlier one."""
    if kind not in ("advance", "hold", "chair_position"):
        raise ValidationFailed(_("Неизвестное решение."), {"kind": _("advance, hold или chair_position.")})
    if len((reason or "").strip()) < 5:
        raise ValidationFailed(_("Укажите причину решения."), {"reason": _("Причина обязательна.")})
    if kind == "chair_position" and (not isinstance(position, int) or position < 1):
        raise ValidationFailed(_("Укажите место."), {"position": _("Целое число от 1.")})
    if kind in ("advance", "hold"):
        for other in session.scalars(select(Decision).where(Decision.round_id == round.id, Decision.entry_id == entry.id,
                                                            Decision.kind.in_(("advance", "hold")))):
            session.delete(other)
    existing = session.scalar(select(Decision).where(Decision.round_id == round.id, Decision.entry_id == entry.id,
                                                     Decision.kind == kind))
    decision = existing or Decision(round_id=round.id, entry_id=entry.id, kind=kind)
    decision.position, decision.reason, decision.decided_by_id, decision.decided_at = position, reason.strip(), actor.id, now
    session.add(decision)
    session.flush()
    audit.record(session, actor=actor, action=f"round.decision.{kind}", object_type="entry", object_id=entry.id,
                 after={"round_id": round.id, "position": position, "reason": decision.reason}, now=now)
    return decision


def advance_shortlist(session: Session, *, round: Round, actor: User, now: datetime) -> list[int]:
    """Move the shortlist on (status `shortlisted`); returns the entry ids that advanced."""
    results = compute_results(session, round=round)
    chosen = proposed_shortlist(results)
    for entry in round_entries(session, round):
        if entry.id in chosen and entry.status == EntryStatus.IN_REVIEW.value:
            transition(session, entry=entry, target=EntryStatus.SHORTLISTED, actor=actor, now=now,
                       reason=_("Прошла в следующий раунд"))
    audit.record(session, actor=actor, action="round.advance", object_type="round", object_id=round.id,
                 after={"entries": sorted(chosen)}, now=now)
    session.flush()
    return sorted(chosen)
