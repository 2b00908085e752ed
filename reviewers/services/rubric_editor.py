"""The rubric editor: rubrics and their criteria (scale, weight, band descriptors), retired rather than deleted.

Once jurors have scored against a rubric, its scales and weights are frozen and no criterion can be added: the scores
already given keep their meaning. Texts stay editable. Change criteria only through these functions.
"""
from __future__ import annotations

import math
import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.i18n import local_decimal
from portal.models import Season, User
from portal.services import audit
from portal.services.errors import Conflict, ValidationFailed
from reviewers.engine.scoring import CriterionSpec, weighted_score
from reviewers.models import Assignment, Criterion, Review, Round, Rubric, Score

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_WEIGHT = 100
MAX_SHARE = 60  # per cent of the total weight one active criterion may carry while there are several
MAX_STEPS = 100
EPSILON = 1e-9
SCALE_FIELDS = ("scale_min", "scale_max", "scale_step")


# --- what the rubric's state allows -------------------------------------------------------------------------------

def scoring_started(session: Session, rubric: Rubric) -> bool:
    """Whether any review of a round using this rubric has a score (then scales and weights are frozen)."""
    return session.scalar(select(Score.id).join(Review, Review.id == Score.review_id)
                          .join(Assignment, Assignment.id == Review.assignment_id)
                          .join(Round, Round.id == Assignment.round_id)
                          .where(Round.rubric_id == rubric.id).limit(1)) is not None


def has_submitted_reviews(session: Session, rubric: Rubric) -> bool:
    """Whether a round using this rubric has a submitted review."""
    return session.scalar(select(Review.id).join(Assignment, Assignment.id == Review.assignment_id)
                          .join(Round, Round.id == Assignment.round_id)
                          .where(Round.rubric_id == rubric.id, Review.submitted_at.is_not(None)).limit(1)) is not None


def scored_criteria(session: Session, rubric: Rubric) -> set[int]:
    """Ids of this rubric's criteria that some score references (they cannot be deleted)."""
    ids = [c.id for c in rubric.criteria]
    return set(session.scalars(select(Score.criterion_id).where(Score.criterion_id.in_(ids)).distinct())) if ids else set()


def rounds_using(session: Session, rubric: Rubric) -> list[Round]:
    return list(session.scalars(select(Round).where(Round.rubric_id == rubric.id).order_by(Round.number)))


def round_numbers_by_rubric(session: Session, season: Season) -> dict[int, list[int]]:
    """For each rubric of the season, the numbers of the rounds that use it (in one query)."""
    numbers: dict[int, list[int]] = {}
    for rubric_id, number in session.execute(select(Round.rubric_id, Round.number)
                                             .where(Round.season_id == season.id).order_by(Round.number)):
        numbers.setdefault(rubric_id, []).append(number)
    return numbers


def weight_shares(criteria: list[Criterion]) -> dict[int, float]:
    """Each active criterion's share of the total active weight, in per cent."""
    active = [c for c in criteria if not c.retired]
    total = sum(c.weight for c in active)
    return {c.id: (c.weight / total * 100 if total else 0.0) for c in active}


def _check_shares(weights: list[tuple[str, float]]) -> str | None:
    """A refusal when one of several active criteria would carry more than MAX_SHARE % of the total weight."""
    total = sum(w for _t, w in weights)
    if len(weights) < 2 or total <= 0:
        return None
    for title, weight in weights:
        share = weight / total * 100
        if share > MAX_SHARE + EPSILON:
            return _("У критерия «%(title)s» было бы %(share)s %% общего веса, а допускается не более %(max)d %%, "
                     "пока в наборе больше одного критерия. Уравновесьте веса.",
                     title=title, share=_decimal(round(share, 1)), max=MAX_SHARE)
    return None


def _active_weights(rubric: Rubric, *, replace: Criterion | None = None, weight: float | None = None,
                    add: tuple[str, float] | None = None, drop: Criterion | None = None,
                    restore: Criterion | None = None) -> list[tuple[str, float]]:
    weights = []
    for c in rubric.criteria:
        if c is drop or (c.retired and c is not restore):
            continue
        weights.append((c.title_ru, weight if c is replace else c.weight))
    if add:
        weights.append(add)
    return weights


