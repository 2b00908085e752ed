"""Awards per nomination: suggested from the final round's ranking and the season's award tiers, decided by the
organizers with a reason, then published through `portal.services.results_publication`.

A decision is either an `Award` row (tier and place) or a `Decision` of kind "no_award" in the final round, never
both; the entry keeps its status (`in_review` / `shortlisted`) until publication, so nothing reaches the applicant
early and the final round's ranking stays whole."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Award, AwardTier, Entry, Nomination, Season, User
from portal.services import audit
from portal.services import results_publication as publication
from portal.services.awards import set_award
from portal.services.errors import Conflict, ValidationFailed
from reviewers.models import Assignment, AssignmentStatus, Decision, Review, Round
from reviewers.services.results import EntryResult, compute_results

NO_AWARD = "no_award"
MAX_REASON = 2000
# The choices of the decision form: "winner-1" … "special", and "none" for no award.
CHOICES = ("winner-1", "winner-2", "winner-3", "prize", "laureate", "special", "none")


@dataclass(frozen=True)
class TierCounts:
    """How many awards of each tier a nomination gets: winners per place (places 1–3), prize-winners, laureates."""

    winners_per_place: int = 1
    prize: int = 2
    laureate: int = 3

    def slots(self) -> list[tuple[str, int | None]]:
        """The awards in order, best first: one (tier, place) per slot."""
        out: list[tuple[str, int | None]] = []
        for place in (1, 2, 3):
            out += [(AwardTier.WINNER.value, place)] * self.winners_per_place
        out += [(AwardTier.PRIZE.value, None)] * self.prize
        out += [(AwardTier.LAUREATE.value, None)] * self.laureate
        return out


DEFAULT_COUNTS = TierCounts()
MAX_PER_TIER = 50


def parse_counts(args) -> TierCounts:
    """Tier counts from request arguments; a missing or malformed value keeps its default (0 … MAX_PER_TIER)."""
    values = {}
    for name in ("winners_per_place", "prize", "laureate"):
        try:
            values[name] = min(max(int(args.get(name, getattr(DEFAULT_COUNTS, name))), 0), MAX_PER_TIER)
        except (TypeError, ValueError):
            values[name] = getattr(DEFAULT_COUNTS, name)
    return TierCounts(**values)


def suggest(ranks: list[tuple[int, int | None]], counts: TierCounts) -> dict[int, tuple[str, int | None]]:
    """(entry id, rank) in ranking order → the suggested (tier, place) per entry. An entry takes the slot of its rank
    (competition ranking: 1, 2, 2, 4), so entries still tied after the declared tie-breaks get the same award and
    the next rank skips the slots they used; unranked entries get nothing."""
    slots = counts.slots()
    return {entry_id: slots[rank - 1] for entry_id, rank in ranks if rank is not None and rank - 1 < len(slots)}


@dataclass
class AwardLine:
    result: EntryResult
    suggestion: tuple[str, int | None] | None
    award: Award | None
    declined: Decision | None
    tied: bool

    @property
    def decided(self) -> bool:
        return self.award is not None or self.declined is not None

    @property
    def choice(self) -> str:
        """The form value of the current decision ("" when undecided)."""
        if self.award is not None:
            return to_choice(self.award.tier, self.award.place)
        return "none" if self.declined is not None else ""


@dataclass
class NominationAwards:
    nomination: Nomination
    lines: list[AwardLine] = field(default_factory=list)

    @property
    def undecided(self) -> int:
        return sum(1 for line in self.lines if not line.decided)

    def shown(self, limit: int) -> list[AwardLine]:
        """The first `limit` lines of the ranking, and every decided line below them."""
        return [line for n, line in enumerate(self.lines) if n < limit or line.decided]


@dataclass
class AwardsBoard:
    season: Season
    round: Round | None
    counts: TierCounts
    nominations: list[NominationAwards]
    reasons: dict[int, str]  # entry id → the reason of its latest award decision

    @property
    def undecided(self) -> int:
        return sum(n.undecided for n in self.nominations)


def final_round(session: Session, season: Season) -> Round | None:
    """The season's last round (highest number): its ranking is the one awards follow."""
    return session.scalar(select(Round).where(Round.season_id == season.id).order_by(Round.number.desc()).limit(1))


