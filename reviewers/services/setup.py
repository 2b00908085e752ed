"""Rubrics and rounds of a season (the full editor comes with the organizer's console)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.models import Season, User
from portal.services import audit
from portal.services.errors import ValidationFailed
from reviewers.models import AdvanceRule, Criterion, RevealReviews, Round, Rubric

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
