"""Organizer endpoints of the jury API: automatic assignment of a round (preview or apply) and the rankings."""
from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from portal.api import json_body, require_user
from portal.extensions import db
from portal.models import Season, User, utcnow
from portal.services.errors import Forbidden, NotFound, ValidationFailed
from reviewers.api import bp
from reviewers.engine.assignment import AssignmentPlan
from reviewers.models import Round
from reviewers.permissions import can_manage_judging
from reviewers.services import assignment as assignment_service
from reviewers.services import exports, results as results_service

FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def require_staff() -> User:
    user = require_user()
    if not can_manage_judging(user):
        raise Forbidden(_("Доступно только организаторам конкурса."))
    return user


def load_season(slug: str) -> Season:
    season = db.session.scalar(select(Season).where(Season.slug == slug))
    if season is None:
        raise NotFound(_("Сезон не найден."))
    return season


def plan_to_dict(plan: AssignmentPlan, *, applied: bool) -> dict:
    return {
        "new": [[e, j] for e, j in plan.new],
        "kept": [[e, j] for e, j in plan.kept],
        "problems": [{"entry_id": p.entry_id, "juror_id": p.juror_id, "code": p.code, "message": p.message}
                     for p in plan.problems],
        "loads": {str(j): n for j, n in sorted(plan.loads.items())},
        "same_region": plan.same_region,
        "explanation": list(plan.explanation),
        "applied": applied,
    }


@bp.post("/seasons/<slug>/rounds/<int:number>/assign")
def assign_round(slug: str, number: int):
    user = require_staff()
    season = load_season(slug)
    round = assignment_service.get_round(db.session, season_id=season.id, number=number)
    preview = json_body().get("preview", True)
    if not isinstance(preview, bool):
        raise ValidationFailed(_("Проверьте поля запроса."), {"preview": _("Ожидается true или false.")})
    if preview:
        plan, _inputs = assignment_service.plan_assignment(db.session, round=round)
        return jsonify(plan_to_dict(plan, applied=False))
    plan = assignment_service.apply_assignment(db.session, round=round, actor=user, now=utcnow())
    if plan.problems:
        db.session.rollback()
        return jsonify(plan_to_dict(plan, applied=False))
    db.session.commit()
    return jsonify(plan_to_dict(plan, applied=True))


def ranking_round(season: Season) -> Round:
    """The round named by `?round=` (default: the season's last round)."""
    value = request.args.get("round")
    if value is not None and not (value.isdigit() and int(value) >= 1):
        raise ValidationFailed(_("Проверьте параметры запроса."), {"round": _("Номер раунда: целое число от 1.")})
    if value is not None:
        return assignment_service.get_round(db.session, season_id=season.id, number=int(value))
    round = db.session.scalar(select(Round).where(Round.season_id == season.id).order_by(Round.number.desc()).limit(1))
    if round is None:
        raise NotFound(_("Раунд не найден."))
    return round


def _two(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def results_to_dict(results: results_service.RoundResults) -> dict:
    shortlist = results_service.proposed_shortlist(results)
    return {
        "round": results.round.number,
        "nominations": [{
            "code": n.nomination.code, "title": n.nomination.title_ru, "alpha": _two(n.alpha),
            "entries": [{"id": r.entry.id, "title": r.entry.title, "rank": r.rank, "raw_mean": _two(r.raw_mean),
                         "normalised_mean": _two(r.normalised_mean), "spread": _two(r.spread), "flagged": r.flagged,
                         "reviews": len(r.reviews), "assigned": r.assigned, "tie_explanation": r.tie_explanation,
                         "shortlisted": r.entry.id in shortlist} for r in n.rows],
        } for n in results.nominations],
        "jurors": [{"id": j, "name": results.juror_names.get(j, ""), "severity": _two(offset), "reviews": count}
                   for j, (offset, count) in sorted(results.severity.items())],
    }


@bp.get("/seasons/<slug>/rankings")
def get_rankings(slug: str):
    require_staff()
    season = load_season(slug)
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise ValidationFailed(_("Проверьте параметры запроса."), {"format": _("json, csv или xlsx.")})
    round = ranking_round(season)
    results = results_service.compute_results(db.session, round=round)
    if fmt == "json":
        return jsonify(results_to_dict(results))
    body, mimetype = ((exports.rankings_csv(results), "text/csv; charset=utf-8") if fmt == "csv"
                      else (exports.rankings_xlsx(results), XLSX_TYPE))
    name = f"rankings-{season.slug}-round{round.number}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
