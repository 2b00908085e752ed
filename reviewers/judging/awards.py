"""The organizer's awards and the publication of results: the final round's ranking with suggested awards, the
decisions with their reasons, the preview of what becomes public, and the one action that publishes it. Staff only
(the blueprint's `require_staff`); every change is one service call, one commit."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.extensions import db
from portal.models import Entry, Nomination, utcnow
from portal.services.errors import ServiceError, ValidationFailed
from portal.storage import backend_named
from reviewers.judging import bp
from reviewers.judging.forms import options
from portal.views_util import get_or_404, season_or_404
from reviewers.services import awarding

SEASON = "/seasons/<slug>"
SHOWN_PER_NOMINATION = 50  # a long final round: the top of the ranking, the rest on request (?all=1)
CHOICE_LABELS = {"winner-1": _l("Победитель, 1 место"), "winner-2": _l("Победитель, 2 место"),
                 "winner-3": _l("Победитель, 3 место"), "prize": _l("Призёр"), "laureate": _l("Лауреат"),
                 "special": _l("Специальный приз жюри"), "none": _l("Без награды")}


class AwardForm(FlaskForm):
    award = SelectField(_l("Решение"), choices=options([("", "—")] + list(CHOICE_LABELS.items())),
                        validators=[InputRequired(message=_l("Выберите награду или «Без награды»."))])
    reason = TextAreaField(_l("Причина"), validators=[DataRequired(message=_l("Укажите причину решения.")),
                                                      Length(max=awarding.MAX_REASON)],
                           description=_l("Причина попадёт в журнал аудита и в протокол."))


class ApplySuggestionsForm(FlaskForm):
    reason = TextAreaField(_l("Причина"), default=_l("По итогам рейтинга финального раунда"),
                           validators=[DataRequired(message=_l("Укажите причину решения.")),
                                       Length(max=awarding.MAX_REASON)])


class PublishForm(FlaskForm):
    confirm = BooleanField(_l("Я проверил предпросмотр: итоги станут публичными, заявители получат письма"),
                           validators=[InputRequired(message=_l("Подтвердите публикацию."))])


def choice_label(choice: str) -> str:
    return str(CHOICE_LABELS.get(choice, ""))


def render_board(season, *, failed_entry: int | None = None, failed_form: AwardForm | None = None, status: int = 200):
    counts = awarding.parse_counts(request.args)
    board = awarding.awards_board(db.session, season=season, counts=counts)
    show_all = request.args.get("all") == "1"
    limit = max(SHOWN_PER_NOMINATION, len(counts.slots()) + 10)
    return render_template("judging/awards.html", season=season, board=board, counts=counts, show_all=show_all,
                           lines_of=lambda group: group.lines if show_all else group.shown(limit),
                           form_for=lambda line: failed_form if line.result.entry.id == failed_entry else
                           AwardForm(formdata=None, award=line.choice or awarding.suggested_choice(line.suggestion)),
                           apply_form=ApplySuggestionsForm(formdata=None), choice_label=choice_label,
                           suggestion_choice=awarding.suggested_choice), status


@bp.route(SEASON + "/awards")
def awards(slug: str):
    season = season_or_404(slug)
    return render_board(season)


def board_target(slug: str, anchor: str = "") -> str:
    return url_for("judging.awards", slug=slug, **{k: v for k, v in request.args.items()
                                                    if k in ("winners_per_place", "prize", "laureate", "all")}) + anchor


@bp.post(SEASON + "/awards/<int:entry_id>")
def decide_award(slug: str, entry_id: int):
    season = season_or_404(slug)
    entry = get_or_404(db.session, Entry, entry_id, season_id=season.id)
    form = AwardForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_board(season, failed_entry=entry.id, failed_form=form, status=422)
    try:
        awarding.decide_award(db.session, season=season, entry=entry, choice=form.award.data,
                              reason=form.reason.data, user=current_user, now=utcnow())
    except ValidationFailed as exc:
        db.session.rollback()
        for name, message in exc.fields.items():
            getattr(form, "award" if name == "award" else "reason").errors = [message]
        return render_board(season, failed_entry=entry.id, failed_form=form, status=422)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(board_target(slug, f"#entry-{entry.id}"))
    db.session.commit()
    flash(_("Решение по заявке № %(id)d записано: %(award)s.", id=entry.id, award=choice_label(form.award.data)),
          "success")
    return redirect(board_target(slug, f"#entry-{entry.id}"))


@bp.post(SEASON + "/awards/nominations/<int:nomination_id>/apply")
def apply_suggestions(slug: str, nomination_id: int):
    season = season_or_404(slug)
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.season_id != season.id:
        abort(404)
    form = ApplySuggestionsForm()
    target = board_target(slug, f"#nomination-{nomination.id}")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(form.reason.errors[0], "danger")
        return redirect(target)
    try:
        taken = awarding.apply_suggestions(db.session, season=season, nomination=nomination,
                                           counts=awarding.parse_counts(request.args), reason=form.reason.data,
                                           user=current_user, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(target)
    db.session.commit()
    flash(_("Предложения приняты: решений — %(n)d.", n=taken), "success")
    return redirect(target)


@bp.route(SEASON + "/publish")
def publish_preview(slug: str):
    season = season_or_404(slug)
    return render_template("judging/publish_preview.html", season=season,
                           preview=awarding.preview(db.session, season=season), form=PublishForm())


@bp.post(SEASON + "/publish")
def publish(slug: str):
    season = season_or_404(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_template("judging/publish_preview.html", season=season,
                               preview=awarding.preview(db.session, season=season), form=form), 422
    try:
        summary = awarding.publish(db.session, season=season, user=current_user, now=utcnow(),
                                   storage_for=backend_named,
                                   timeout_s=current_app.config.get("LIBRARY_EXTRACT_TIMEOUT", 10.0))
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("judging.publish_preview", slug=slug))
    db.session.commit()
    flash(_("Итоги опубликованы: награждено — %(a)d, без награды — %(n)d, в библиотеку — %(l)d, писем — %(m)d.",
            a=summary.awarded, n=summary.not_awarded, l=len(summary.library_items), m=summary.mails), "success")
    return redirect(url_for("public.results", slug=slug))