# --- rubrics ------------------------------------------------------------------------------------------------------

def _clean_title(session: Session, season: Season, title: str, rubric: Rubric | None = None) -> str:
    title = (title or "").strip()
    if not title or len(title) > 300:
        raise ValidationFailed(_("Проверьте название."), {"title": _("Укажите название набора критериев (до 300 символов).")})
    others = session.scalars(select(Rubric.title).where(Rubric.season_id == season.id,
                                                         Rubric.id != (rubric.id if rubric else -1)))
    if any(other.casefold() == title.casefold() for other in others):  # SQLite's lower() leaves Cyrillic alone
        raise ValidationFailed(_("Проверьте название."), {"title": _("В сезоне уже есть набор с таким названием.")})
    return title


def new_rubric(session: Session, *, season: Season, title: str, actor: User, now: datetime) -> Rubric:
    """An empty rubric; criteria are added one by one in the editor."""
    rubric = Rubric(season_id=season.id, title=_clean_title(session, season, title), created_at=now)
    session.add(rubric)
    session.flush()
    audit.record(session, actor=actor, action="rubric.create", object_type="rubric", object_id=rubric.id,
                 after={"title": rubric.title, "criteria": []}, now=now)
    return rubric


def rename_rubric(session: Session, *, rubric: Rubric, title: str, actor: User, now: datetime) -> Rubric:
    """Rename a rubric; the name is unique in its season."""
    season = session.get(Season, rubric.season_id)
    title = _clean_title(session, season, title, rubric)
    if title != rubric.title:
        audit.record(session, actor=actor, action="rubric.rename", object_type="rubric", object_id=rubric.id,
                     before={"title": rubric.title}, after={"title": title}, now=now)
        rubric.title = title
        session.flush()
    return rubric


def delete_rubric(session: Session, *, rubric: Rubric, actor: User, now: datetime) -> None:
    """Delete a rubric no round uses."""
    rounds = rounds_using(session, rubric)
    if rounds:
        raise Conflict(_("Набор критериев используется в раунде %(n)d: сначала выберите для раунда другой набор.",
                         n=rounds[0].number))
    audit.record(session, actor=actor, action="rubric.delete", object_type="rubric", object_id=rubric.id,
                 before={"title": rubric.title, "criteria": [c.code for c in rubric.criteria]}, now=now)
    session.delete(rubric)
    session.flush()


# --- criteria -----------------------------------------------------------------------------------------------------

def criterion_state(criterion: Criterion) -> dict:
    """What the audit log keeps of a criterion."""
    return {"code": criterion.code, "title_ru": criterion.title_ru, "title_en": criterion.title_en,
            "description_ru": criterion.description_ru, "description_en": criterion.description_en,
            "scale_min": criterion.scale_min, "scale_max": criterion.scale_max, "scale_step": criterion.scale_step,
            "weight": criterion.weight, "required": criterion.required, "bands": list(criterion.bands or []),
            "retired": criterion.retired, "position": criterion.position}


def season_rubrics(session: Session, season: Season) -> list[Rubric]:
    """The season's rubrics in the order they were made."""
    return list(session.scalars(select(Rubric).where(Rubric.season_id == season.id).order_by(Rubric.id)))