def _declines(session: Session, round: Round | None) -> dict[int, Decision]:
    if round is None:
        return {}
    return {d.entry_id: d for d in session.scalars(select(Decision).where(Decision.round_id == round.id,
                                                                           Decision.kind == NO_AWARD))}


def awards_board(session: Session, *, season: Season, counts: TierCounts = DEFAULT_COUNTS) -> AwardsBoard:
    """The final round's ranking per nomination with the suggested award, the decision taken and its reason."""
    round = final_round(session, season)
    if round is None:
        return AwardsBoard(season, None, counts, [], {})
    results = compute_results(session, round=round)
    awards = {a.entry_id: a for a in session.scalars(select(Award).where(Award.season_id == season.id))}
    declines = _declines(session, round)
    nominations = []
    for group in results.nominations:
        ranks = [(r.entry.id, r.rank) for r in group.rows]
        suggestions = suggest(ranks, counts)
        shared = {rank for _e, rank in ranks if rank is not None and sum(1 for _x, r in ranks if r == rank) > 1}
        nominations.append(NominationAwards(group.nomination, [
            AwardLine(r, suggestions.get(r.entry.id), awards.get(r.entry.id), declines.get(r.entry.id),
                      r.rank in shared) for r in group.rows]))
    return AwardsBoard(season, round, counts, nominations, latest_reasons(session, results))


def latest_reasons(session: Session, results) -> dict[int, str]:
    """The reason of each entry's latest award decision, from the audit log."""
    ids = {str(r.entry.id) for n in results.nominations for r in n.rows}
    reasons: dict[int, str] = {}
    for object_id, after in session.execute(select(AuditEvent.object_id, AuditEvent.after).where(
            AuditEvent.action == "entry.award_decision", AuditEvent.object_type == "entry")
            .order_by(AuditEvent.at, AuditEvent.id)):
        if object_id in ids:
            reasons[int(object_id)] = (after or {}).get("reason", "")
    return reasons


def parse_choice(choice: str) -> tuple[str, int | None]:
    """A form choice → (tier, place), ("none", None) for no award; raises ValidationFailed."""
    if choice not in CHOICES:
        raise ValidationFailed(_("Выберите награду из списка."), {"award": _("Выберите награду из списка.")})
    if choice.startswith("winner-"):
        return AwardTier.WINNER.value, int(choice.rsplit("-", 1)[1])
    return choice, None


def to_choice(tier: str, place: int | None) -> str:
    """(tier, place) → its form choice, the inverse of `parse_choice`."""
    return f"winner-{place}" if tier == AwardTier.WINNER.value else tier


def suggested_choice(suggestion: tuple[str, int | None] | None) -> str:
    """The form choice of a suggestion; "none" where nothing is suggested."""
    return to_choice(*suggestion) if suggestion is not None else "none"


def _state(award: Award | None, declined: Decision | None) -> dict | None:
    if award is not None:
        return {"tier": award.tier, "place": award.place}
    return {"tier": "none", "place": None} if declined is not None else None


