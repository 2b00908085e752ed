"""Rubrics and rounds of a season built in one call (the standard rubric, rounds for tests and the demo), and the
copy of a season's judging set-up. The editors with their rules are `rubric_editor` and `round_editor`."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Season, User
from portal.services import audit
from portal.services.errors import ValidationFailed
from reviewers.models import AdvanceRule, Criterion, RevealReviews, Round, Rubric

CRITERION_FIELDS = ("position", "code", "title_ru", "title_en", "description_ru", "description_en", "scale_min",
                    "scale_max", "scale_step", "weight", "required", "retired")
ROUND_FIELDS = ("number", "title", "reviewers_per_entry", "blind", "hide_region", "reveal_reviews", "advance_rule",
                "advance_value", "disagreement_threshold")

# The criteria such contests use (SPEC §2), each 1–10, with band descriptors.
STANDARD_CRITERIA = (
    ("results", "Результативность", "Results", 1.5,
     "Измеримые результаты практики и их связь с поставленными целями."),
    ("efficiency", "Эффективность", "Efficiency", 1.0,
     "Соотношение затраченных ресурсов и достигнутых результатов."),
    ("novelty", "Уникальность и новизна", "Novelty", 1.0,
     "Чем практика отличается от распространённых подходов."),
    ("replicability", "Тиражируемость", "Replicability", 1.25,
     "Насколько легко другая организация может повторить практику."),
    ("scalability", "Масштабируемость", "Scalability", 0.75,
     "Возможность расширить практику на большее число участников и территорий."),
)
STANDARD_BANDS = [
    {"min": 9, "max": 10, "text": "Образцовый уровень: подтверждено данными, готово к распространению."},
    {"min": 6, "max": 8, "text": "Хороший уровень: есть подтверждения, отдельные пробелы."},
    {"min": 3, "max": 5, "text": "Частично: заявлено, но слабо подтверждено."},
    {"min": 1, "max": 2, "text": "Не раскрыто в материалах заявки."},
]


def create_rubric(session: Session, *, season: Season, title: str, criteria: list[dict], actor: User | None,
                  now: datetime) -> Rubric:
    """A rubric with criteria given as dicts (code, title_ru, title_en, description_ru, weight, scale_min, scale_max,
    scale_step, bands, required)."""
    if not criteria:
        raise ValidationFailed(_("Добавьте хотя бы один критерий."), {"criteria": _("Нужен хотя бы один критерий.")})
    rubric = Rubric(season_id=season.id, title=title, created_at=now)
    for position, spec in enumerate(criteria):
        rubric.criteria.append(Criterion(position=position, required=spec.get("required", True),
                                         bands=spec.get("bands", []), **{k: v for k, v in spec.items()
                                                                         if k not in ("required", "bands")}))
    session.add(rubric)
    session.flush()
    audit.record(session, actor=actor, action="rubric.create", object_type="rubric", object_id=rubric.id,
                 after={"criteria": [c["code"] for c in criteria]}, now=now)
    return rubric


def standard_rubric(session: Session, *, season: Season, actor: User | None, now: datetime) -> Rubric:
    """The five usual criteria, 1–10, weighted, with band descriptors."""
    return create_rubric(session, season=season, title=_("Критерии экспертной оценки"), actor=actor, now=now, criteria=[
        {"code": code, "title_ru": ru, "title_en": en, "description_ru": description, "weight": weight,
         "scale_min": 1, "scale_max": 10, "scale_step": 1, "bands": STANDARD_BANDS}
        for code, ru, en, weight, description in STANDARD_CRITERIA])


def create_round(session: Session, *, season: Season, number: int, title: str, rubric: Rubric, opens_at: datetime,
                 closes_at: datetime, reviewers_per_entry: int = 3, blind: bool = True, hide_region: bool = False,
                 reveal_reviews: str = RevealReviews.NEVER.value, advance_rule: str = AdvanceRule.TOP_N.value,
                 advance_value: float = 10, disagreement_threshold: float = 15.0,
                 tie_break_criteria: list[int] | None = None, actor: User | None, now: datetime) -> Round:
    """A round with its switches; tie-break criteria default to the rubric's order, declared before judging."""
    errors = {}
    if closes_at <= opens_at:
        errors["closes_at"] = _("Окончание раунда должно быть позже начала.")
    if reviewers_per_entry < 1:
        errors["reviewers_per_entry"] = _("Нужен хотя бы один эксперт на заявку.")
    if reveal_reviews not in {r.value for r in RevealReviews}:
        errors["reveal_reviews"] = _("Неизвестный режим.")
    if advance_rule not in {r.value for r in AdvanceRule}:
        errors["advance_rule"] = _("Неизвестное правило.")
    if errors:
        raise ValidationFailed(_("Проверьте параметры раунда."), errors)
    round = Round(season_id=season.id, number=number, title=title, rubric_id=rubric.id, opens_at=opens_at,
                  closes_at=closes_at, reviewers_per_entry=reviewers_per_entry, blind=blind, hide_region=hide_region,
                  reveal_reviews=reveal_reviews, advance_rule=advance_rule, advance_value=advance_value,
                  disagreement_threshold=disagreement_threshold,
                  tie_break_criteria=tie_break_criteria or [c.id for c in rubric.active_criteria], created_at=now)
    session.add(round)
    session.flush()
    audit.record(session, actor=actor, action="round.create", object_type="round", object_id=round.id,
                 after={"number": number, "blind": blind, "k": reviewers_per_entry}, now=now)
    return round


