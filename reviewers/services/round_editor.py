"""The rounds editor: a round's rubric, panel size, window, visibility switches, advancement rule and tie-breaks.

The timeline stays in order (round 1 after submissions close, rounds one after another in their numbers, all before
the results), and what judging already relies on is frozen: the rubric and panel size once jurors are assigned, the
tie-break order once a review is submitted (it is declared before judging).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.i18n import locale_code
from portal.models import Season, User
from portal.services import audit
from portal.services.errors import Conflict, ValidationFailed
from portal.timefmt import format_moment
from reviewers.services.rubric_editor import parse_number
from reviewers.models import AdvanceRule, Assignment, PoolMember, RevealReviews, Review, Round, Rubric

MAX_REVIEWERS = 15
FIELDS = ("title", "rubric_id", "reviewers_per_entry", "opens_at", "closes_at", "blind", "hide_region", "reveal_reviews",
          "advance_rule", "advance_value", "disagreement_threshold", "tie_break_criteria")


def has_assignments(session: Session, round: Round) -> bool:
    return session.scalar(select(Assignment.id).where(Assignment.round_id == round.id).limit(1)) is not None


def has_submitted_reviews(session: Session, round: Round) -> bool:
    return session.scalar(select(Review.id).join(Assignment, Assignment.id == Review.assignment_id)
                          .where(Assignment.round_id == round.id, Review.submitted_at.is_not(None)).limit(1)) is not None


def round_state(round: Round) -> dict:
    """What the audit log keeps of a round."""
    return {"number": round.number, "title": round.title, "rubric_id": round.rubric_id,
            "reviewers_per_entry": round.reviewers_per_entry, "opens_at": audit.plain(round.opens_at),
            "closes_at": audit.plain(round.closes_at), "blind": round.blind, "hide_region": round.hide_region,
            "reveal_reviews": round.reveal_reviews, "advance_rule": round.advance_rule,
            "advance_value": round.advance_value, "disagreement_threshold": round.disagreement_threshold,
            "tie_break_criteria": list(round.tie_break_criteria or [])}


def _when(moment: datetime, season: Season) -> str:
    return format_moment(moment, season.time_zone, locale_code())


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _clean(session: Session, season: Season, data: dict, round: Round | None) -> dict:
    """Every field checked; raises ValidationFailed with all the problems at once."""
    errors: dict[str, str] = {}
    clean: dict = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Укажите название раунда (до 200 символов).")
    clean["title"] = title
    rubric = session.get(Rubric, _int(data.get("rubric_id")) or 0)
    if rubric is None or rubric.season_id != season.id:
        errors["rubric_id"] = _("Выберите набор критериев этого сезона.")
    elif not rubric.active_criteria:
        errors["rubric_id"] = _("В этом наборе нет действующих критериев.")
    clean["rubric_id"] = rubric.id if rubric is not None else None
    k = _int(data.get("reviewers_per_entry"))
    if k is None or not 1 <= k <= MAX_REVIEWERS:
        errors["reviewers_per_entry"] = _("От 1 до %(n)d экспертов на заявку.", n=MAX_REVIEWERS)
    clean["reviewers_per_entry"] = k
    for field in ("opens_at", "closes_at"):
        value = data.get(field)
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[field] = _("Укажите дату и время.")
            clean[field] = None
        else:
            clean[field] = value.astimezone(timezone.utc)
    clean["blind"], clean["hide_region"] = bool(data.get("blind")), bool(data.get("hide_region"))
    clean["reveal_reviews"] = data.get("reveal_reviews")
    if clean["reveal_reviews"] not in {r.value for r in RevealReviews}:
        errors["reveal_reviews"] = _("Неизвестный режим.")
    clean["advance_rule"] = rule = data.get("advance_rule")
    value = parse_number(data.get("advance_value"))
    if rule == AdvanceRule.TOP_PERCENT.value:
        if value is None or not 0 < value <= 100:
            errors["advance_value"] = _("Доля проходящих дальше — больше 0 и не больше 100 процентов.")
    elif rule == AdvanceRule.TOP_N.value:
        if value is None or not value.is_integer() or value < 1:
            errors["advance_value"] = _("Число проходящих дальше — целое, не меньше 1.")
    else:
        errors["advance_rule"] = _("Неизвестное правило.")
    clean["advance_value"] = value
    threshold = parse_number(data.get("disagreement_threshold"))
    if threshold is None or not 0 < threshold <= 100:
        errors["disagreement_threshold"] = _("Порог расхождения — больше 0 и не больше 100 баллов.")
    clean["disagreement_threshold"] = threshold
    tie_breaks = [_int(c) for c in (data.get("tie_break_criteria") or []) if c not in (None, "", 0, "0")]
    # An unchanged list is not checked again (a criterion retired since may stay in it), unless the rubric changes.
    unchanged = (round is not None and tie_breaks == list(round.tie_break_criteria or [])
                 and rubric is not None and rubric.id == round.rubric_id)
    if rubric is not None and "rubric_id" not in errors and not unchanged:
        active = {c.id: c for c in rubric.active_criteria}
        if any(c not in active for c in tie_breaks):
            errors["tie_break_criteria"] = _("Для разрешения равенства выберите действующие критерии выбранного набора.")
        elif len(set(tie_breaks)) != len(tie_breaks):
            errors["tie_break_criteria"] = _("Каждый критерий можно указать в порядке разрешения равенства один раз.")
    clean["tie_break_criteria"] = tie_breaks
    if not any(f in errors for f in ("opens_at", "closes_at")):
        _check_timeline(session, season, clean, round, errors)
    if round is not None:
        _check_frozen(session, round, clean, errors)
    if errors:
        raise ValidationFailed(_("Проверьте параметры раунда."), errors)
    return clean


def earliest_start(session: Session, season: Season) -> datetime:
    """Where a new round may start: when the last round closes, or when submissions close before round 1."""
    last = session.scalar(select(Round.closes_at).where(Round.season_id == season.id)
                          .order_by(Round.number.desc()).limit(1))
    return last or season.submissions_close_at


def _check_timeline(session: Session, season: Season, clean: dict, round: Round | None, errors: dict) -> None:
    opens, closes = clean["opens_at"], clean["closes_at"]
    if closes <= opens:
        errors["closes_at"] = _("Окончание раунда должно быть позже начала.")
        return
    others = list(session.scalars(select(Round).where(Round.season_id == season.id,
                                                      Round.id != (round.id if round else -1))))
    number = round.number if round else max((r.number for r in others), default=0) + 1
    earlier = [r for r in others if r.number < number]
    later = [r for r in others if r.number > number]
    if not earlier and opens < season.submissions_close_at:
        errors["opens_at"] = _("Первый раунд может начаться не раньше окончания приёма заявок: %(when)s.",
                               when=_when(season.submissions_close_at, season))
    if earlier:
        previous = max(earlier, key=lambda r: r.number)
        if opens < previous.closes_at:
            errors["opens_at"] = _("Раунд может начаться не раньше окончания раунда %(n)d: %(when)s.",
                                   n=previous.number, when=_when(previous.closes_at, season))
    if later:
        following = min(later, key=lambda r: r.number)
        if closes > following.opens_at:
            errors["closes_at"] = _("Раунд должен закончиться не позже начала раунда %(n)d: %(when)s.",
                                    n=following.number, when=_when(following.opens_at, season))
    if season.results_planned_at is not None and closes > season.results_planned_at:
        errors["closes_at"] = _("Раунд должен закончиться не позже объявления итогов: %(when)s.",
                                when=_when(season.results_planned_at, season))


def _check_frozen(session: Session, round: Round, clean: dict, errors: dict) -> None:
    if has_assignments(session, round):
        if clean["rubric_id"] is not None and clean["rubric_id"] != round.rubric_id:
            errors["rubric_id"] = _("В раунде уже есть назначения экспертов: набор критериев менять нельзя.")
        if clean["reviewers_per_entry"] is not None and clean["reviewers_per_entry"] != round.reviewers_per_entry:
            errors["reviewers_per_entry"] = _("В раунде уже есть назначения экспертов: число экспертов на заявку "
                                              "менять нельзя.")
    if clean["tie_break_criteria"] != list(round.tie_break_criteria or []) and has_submitted_reviews(session, round):
        errors["tie_break_criteria"] = _("Эксперты уже отправили оценки: порядок разрешения равенства объявлен до "
                                         "начала экспертизы и меняться не может.")


def new_round(session: Session, *, season: Season, data: dict, actor: User, now: datetime) -> Round:
    """Add the next round of the season (number = last + 1) after checking every field and the timeline."""
    clean = _clean(session, season, data, None)
    number = (session.scalar(select(func.max(Round.number)).where(Round.season_id == season.id)) or 0) + 1
    round = Round(season_id=season.id, number=number, created_at=now, **clean)
    session.add(round)
    session.flush()
    audit.record(session, actor=actor, action="round.create", object_type="round", object_id=round.id,
                 after=round_state(round), now=now)
    return round


def update_round(session: Session, *, round: Round, data: dict, actor: User, now: datetime) -> Round:
    """Change a round's settings; what judging already relies on stays as it is."""
    season = session.get(Season, round.season_id)
    clean = _clean(session, season, data, round)
    before = round_state(round)
    for field, value in clean.items():
        setattr(round, field, value)
    session.flush()
    session.expire(round, ["rubric"])
    after = round_state(round)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(session, actor=actor, action="round.update", object_type="round", object_id=round.id,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, now=now)
    return round


def delete_round(session: Session, *, round: Round, actor: User, now: datetime) -> None:
    """Delete the season's last round while it has no assignments (its pools go with it)."""
    if has_assignments(session, round):
        raise Conflict(_("В раунде уже есть назначения экспертов: удалить его нельзя."))
    last = session.scalar(select(func.max(Round.number)).where(Round.season_id == round.season_id))
    if round.number != last:
        raise Conflict(_("Удалить можно только последний раунд сезона: номера раундов идут по порядку."))
    session.execute(delete(PoolMember).where(PoolMember.round_id == round.id))
    audit.record(session, actor=actor, action="round.delete", object_type="round", object_id=round.id,
                 before=round_state(round), now=now)
    session.delete(round)
    session.flush()