def parse_number(value) -> float | None:
    """A finite number from a form or JSON value; None for anything else (blank, text, booleans, inf, nan)."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _on_scale(value: float, low: float, step: float) -> bool:
    steps = (value - low) / step
    return abs(steps - round(steps)) < 1e-6


def check_bands(bands: list, low: float, high: float, step: float) -> tuple[list[dict], str | None]:
    """Bands cleaned (highest first) or the first problem, naming the line it is on (1-based, in the given order)."""
    clean = []
    for n, band in enumerate(bands or [], start=1):
        band = band if isinstance(band, dict) else {}
        b_min, b_max = parse_number(band.get("min")), parse_number(band.get("max"))
        text = str(band.get("text") or "").strip()
        if b_min is None or b_max is None:
            return [], _("Строка %(n)d: укажите границы уровня числами.", n=n)
        if b_min > b_max:
            return [], _("Строка %(n)d: нижняя граница больше верхней.", n=n)
        if b_min < low - EPSILON or b_max > high + EPSILON:
            return [], _("Строка %(n)d: уровень %(range)s выходит за шкалу %(low)s–%(high)s.", n=n,
                         range=_range(b_min, b_max), low=_num(low), high=_num(high))
        if not (_on_scale(b_min, low, step) and _on_scale(b_max, low, step)):
            return [], _("Строка %(n)d: границы должны быть значениями шкалы (шаг %(step)s).", n=n, step=_num(step))
        if not text:
            return [], _("Строка %(n)d: опишите, что означает этот уровень.", n=n)
        if len(text) > 1000:
            return [], _("Строка %(n)d: описание уровня — не более 1000 символов.", n=n)
        for other_n, other in clean:
            if b_min <= other["max"] + EPSILON and other["min"] <= b_max + EPSILON:
                return [], _("Строка %(n)d: уровень %(range)s пересекается с уровнем %(other)s из строки %(m)d.", n=n,
                             range=_range(b_min, b_max), other=_range(other["min"], other["max"]), m=other_n)
        clean.append((n, {"min": _tidy(b_min), "max": _tidy(b_max), "text": text}))
    return sorted((b for _n, b in clean), key=lambda b: -b["min"]), None


def _clean_criterion(data: dict, rubric: Rubric, criterion: Criterion | None) -> tuple[dict, dict[str, str]]:
    """The criterion's fields checked on their own (code, texts, scale, weight, bands)."""
    errors: dict[str, str] = {}
    clean: dict = {}
    code = str(data.get("code") or "").strip()
    if not CODE.match(code):
        errors["code"] = _("Код: латинские строчные буквы, цифры и подчёркивание, начинается с буквы, до 40 символов.")
    elif any(c.code == code and c is not criterion for c in rubric.criteria):
        errors["code"] = _("В этом наборе уже есть критерий с таким кодом.")
    clean["code"] = code
    for field, limit in (("title_ru", 300), ("title_en", 300), ("description_ru", 5000), ("description_en", 5000)):
        clean[field] = str(data.get(field) or "").strip()
        if len(clean[field]) > limit:
            errors[field] = _("Не более %(n)d символов.", n=limit)
    if not clean["title_ru"]:
        errors["title_ru"] = _("Укажите название критерия.")
    low, high, step = (parse_number(data.get(f)) for f in SCALE_FIELDS)
    weight = parse_number(data.get("weight"))
    for field, value in (("scale_min", low), ("scale_max", high), ("scale_step", step), ("weight", weight)):
        if value is None:
            errors[field] = _("Ожидается число.")
    if low is not None and high is not None and high <= low:
        errors["scale_max"] = _("Максимум шкалы должен быть больше минимума.")
    if step is not None and step <= 0:
        errors["scale_step"] = _("Шаг должен быть больше нуля.")
    elif None not in (low, high, step) and high > low:
        if not _on_scale(high, low, step):
            errors["scale_step"] = _("Шаг должен укладываться в шкалу целое число раз: от %(low)s до %(high)s.",
                                     low=_num(low), high=_num(high))
        elif (high - low) / step > MAX_STEPS + EPSILON:
            errors["scale_step"] = _("В шкале не может быть больше %(n)d шагов.", n=MAX_STEPS)
    if weight is not None and not 0 < weight <= MAX_WEIGHT:
        errors["weight"] = _("Вес — больше 0 и не больше %(max)d.", max=MAX_WEIGHT)
    clean.update(scale_min=low, scale_max=high, scale_step=step, weight=weight, required=bool(data.get("required")))
    if not any(f in errors for f in (*SCALE_FIELDS,)):
        clean["bands"], problem = check_bands(data.get("bands") or [], low, high, step)
        if problem:
            errors["bands"] = problem
    return clean, errors


def _frozen_message() -> str:
    return _("Эксперты уже выставляют оценки по этому набору критериев, поэтому шкалу и вес менять нельзя: "
             "выставленные баллы потеряли бы смысл. Тексты можно править.")