def copy_judging_setup(session: Session, *, source: Season, target: Season, nomination_ids: dict[int, int], shift,
                       actor: User | None, now: datetime) -> dict:
    """Copy the source season's rubrics (criteria with their retired flags and bands) and rounds into `target` (a
    `season_copiers` hook of the copy-season action). Round dates go through `shift`, tie-break criteria point to the
    copies; pools, assignments and reviews stay behind. Rubrics are per season, so `nomination_ids` is not needed."""
    rubric_ids: dict[int, int] = {}
    criterion_ids: dict[int, int] = {}
    rubrics = session.scalars(select(Rubric).where(Rubric.season_id == source.id).order_by(Rubric.id)).all()
    for rubric in rubrics:
        copy = Rubric(season_id=target.id, title=rubric.title, created_at=now)
        pairs = []
        for criterion in rubric.criteria:
            twin = Criterion(**{field: getattr(criterion, field) for field in CRITERION_FIELDS})
            twin.bands = [dict(band) for band in criterion.bands or []]
            copy.criteria.append(twin)
            pairs.append((criterion, twin))
        session.add(copy)
        session.flush()
        rubric_ids[rubric.id] = copy.id
        criterion_ids.update({old.id: new.id for old, new in pairs})
        audit.record(session, actor=actor, action="rubric.create", object_type="rubric", object_id=copy.id,
                     after={"title": copy.title, "criteria": [c.code for c in copy.criteria],
                            "copied_from": rubric.id}, now=now)
    rounds = session.scalars(select(Round).where(Round.season_id == source.id).order_by(Round.number)).all()
    for round in rounds:
        copy = Round(season_id=target.id, rubric_id=rubric_ids[round.rubric_id], opens_at=shift(round.opens_at),
                     closes_at=shift(round.closes_at), created_at=now,
                     tie_break_criteria=[criterion_ids[c] for c in round.tie_break_criteria or [] if c in criterion_ids],
                     **{field: getattr(round, field) for field in ROUND_FIELDS})
        session.add(copy)
        session.flush()
        audit.record(session, actor=actor, action="round.create", object_type="round", object_id=copy.id,
                     after={"number": copy.number, "rubric_id": copy.rubric_id, "copied_from": round.id}, now=now)
    return {"rubrics": len(rubrics), "rounds": len(rounds)}
