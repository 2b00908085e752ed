"""Organizer endpoints of the jury API for results: the awards board, one award decision, the publication preview
and the publication itself (SPEC §7)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from portal.api import json_body
from portal.extensions import db
from portal.models import AwardTier, Entry, Season, utcnow
from portal.services.awards import TIERS
from portal.services.errors import NotFound, ValidationFailed
from portal.services.results_publication import PublicationPreview
from portal.storage import backend_named
from reviewers.api import bp
from reviewers.api.judging import load_season, require_staff
from reviewers.services import awarding

MAX_REASON = awarding.MAX_REASON


def _two(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _pair(tier: str | None, place: int | None) -> dict:
    return {"tier": tier, "place": place}


def line_to_dict(line: awarding.AwardLine, reasons: dict[int, str]) -> dict:
    """One row of the final round's ranking with its suggested award and the decision taken (null: undecided)."""
    entry = line.result.entry
    decision = None
    if line.award is not None:
        decision = {**_pair(line.award.tier, line.award.place), "reason": reasons.get(entry.id, "")}
    elif line.declined is not None:
        decision = {**_pair(None, None), "reason": line.declined.reason or ""}
    return {"id": entry.id, "title": entry.title, "rank": line.result.rank,
            "normalised_mean": _two(line.result.normalised_mean), "tied": line.tied,
            "suggestion": _pair(*line.suggestion) if line.suggestion else None, "decision": decision}


def board_to_dict(board: awarding.AwardsBoard) -> dict:
    return {
        "round": board.round.number if board.round is not None else None,
        "published": board.season.results_published_at is not None,
        "undecided": board.undecided,
        "nominations": [{"code": n.nomination.code, "title": n.nomination.title_ru, "undecided": n.undecided,
                         "entries": [line_to_dict(line, board.reasons) for line in n.lines]}
                        for n in board.nominations],
    }


@bp.get("/seasons/<slug>/awards")
def get_awards(slug: str):
    require_staff()
    season = load_season(slug)
    board = awarding.awards_board(db.session, season=season, counts=awarding.parse_counts(request.args))
    return jsonify(board_to_dict(board))


def parse_decision(data: dict) -> tuple[str, str]:
    """The request body → (the service's choice, reason); raises ValidationFailed naming every bad field."""
    errors = {}
    tier, place, reason = data.get("tier"), data.get("place"), data.get("reason", "")
    if tier is not None and tier not in TIERS:
        errors["tier"] = _("Одно из значений: %(values)s или null (без награды).", values=", ".join(TIERS))
    if place is not None and (not isinstance(place, int) or isinstance(place, bool) or not 1 <= place <= 3):
        errors["place"] = _("Место победителя — 1, 2 или 3.")
    elif tier == AwardTier.WINNER.value and place is None:
        errors["place"] = _("Место победителя — 1, 2 или 3.")
    elif place is not None and tier != AwardTier.WINNER.value:
        errors["place"] = _("Место указывается только для победителей.")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = _("Причина обязательна.")
    elif len(reason.strip()) > MAX_REASON:
        errors["reason"] = _("Не длиннее %(n)d символов.", n=MAX_REASON)
    if errors:
        raise ValidationFailed(_("Проверьте поля запроса."), errors)
    return ("none" if tier is None else awarding.to_choice(tier, place)), reason


@bp.put("/seasons/<slug>/awards/<int:entry_id>")
def put_award(slug: str, entry_id: int):
    user = require_staff()
    season = load_season(slug)
    choice, reason = parse_decision(json_body())
    entry = db.session.scalar(select(Entry).where(Entry.id == entry_id, Entry.season_id == season.id))
    if entry is None:
        raise NotFound(_("Заявка не найдена."))
    award = awarding.decide_award(db.session, season=season, entry=entry, choice=choice, reason=reason, user=user,
                                  now=utcnow())
    db.session.commit()
    pair = _pair(award.tier, award.place) if award is not None else _pair(None, None)
    return jsonify({"id": entry.id, "decision": {**pair, "reason": reason.strip()}})


def local_moment(season: Season, value) -> str | None:
    return value.astimezone(ZoneInfo(season.time_zone)).isoformat() if value else None


def preview_to_dict(preview: PublicationPreview) -> dict:
    return {
        "published": preview.published,
        "published_at": local_moment(preview.season, preview.season.results_published_at),
        "awards": preview.awards,
        "hidden": preview.hidden,
        "library_new": preview.library_new,
        "not_awarded": preview.not_awarded,
        "applicants": preview.applicants,
        "undecided_count": preview.undecided_count,
        "undecided": [{"id": e.id, "title": e.title} for e in preview.undecided],
        "nominations": [{"code": nomination.code, "title": nomination.title_ru,
                         "awards": [{"id": r.result.entry.id, "title": r.result.entry.title,
                                     **_pair(r.result.award.tier, r.result.award.place),
                                     "public": r.result.public, "library": r.library, "library_note": r.library_note}
                                    for r in rows]}
                        for nomination, rows in preview.nominations],
    }


@bp.get("/seasons/<slug>/publish")
def get_publication(slug: str):
    require_staff()
    season = load_season(slug)
    return jsonify(preview_to_dict(awarding.preview(db.session, season=season)))


@bp.post("/seasons/<slug>/publish")
def publish_season(slug: str):
    user = require_staff()
    season = load_season(slug)
    summary = awarding.publish(db.session, season=season, user=user, now=utcnow(), storage_for=backend_named,
                               timeout_s=current_app.config.get("LIBRARY_EXTRACT_TIMEOUT", 10.0))
    db.session.commit()
    return jsonify({"published_at": local_moment(season, season.results_published_at), "awarded": summary.awarded,
                    "not_awarded": summary.not_awarded, "library": len(summary.library_items),
                    "mails": summary.mails})