def add_criterion(session: Session, *, rubric: Rubric, data: dict, actor: User, now: datetime) -> Criterion:
    """Add a criterion at the end. Refused once jurors have scored against the rubric."""
    if scoring_started(session, rubric):
        raise Conflict(_("Эксперты уже выставляют оценки по этому набору критериев: новый критерий добавить нельзя, "
                         "у уже выставленных оценок его не было бы."))
    clean, errors = _clean_criterion(data, rubric, None)
    if not errors:
        problem = _check_shares(_active_weights(rubric, add=(clean["title_ru"], clean["weight"])))
        if problem:
            errors["weight"] = problem
    if errors:
        raise ValidationFailed(_("Проверьте критерий."), errors)
    position = max((c.position for c in rubric.criteria), default=-1) + 1
    criterion = Criterion(position=position, **clean)
    rubric.criteria.append(criterion)
    session.flush()
    audit.record(session, actor=actor, action="criterion.add", object_type="criterion", object_id=criterion.id,
                 after={"rubric_id": rubric.id, **criterion_state(criterion)}, now=now)
    return criterion


def update_criterion(session: Session, *, criterion: Criterion, data: dict, actor: User, now: datetime) -> Criterion:
    """Edit a criterion. After scoring started only texts (band texts included) and `required` may change."""
    rubric = criterion.rubric
    clean, errors = _clean_criterion(data, rubric, criterion)
    locked = scoring_started(session, rubric)
    if locked:
        frozen = {field: _frozen_message() for field in (*SCALE_FIELDS, "weight")
                  if clean[field] is not None and abs(clean[field] - getattr(criterion, field)) > EPSILON}
        if frozen:  # say why first; the bands are then checked against the scale that stays
            errors.pop("bands", None)
            errors.update(frozen)
    if not errors and locked:
        ranges = [(b["min"], b["max"]) for b in clean["bands"]]
        if ranges != [(b["min"], b["max"]) for b in sorted(criterion.bands or [], key=lambda b: -b["min"])]:
            errors["bands"] = _("Эксперты уже выставляют оценки по этому набору критериев: границы уровней менять "
                                "нельзя, только их описания.")
    if not errors and not criterion.retired and abs(clean["weight"] - criterion.weight) > EPSILON:
        problem = _check_shares(_active_weights(rubric, replace=criterion, weight=clean["weight"]))
        if problem:
            errors["weight"] = problem
    if errors:
        raise ValidationFailed(_("Проверьте критерий."), errors)
    before = criterion_state(criterion)
    for field, value in clean.items():
        setattr(criterion, field, value)
    after = criterion_state(criterion)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        session.flush()
        audit.record(session, actor=actor, action="criterion.update", object_type="criterion", object_id=criterion.id,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, now=now)
    return criterion


def retire_criterion(session: Session, *, criterion: Criterion, actor: User, now: datetime) -> Criterion:
    """Take a criterion out of judging; its scores stay but no longer count: reviews already submitted get their
    weighted score again over the remaining criteria, so a round never mixes two weightings. A rubric with submitted
    reviews keeps one active criterion."""
    if criterion.retired:
        raise Conflict(_("Критерий уже выведен из набора."))
    rubric = criterion.rubric
    if len(rubric.active_criteria) == 1 and has_submitted_reviews(session, rubric):
        raise Conflict(_("Это последний действующий критерий, а по набору уже отправлены оценки: "
                         "вывести его нельзя."))
    remaining = [c for c in rubric.active_criteria if c is not criterion]
    rescored = _rescore(session, rubric, remaining)
    return _set_retired(session, criterion, True, _active_weights(rubric, drop=criterion), actor=actor, now=now,
                        extra={"rescored_reviews": len(rescored)} if rescored else {}, apply=rescored)


def _rescore(session: Session, rubric: Rubric, criteria: list[Criterion]) -> dict[Review, float]:
    """The new weighted score of every submitted review of the rubric's rounds over `criteria` (those it scored, as
    `submit_review` counts them), not yet stored. Refused when a review would keep no score at all."""
    reviews = session.scalars(select(Review).join(Assignment, Assignment.id == Review.assignment_id)
                              .join(Round, Round.id == Assignment.round_id)
                              .where(Round.rubric_id == rubric.id, Review.submitted_at.is_not(None))
                              .options(selectinload(Review.scores))).all()
    new = {}
    for review in reviews:
        values = {s.criterion_id: s.value for s in review.scores}
        specs = [CriterionSpec(id=c.id, weight=c.weight, min=c.scale_min, max=c.scale_max)
                 for c in criteria if c.id in values]
        if not specs:
            raise Conflict(_("У отправленной оценки не останется ни одного балла по действующим критериям: "
                             "вывести этот критерий нельзя."))
        new[review] = weighted_score({s.id: values[s.id] for s in specs}, specs)
    return new


