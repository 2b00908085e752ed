"""The rubric editor and the rounds editor of a season. Staff only (the blueprint's `require_staff`); each change is
one service call and one commit; a refused form comes back with what was typed and the reasons, status 422."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.i18n import locale_code
from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import Season, utcnow
from portal.organizer.views import to_local_input
from portal.services.errors import ServiceError
from portal.views_util import get_or_404, perform, season_or_404, submit_form
from reviewers.judging import bp
from reviewers.judging.setup_forms import CriterionForm, RoundForm, RubricForm
from reviewers.judging.views import load_round
from reviewers.models import Criterion, Round, Rubric
from reviewers.services import round_editor, rubric_editor
from reviewers.services.setup import standard_rubric

RUBRICS = "/<slug>/rubrics"
RUBRIC = RUBRICS + "/<int:rubric_id>"
CRITERION = RUBRIC + "/criteria/<int:criterion_id>"


# --- rubrics ------------------------------------------------------------------------------------------------------

def season_rubric(slug: str, rubric_id: int) -> tuple[Season, Rubric]:
    """The season and its rubric from the URL (another season's rubric is a 404)."""
    season = season_or_404(slug)
    return season, get_or_404(db.session, Rubric, rubric_id, season_id=season.id)


@bp.route(RUBRICS, methods=["GET", "POST"])
def rubrics(slug: str):
    season = season_or_404(slug)
    form, status = RubricForm(), 200
    if request.method == "POST":
        if form.validate_on_submit():
            rubric, status = submit_form(form, lambda: rubric_editor.new_rubric(
                db.session, season=season, title=form.title.data, actor=current_user, now=utcnow()))
            if rubric is not None:
                flash(_("Набор критериев создан. Добавьте критерии."), "success")
                return redirect(url_for("judging.rubric_page", slug=slug, rubric_id=rubric.id))
        else:
            status = 422
    return render_template("judging/rubrics.html", season=season, form=form,
                           rubrics=rubric_editor.season_rubrics(db.session, season),
                           used=rubric_editor.round_numbers_by_rubric(db.session, season),
                           button=EmptyForm()), status


@bp.route(RUBRICS + "/standard", methods=["POST"])
def rubric_standard(slug: str):
    season = season_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rubric = standard_rubric(db.session, season=season, actor=current_user, now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("judging.rubrics", slug=slug))
    db.session.commit()
    flash(_("Добавлен набор из пяти стандартных критериев. Проверьте веса и описания уровней."), "success")
    return redirect(url_for("judging.rubric_page", slug=slug, rubric_id=rubric.id))


def rubric_context(season: Season, rubric: Rubric) -> dict:
    scored = rubric_editor.scoring_started(db.session, rubric)
    return {"season": season, "rubric": rubric, "shares": rubric_editor.weight_shares(rubric.criteria),
            "locked": scored, "submitted": rubric_editor.has_submitted_reviews(db.session, rubric),
            "scored_ids": rubric_editor.scored_criteria(db.session, rubric),
            "rounds": rubric_editor.rounds_using(db.session, rubric), "button": EmptyForm(),
            "max_share": rubric_editor.MAX_SHARE, "locale": locale_code()}


@bp.route(RUBRIC)
def rubric_page(slug: str, rubric_id: int):
    season, rubric = season_rubric(slug, rubric_id)
    return render_template("judging/rubric.html", **rubric_context(season, rubric), form=CriterionForm(),
                           rename_form=RubricForm(obj=rubric))


@bp.route(RUBRIC + "/rename", methods=["POST"])
def rubric_rename(slug: str, rubric_id: int):
    season, rubric = season_rubric(slug, rubric_id)
    rename_form, status = RubricForm(), 422
    if rename_form.validate_on_submit():
        done, status = submit_form(rename_form, lambda: rubric_editor.rename_rubric(
            db.session, rubric=rubric, title=rename_form.title.data, actor=current_user, now=utcnow()))
        if done is not None:
            flash(_("Название сохранено."), "success")
            return redirect(url_for("judging.rubric_page", slug=slug, rubric_id=rubric.id))
    return render_template("judging/rubric.html", **rubric_context(season, rubric), form=CriterionForm(),
                           rename_form=rename_form), status


@bp.route(RUBRIC + "/delete", methods=["POST"])
def rubric_delete(slug: str, rubric_id: int):
    season, rubric = season_rubric(slug, rubric_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: rubric_editor.delete_rubric(db.session, rubric=rubric, actor=current_user, now=utcnow()),
                   _("Набор критериев удалён."), url_for("judging.rubrics", slug=slug))


@bp.route(RUBRIC + "/criteria", methods=["POST"])
def criterion_add(slug: str, rubric_id: int):
    season, rubric = season_rubric(slug, rubric_id)
    form, status = CriterionForm(), 422
    if form.validate_on_submit():
        criterion, status = submit_form(form, lambda: rubric_editor.add_criterion(
            db.session, rubric=rubric, data=form.values(), actor=current_user, now=utcnow()))
        if criterion is not None:
            flash(_("Критерий «%(title)s» добавлен.", title=criterion.title_ru), "success")
            return redirect(url_for("judging.rubric_page", slug=slug, rubric_id=rubric.id) + "#criteria")
    return render_template("judging/rubric.html", **rubric_context(season, rubric), form=form,
                           rename_form=RubricForm(obj=rubric)), status


@bp.route(CRITERION, methods=["GET", "POST"])
def criterion_edit(slug: str, rubric_id: int, criterion_id: int):
    season, rubric = season_rubric(slug, rubric_id)
    criterion = get_or_404(db.session, Criterion, criterion_id, rubric_id=rubric.id)
    form, status = CriterionForm(obj=criterion), 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            done, status = submit_form(form, lambda: rubric_editor.update_criterion(
                db.session, criterion=criterion, data=form.values(), actor=current_user, now=utcnow()))
            if done is not None:
                flash(_("Критерий «%(title)s» сохранён.", title=criterion.title_ru), "success")
                return redirect(url_for("judging.rubric_page", slug=slug, rubric_id=rubric.id) + "#criteria")
    return render_template("judging/rubric_criterion.html", **rubric_context(season, rubric), criterion=criterion,
                           form=form), status


CRITERION_ACTIONS = {
    "retire": (rubric_editor.retire_criterion, {}, lambda: _("Критерий выведен из набора: эксперты его больше не "
                                                             "видят, выставленные оценки сохранены.")),
    "restore": (rubric_editor.restore_criterion, {}, lambda: _("Критерий снова действует.")),
    "delete": (rubric_editor.delete_criterion, {}, lambda: _("Критерий удалён.")),
    "up": (rubric_editor.move_criterion, {"offset": -1}, lambda: _("Порядок критериев изменён.")),
    "down": (rubric_editor.move_criterion, {"offset": 1}, lambda: _("Порядок критериев изменён.")),
}


@bp.route(CRITERION + "/<any(retire, restore, delete, up, down):action>", methods=["POST"])
def criterion_action(slug: str, rubric_id: int, criterion_id: int, action: str):
    season, rubric = season_rubric(slug, rubric_id)
    criterion = get_or_404(db.session, Criterion, criterion_id, rubric_id=rubric.id)
    target = url_for("judging.rubric_page", slug=slug, rubric_id=rubric.id) + "#criteria"
    if not EmptyForm().validate_on_submit():
        abort(400)
    service, extra, message = CRITERION_ACTIONS[action]
    return perform(lambda: service(db.session, criterion=criterion, actor=current_user, now=utcnow(), **extra),
                   message(), target)


# --- rounds -------------------------------------------------------------------------------------------------------

def round_form(season: Season, round: Round | None = None) -> RoundForm:
    """The round form with the season's rubrics and, for the tie-break selects, their active criteria."""
    data = None
    if round is not None and request.method == "GET":
        data = {name: getattr(round, name) for name in round_editor.FIELDS} | {
            "opens_at": to_local_input(round.opens_at, season.time_zone),
            "closes_at": to_local_input(round.closes_at, season.time_zone),
            "tie_break_criteria": list(round.tie_break_criteria or [])}
    rubrics = rubric_editor.season_rubrics(db.session, season)
    if round is None and request.method == "GET" and rubrics:
        data = new_round_defaults(season, rubrics[-1])
    form = RoundForm(data=data, tz=season.time_zone)
    form.rubric_id.choices = [(r.id, r.title) for r in rubrics]
    return form


def new_round_defaults(season: Season, rubric: Rubric) -> dict:
    """A new round starts where the timeline allows (after the last round, or after submissions close) and declares
    the rubric's order as its tie-breaks, the usual choice."""
    return {"rubric_id": rubric.id,
            "opens_at": to_local_input(round_editor.earliest_start(db.session, season), season.time_zone),
            "tie_break_criteria": [c.id for c in rubric.active_criteria]}


def round_page(season: Season, form: RoundForm, round: Round | None, status: int):
    rubrics = rubric_editor.season_rubrics(db.session, season)
    locks = {"assigned": False, "submitted": False}
    if round is not None:
        locks = {"assigned": round_editor.has_assignments(db.session, round),
                 "submitted": round_editor.has_submitted_reviews(db.session, round)}
    slots = max([len(r.active_criteria) for r in rubrics] + [len(form.tie_break_criteria.data or []), 1])
    return render_template("judging/round_form.html", season=season, form=form, round=round, rubrics=rubrics,
                           locks=locks, slots=slots, locale=locale_code(),
                           button=EmptyForm()), status


@bp.route("/<slug>/rounds/new", methods=["GET", "POST"])
def round_new(slug: str):
    season = season_or_404(slug)
    form, status = round_form(season), 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            round, status = submit_form(form, lambda: round_editor.new_round(db.session, season=season, data=form.values(),
                                                                        actor=current_user, now=utcnow()))
            if round is not None:
                flash(_("Раунд %(n)d «%(title)s» создан.", n=round.number, title=round.title), "success")
                return redirect(url_for("judging.season_rounds", slug=slug))
    return round_page(season, form, None, status)


@bp.route("/<slug>/rounds/<int:number>/edit", methods=["GET", "POST"])
def round_edit(slug: str, number: int):
    season, round = load_round(slug, number)
    form, status = round_form(season, round), 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            done, status = submit_form(form, lambda: round_editor.update_round(db.session, round=round, data=form.values(),
                                                                          actor=current_user, now=utcnow()))
            if done is not None:
                flash(_("Параметры раунда %(n)d сохранены.", n=round.number), "success")
                return redirect(url_for("judging.season_rounds", slug=slug))
    return round_page(season, form, round, status)


@bp.route("/<slug>/rounds/<int:number>/delete", methods=["POST"])
def round_delete(slug: str, number: int):
    season, round = load_round(slug, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: round_editor.delete_round(db.session, round=round, actor=current_user, now=utcnow()),
                   _("Раунд %(n)d удалён.", n=number), url_for("judging.season_rounds", slug=slug))