def decide_award(session: Session, *, season: Season, entry: Entry, choice: str, reason: str, user: User,
                 now: datetime) -> Award | None:
    """Set, change or take away an entry's award ("none": no award), with a reason; audited with before and after.
    The entry's status changes only at publication."""
    tier, place = parse_choice(choice)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Укажите причину решения."), {"reason": _("Причина обязательна.")})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("Причина слишком длинная."),
                               {"reason": _("Не длиннее %(n)d символов.", n=MAX_REASON)})
    if season.results_published_at is not None:
        raise Conflict(_("Итоги сезона уже опубликованы: награды изменить нельзя."))
    if entry.season_id != season.id or entry.status not in publication.UNDER_REVIEW:
        raise Conflict(_("Награду можно назначить только заявке, прошедшей экспертизу."))
    round = final_round(session, season)
    if round is None:
        raise Conflict(_("В сезоне нет раундов экспертизы."))
    award = session.scalar(select(Award).where(Award.entry_id == entry.id))
    declined = session.scalar(select(Decision).where(Decision.round_id == round.id, Decision.entry_id == entry.id,
                                                     Decision.kind == NO_AWARD))
    before = _state(award, declined)
    if tier == "none":
        if award is not None:
            session.delete(award)
            award = None
        declined = declined or Decision(round_id=round.id, entry_id=entry.id, kind=NO_AWARD)
        declined.reason, declined.decided_by_id, declined.decided_at = reason, user.id, now
        session.add(declined)
    else:
        award = set_award(session, entry=entry, award=award, tier=tier, place=place, user=user, now=now)
        tier, place = award.tier, award.place
        if declined is not None:
            session.delete(declined)
    audit.record(session, actor=user, action="entry.award_decision", object_type="entry", object_id=entry.id,
                 before=before, after={"tier": tier, "place": place, "reason": reason}, now=now)
    session.flush()
    return award


def apply_suggestions(session: Session, *, season: Season, nomination: Nomination, counts: TierCounts, reason: str,
                      user: User, now: datetime) -> int:
    """Take the suggestion for every undecided entry of the nomination (no award where none is suggested); entries
    already decided keep their decision. Returns how many decisions were taken."""
    board = awards_board(session, season=season, counts=counts)
    group = next((n for n in board.nominations if n.nomination.id == nomination.id), None)
    if group is None:
        raise Conflict(_("В финальном раунде нет заявок этой номинации."))
    taken = 0
    for line in group.lines:
        if line.decided:
            continue
        decide_award(session, season=season, entry=line.result.entry, choice=suggested_choice(line.suggestion),
                     reason=reason, user=user, now=now)
        taken += 1
    return taken


def publication_inputs(session: Session, season: Season) -> tuple[set[int] | None, set[int]]:
    """(finalists, entries decided without an award) for the core's publication: the final round's entries."""
    round = final_round(session, season)
    if round is None:
        return None, set()
    results = compute_results(session, round=round)
    return {r.entry.id for n in results.nominations for r in n.rows}, set(_declines(session, round))


def applicant_comments(session: Session, season: Season) -> dict[int, list[str]]:
    """The jurors' comments for the applicant (never the private ones), per entry, from every round's submitted
    reviews, in round order."""
    rows = session.execute(
        select(Assignment.entry_id, Review.comment_applicant).join(Review, Review.assignment_id == Assignment.id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Round.season_id == season.id, Review.submitted_at.is_not(None),
               Assignment.status != AssignmentStatus.RECUSED.value, Review.comment_applicant != "")
        .order_by(Round.number, Assignment.id))
    comments: dict[int, list[str]] = {}
    for entry_id, text in rows:
        if text.strip():
            comments.setdefault(entry_id, []).append(text.strip())
    return comments


def preview(session: Session, *, season: Season) -> publication.PublicationPreview:
    """What publication would make public now (see `results_publication.preview_publication`)."""
    finalists, declined = publication_inputs(session, season)
    return publication.preview_publication(session, season=season, finalist_ids=finalists, declined_ids=declined)


def publish(session: Session, *, season: Season, user: User, now: datetime, storage_for,
            timeout_s: float = 10.0) -> publication.PublicationSummary:
    """Publish the season's results with the final round's decisions and the jurors' comments for applicants."""
    finalists, declined = publication_inputs(session, season)
    return publication.publish_results(session, season=season, user=user, now=now, storage_for=storage_for,
                                       comments_by_entry=applicant_comments(session, season),
                                       finalist_ids=finalists, declined_ids=declined, timeout_s=timeout_s)