def restore_criterion(session: Session, *, criterion: Criterion, actor: User, now: datetime) -> Criterion:
    """Bring a retired criterion back into judging; refused once scoring started (it would be a new criterion)."""
    if not criterion.retired:
        raise Conflict(_("Критерий и так действует."))
    rubric = criterion.rubric
    if scoring_started(session, rubric):
        raise Conflict(_("Эксперты уже выставляют оценки по этому набору критериев: вернуть критерий нельзя, "
                         "у уже выставленных оценок его не было бы."))
    return _set_retired(session, criterion, False, _active_weights(rubric, restore=criterion), actor=actor, now=now)


def _set_retired(session: Session, criterion: Criterion, retired: bool, weights_after: list[tuple[str, float]], *,
                 actor: User, now: datetime, extra: dict | None = None,
                 apply: dict[Review, float] | None = None) -> Criterion:
    """Retire or restore once the caller's rules allow it, provided the active weights after it keep their shares;
    `apply`: reviews' new weighted scores to store with it."""
    problem = _check_shares(weights_after)
    if problem:
        raise Conflict(problem)
    criterion.retired = retired
    for review, score in (apply or {}).items():
        review.weighted_score = score
    session.flush()
    audit.record(session, actor=actor, action="criterion.retire" if retired else "criterion.restore",
                 object_type="criterion", object_id=criterion.id, before={"retired": not retired},
                 after={"retired": retired, "code": criterion.code, **(extra or {})}, now=now)
    return criterion


def delete_criterion(session: Session, *, criterion: Criterion, actor: User, now: datetime) -> None:
    """Delete a criterion no score references; it also leaves the rounds' tie-break lists."""
    if session.scalar(select(Score.id).where(Score.criterion_id == criterion.id).limit(1)) is not None:
        raise Conflict(_("По этому критерию уже есть оценки экспертов: удалить его нельзя, выведите его из набора."))
    rubric = criterion.rubric
    if not criterion.retired:
        if len(rubric.active_criteria) == 1 and has_submitted_reviews(session, rubric):
            raise Conflict(_("Это последний действующий критерий, а по набору уже отправлены оценки: "
                             "удалить его нельзя."))
        problem = _check_shares(_active_weights(rubric, drop=criterion))
        if problem:
            raise Conflict(problem)
    for round in rounds_using(session, rubric):
        if criterion.id in (round.tie_break_criteria or []):
            round.tie_break_criteria = [c for c in round.tie_break_criteria if c != criterion.id]
    audit.record(session, actor=actor, action="criterion.delete", object_type="criterion", object_id=criterion.id,
                 before={"rubric_id": rubric.id, **criterion_state(criterion)}, now=now)
    rubric.criteria.remove(criterion)
    session.flush()


def move_criterion(session: Session, *, criterion: Criterion, offset: int, actor: User, now: datetime) -> Criterion:
    """Move a criterion up (offset −1) or down (+1) in the rubric's order."""
    criteria = list(criterion.rubric.criteria)
    index = criteria.index(criterion)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(criteria):
        raise Conflict(_("Критерий уже на краю списка."))
    before = [c.code for c in criteria]
    criteria[index], criteria[target] = criteria[target], criteria[index]
    for position, c in enumerate(criteria):
        c.position = position
    session.flush()
    criterion.rubric.criteria.sort(key=lambda c: c.position)
    audit.record(session, actor=actor, action="criterion.move", object_type="rubric", object_id=criterion.rubric_id,
                 before={"order": before}, after={"order": [c.code for c in criteria]}, now=now)
    return criterion


# --- helpers ------------------------------------------------------------------------------------------------------

def _tidy(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _num(value: float) -> str:
    return f"{value:g}"


def _decimal(value: float) -> str:
    """A number as people of the current locale write it: 66,7 in Russian, 66.7 in English."""
    text = _num(value)
    return local_decimal(text)


def _range(low: float, high: float) -> str:
    return _num(low) if low == high else f"{_num(low)}–{_num(high)}"
