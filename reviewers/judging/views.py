"""The organizer's judging pages: pools, automatic and manual assignment, progress and reminders, rankings with
the drill-down of one entry, decisions and advancement. Staff only; every change is one service call, one commit."""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.i18n import local_decimal
from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.views_util import get_or_404, perform, public_url, season_or_404
from portal.models import Entry, Nomination, Region, Role, Season, User, utcnow
from portal.services.errors import NotFound, ServiceError
from reviewers.engine.assignment import load_spread
from reviewers.judging import bp
from reviewers.judging.forms import (AdvanceForm, AffiliationForm, ChairForm, DecisionForm, DiscussionForm, options,
                                     InviteForm, ManualAssignForm, MoveForm, PoolAddForm)
from reviewers.models import Assignment, AssignmentStatus as A, Decision, DiscussionMessage, PoolMember, Round
from reviewers.permissions import can_manage_judging
from reviewers.services import assignment as assignment_service
from reviewers.services import discussion, exports, invitations, pools
from reviewers.services import progress as progress_service
from reviewers.services import results as results_service

ROUND = "/<slug>/rounds/<int:number>"


@bp.before_request
@login_required
def require_staff():
    if not can_manage_judging(current_user):
        abort(403)


@bp.app_template_filter("points")
def points(value: float | None, digits: int = 2, signed: bool = False) -> str:
    """A score with two decimals, a comma in Russian: 71,25 (+7,64 when `signed`); a dash when there is none."""
    if value is None:
        return "—"
    value = round(value, digits) or 0.0  # no "-0,00"
    text = f"{value:+.{digits}f}" if signed and value else f"{value:.{digits}f}"
    return local_decimal(text)


# --- loading ------------------------------------------------------------------------------------------------------

def load_round(slug: str, number: int) -> tuple[Season, Round]:
    season = season_or_404(slug)
    try:
        return season, assignment_service.get_round(db.session, season_id=season.id, number=number)
    except NotFound:
        abort(404)


def load_juror(juror_id: int | None) -> User:
    juror = db.session.get(User, juror_id) if juror_id else None
    if juror is None or not juror.has_role(Role.JUROR):
        abort(404)
    return juror


def all_jurors() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.JUROR.value).order_by(User.full_name, User.id)))


def juror_label(user: User) -> str:
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


def form_refused(form) -> None:
    messages = [f"{getattr(form, name).label.text}: {errors[0]}" for name, errors in form.errors.items() if name != "csrf_token"]
    flash("; ".join(messages) or _("Форма устарела. Обновите страницу и повторите."), "danger")


# --- the season's rounds ------------------------------------------------------------------------------------------

@bp.route("/<slug>/")
def season_rounds(slug: str):
    season = season_or_404(slug)
    rounds = list(db.session.scalars(select(Round).where(Round.season_id == season.id).order_by(Round.number)))
    counts: dict[int, Counter] = defaultdict(Counter)
    for round_id, status, n in db.session.execute(
            select(Assignment.round_id, Assignment.status, func.count()).where(
                Assignment.round_id.in_([r.id for r in rounds])).group_by(Assignment.round_id, Assignment.status)):
        counts[round_id][status] = n
    return render_template("judging/rounds.html", season=season, rounds=rounds, counts=counts, now=utcnow())


# --- pools --------------------------------------------------------------------------------------------------------

def pools_context(season: Season, round: Round) -> dict:
    members = pools.pool_members(db.session, round)
    affiliations = pools.affiliations_by_juror(db.session, {m.juror_id for m in members})
    inputs = assignment_service.build_inputs(db.session, round)
    keys = {j.id: j.affiliation_keys for j in inputs.jurors}
    conflicts = Counter((j_id, int(e.pool)) for e in inputs.entries for j_id, k in keys.items()
                        if e.organisation_keys & k)
    loads = Counter((juror_id, nomination_id) for juror_id, nomination_id in db.session.execute(
        select(Assignment.juror_id, Entry.nomination_id).join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.round_id == round.id, Assignment.status != A.RECUSED.value)))
    entries = Counter(int(e.pool) for e in inputs.entries)
    by_nomination = [(n, [m for m in members if m.nomination_id == n.id]) for n in season.nominations]
    jurors = all_jurors()
    add_form = PoolAddForm()
    add_form.nomination.choices = options([(n.id, n.title_ru) for n in season.nominations])
    add_form.juror.choices = options([(u.id, juror_label(u)) for u in jurors])
    affiliation_form = AffiliationForm()
    affiliation_form.region.choices = options([("", "—")] + [
        (r.code, f"{r.code} · {r.name_ru}") for r in db.session.scalars(select(Region).order_by(Region.code))])
    pooled = sorted({m.juror for m in members}, key=lambda u: (u.full_name, u.id))
    return dict(season=season, round=round, by_nomination=by_nomination, affiliations=affiliations, loads=loads,
                conflicts=conflicts, entries=entries, add_form=add_form, affiliation_form=affiliation_form,
                invite_form=InviteForm(), pooled=pooled, empty_form=EmptyForm(), jurors=jurors)


@bp.route(ROUND + "/pools")
def pools_page(slug: str, number: int):
    season, round = load_round(slug, number)
    return render_template("judging/pools.html", **pools_context(season, round))


@bp.post(ROUND + "/pools/add")
def pool_add(slug: str, number: int):
    season, round = load_round(slug, number)
    form = PoolAddForm()
    form.nomination.choices = options([(n.id, n.title_ru) for n in season.nominations])
    form.juror.choices = options([(u.id, juror_label(u)) for u in all_jurors()])
    target = url_for("judging.pools_page", slug=slug, number=number)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target)
    nomination = next(n for n in season.nominations if n.id == form.nomination.data)
    juror = load_juror(form.juror.data)
    return perform(lambda: pools.add_to_pool(db.session, round=round, nomination=nomination, juror=juror,
                                             cap=form.cap.data, actor=current_user, now=utcnow()),
                   _("Эксперт добавлен в пул номинации «%(n)s».", n=nomination.title_ru), target)


@bp.post(ROUND + "/pools/<int:member_id>/remove")
def pool_remove(slug: str, number: int, member_id: int):
    _season, round = load_round(slug, number)
    member = db.session.get(PoolMember, member_id)
    if member is None or member.round_id != round.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: pools.remove_from_pool(db.session, member=member, actor=current_user, now=utcnow()),
                   _("Эксперт исключён из пула."), url_for("judging.pools_page", slug=slug, number=number))


@bp.post(ROUND + "/jurors/<int:juror_id>/affiliations")
def affiliation_add(slug: str, number: int, juror_id: int):
    load_round(slug, number)
    juror = load_juror(juror_id)
    form = AffiliationForm()
    form.region.choices = options([("", "—")] + [(r.code, r.code) for r in db.session.scalars(select(Region))])
    target = url_for("judging.pools_page", slug=slug, number=number) + "#affiliations"
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target)
    return perform(lambda: pools.add_affiliation(db.session, juror=juror, kind=form.kind.data, value=form.value,
                                                 note=form.note.data or "", actor=current_user, now=utcnow()),
                   _("Связь эксперта сохранена."), target)


@bp.post(ROUND + "/jurors/<int:juror_id>/affiliations/<int:affiliation_id>/remove")
def affiliation_remove(slug: str, number: int, juror_id: int, affiliation_id: int):
    load_round(slug, number)
    juror = load_juror(juror_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: pools.remove_affiliation(db.session, affiliation_id=affiliation_id, juror=juror,
                                                    actor=current_user, now=utcnow()),
                   _("Связь эксперта удалена."),
                   url_for("judging.pools_page", slug=slug, number=number) + "#affiliations")


def invitation_link(token: str) -> str:
    """The juror's acceptance link, on the configured public address (never the request's Host header)."""
    return public_url("jury.accept_invitation", token=token)


@bp.post(ROUND + "/invite")
def invite(slug: str, number: int):
    load_round(slug, number)
    form = InviteForm()
    target = url_for("judging.pools_page", slug=slug, number=number)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target)
    return perform(lambda: invitations.invite_juror(db.session, email=form.email.data, full_name=form.full_name.data,
                                                    actor=current_user, now=utcnow(), accept_url_for=invitation_link),
                   _("Приглашение отправлено на %(email)s.", email=form.email.data.strip().lower()), target)


# --- automatic assignment -----------------------------------------------------------------------------------------

def pool_titles(season: Season) -> dict[str, Nomination]:
    return {str(n.id): n for n in season.nominations}


def readable(message: str, titles: dict[str, Nomination]) -> str:
    """The engine names a pool by its key (the nomination's id): put the nomination's title in its place."""
    return re.sub(r"«(\d+)»", lambda m: f"«{titles[m.group(1)].title_ru}»" if m.group(1) in titles else m.group(0),
                  message)


@bp.route(ROUND + "/assign", methods=["GET", "POST"])
def assign(slug: str, number: int):
    season, round = load_round(slug, number)
    form = EmptyForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            plan = assignment_service.apply_assignment(db.session, round=round, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("judging.assign", slug=slug, number=number))
        if plan.ok:
            db.session.commit()
            flash(_("Распределение применено: новых назначений — %(new)d, сохранено — %(kept)d.",
                    new=len(plan.new), kept=len(plan.kept)), "success")
            return redirect(url_for("judging.assignments", slug=slug, number=number))
        db.session.rollback()
        status = 409
    plan, inputs = assignment_service.plan_assignment(db.session, round=round)
    titles = pool_titles(season)
    spreads = {titles[p]: s for p, s in load_spread(plan, inputs.jurors).items() if p in titles}
    caps = {j.id: j.cap for j in inputs.jurors}
    loads = sorted(((inputs.names.get(j, str(j)), n, caps.get(j)) for j, n in plan.loads.items()))
    problems = [(p, readable(p.message, titles)) for p in plan.problems]
    explanation = [readable(line, titles) for line in plan.explanation]
    return render_template("judging/assign.html", season=season, round=round, plan=plan, loads=loads, spreads=spreads,
                           problems=problems, explanation=explanation, form=form, refused=status == 409,
                           entries=len(inputs.entries)), status


# --- assignments by hand ------------------------------------------------------------------------------------------

def round_assignments(round: Round) -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).where(Assignment.round_id == round.id)
                                   .options(selectinload(Assignment.juror), selectinload(Assignment.review))
                                   .order_by(Assignment.entry_id, Assignment.id)))


@bp.route(ROUND + "/assignments")
def assignments(slug: str, number: int):
    season, round = load_round(slug, number)
    entries = assignment_service.round_entries(db.session, round)
    by_entry: dict[int, list[Assignment]] = defaultdict(list)
    for item in round_assignments(round):
        by_entry[item.entry_id].append(item)
    members = pools.pool_members(db.session, round)
    pool_jurors = defaultdict(list)
    for member in members:
        pool_jurors[member.nomination_id].append(member.juror)
    add_form = ManualAssignForm()
    add_form.entry.choices = options([(e.id, f"№ {e.id} — {e.title}") for e in entries])
    add_form.juror.choices = options([(u.id, juror_label(u)) for u in sorted({m.juror for m in members},
                                                                     key=lambda u: (u.full_name, u.id))])
    grouped = [(n, [e for e in entries if e.nomination_id == n.id]) for n in season.nominations]
    return render_template("judging/assignments.html", season=season, round=round, grouped=grouped, by_entry=by_entry,
                           pool_jurors=pool_jurors, add_form=add_form, move_form=MoveForm(), empty_form=EmptyForm())


@bp.post(ROUND + "/assignments/add")
def assignment_add(slug: str, number: int):
    season, round = load_round(slug, number)
    form = ManualAssignForm()
    form.entry.choices = options([(e.id, str(e.id)) for e in assignment_service.round_entries(db.session, round)])
    form.juror.choices = options([(u.id, u.email) for u in all_jurors()])
    target = url_for("judging.assignments", slug=slug, number=number)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target)
    entry, juror = get_or_404(db.session, Entry, form.entry.data, season_id=season.id), load_juror(form.juror.data)
    return perform(lambda: assignment_service.add_assignment(db.session, round=round, entry=entry, juror=juror,
                                                             actor=current_user, now=utcnow()),
                   _("Эксперт назначен на заявку № %(id)d.", id=entry.id), target)


@bp.post(ROUND + "/assignments/<int:assignment_id>/remove")
def assignment_remove(slug: str, number: int, assignment_id: int):
    _season, round = load_round(slug, number)
    item = get_or_404(db.session, Assignment, assignment_id, round_id=round.id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: assignment_service.remove_assignment(db.session, assignment=item, actor=current_user,
                                                                now=utcnow()),
                   _("Назначение снято."), url_for("judging.assignments", slug=slug, number=number))


@bp.post(ROUND + "/assignments/<int:assignment_id>/move")
def assignment_move(slug: str, number: int, assignment_id: int):
    _season, round = load_round(slug, number)
    item = get_or_404(db.session, Assignment, assignment_id, round_id=round.id)
    form = MoveForm()
    form.juror.choices = options([(u.id, u.email) for u in all_jurors()])
    target = url_for("judging.assignments", slug=slug, number=number)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target)
    juror = load_juror(form.juror.data)
    return perform(lambda: assignment_service.move_assignment(db.session, assignment=item, to_juror=juror,
                                                              actor=current_user, now=utcnow()),
                   _("Заявка передана другому эксперту."), target)


# --- progress and reminders ---------------------------------------------------------------------------------------

@bp.route(ROUND + "/progress")
def progress(slug: str, number: int):
    season, round = load_round(slug, number)
    now = utcnow()
    rows, nominations = progress_service.round_progress(db.session, round=round, now=now)
    return render_template("judging/progress.html", season=season, round=round, rows=rows, nominations=nominations,
                           closed=now >= round.closes_at, form=EmptyForm())


@bp.post(ROUND + "/progress/remind")
def remind(slug: str, number: int):
    _season, round = load_round(slug, number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    link = public_url("jury.dashboard")
    return perform(lambda: progress_service.remind_jurors(db.session, round=round, actor=current_user, now=utcnow(),
                                                          link=link),
                   lambda sent: _("Напоминания поставлены в очередь отправки: %(n)d.", n=sent),
                   url_for("judging.progress", slug=slug, number=number))


# --- rankings -----------------------------------------------------------------------------------------------------

@bp.route(ROUND + "/rankings")
def rankings(slug: str, number: int):
    season, round = load_round(slug, number)
    results = results_service.compute_results(db.session, round=round)
    shortlist = results_service.proposed_shortlist(results)
    severity = sorted(((results.juror_names.get(j, str(j)), offset, n) for j, (offset, n) in results.severity.items()),
                      key=lambda row: (row[1], row[0]))
    has_next = db.session.scalar(select(func.count()).select_from(Round).where(
        Round.season_id == season.id, Round.number > round.number)) > 0
    return render_template("judging/rankings.html", season=season, round=round, results=results, shortlist=shortlist,
                           severity=severity, form=AdvanceForm(), has_next=has_next,
                           size=lambda n: results_service.shortlist_size(round, n))


@bp.route(ROUND + "/rankings.<any(csv, xlsx):fmt>")
def rankings_download(slug: str, number: int, fmt: str):
    _season, round = load_round(slug, number)
    return ranking_file(slug, round, fmt)


def ranking_file(slug: str, round: Round, fmt: str) -> Response:
    """The rankings as an attachment: CSV (UTF-8 with BOM, `;`) or XLSX."""
    results = results_service.compute_results(db.session, round=round)
    if fmt == "csv":
        body, mimetype = exports.rankings_csv(results), "text/csv; charset=utf-8"
    else:
        body, mimetype = exports.rankings_xlsx(results), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"rankings-{slug}-round{round.number}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post(ROUND + "/rankings/advance")
def advance(slug: str, number: int):
    _season, round = load_round(slug, number)
    form = AdvanceForm()
    target = url_for("judging.rankings", slug=slug, number=number)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target + "#advance")
    return perform(lambda: len(results_service.advance_shortlist(db.session, round=round, actor=current_user,
                                                                 now=utcnow())),
                   lambda moved: _("Шорт-лист переведён в следующий раунд: заявок — %(n)d.", n=moved), target)


@bp.route(ROUND + "/rankings/<int:entry_id>")
def entry_detail(slug: str, number: int, entry_id: int):
    season, round = load_round(slug, number)
    entry = get_or_404(db.session, Entry, entry_id, season_id=season.id)
    results = results_service.compute_results(db.session, round=round)
    row = results.row(entry.id)
    if row is None:
        abort(404)
    nomination = next(n for n in results.nominations if n.nomination.id == entry.nomination_id)
    items = [a for a in round_assignments(round) if a.entry_id == entry.id]
    messages = db.session.scalars(select(DiscussionMessage).where(
        DiscussionMessage.round_id == round.id, DiscussionMessage.entry_id == entry.id)
        .order_by(DiscussionMessage.created_at, DiscussionMessage.id)).all()
    decisions = db.session.scalars(select(Decision).where(Decision.round_id == round.id, Decision.entry_id == entry.id)
                                   .order_by(Decision.decided_at)).all()
    deciders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({d.decided_by_id for d in decisions})))}
    return render_template("judging/entry.html", season=season, round=round, entry=entry, row=row,
                           nomination=nomination, criteria=round.rubric.active_criteria, assignments=items,
                           messages=messages, decisions=decisions, deciders=deciders,
                           shortlisted=entry.id in results_service.proposed_shortlist(results),
                           decision_form=DecisionForm(), chair_form=ChairForm(), discussion_form=DiscussionForm(),
                           empty_form=EmptyForm())


def entry_target(slug: str, number: int, entry_id: int) -> str:
    return url_for("judging.entry_detail", slug=slug, number=number, entry_id=entry_id)


@bp.post(ROUND + "/rankings/<int:entry_id>/extra-juror")
def extra_juror(slug: str, number: int, entry_id: int):
    season, round = load_round(slug, number)
    entry = get_or_404(db.session, Entry, entry_id, season_id=season.id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = entry_target(slug, number, entry_id)
    try:
        plan = assignment_service.assign_extra_juror(db.session, round=round, entry=entry, actor=current_user,
                                                     now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(target)
    if not plan.ok:
        db.session.rollback()
        flash(_("Ещё одного эксперта назначить нельзя: %(why)s",
                why="; ".join(readable(p.message, pool_titles(season)) for p in plan.problems)), "danger")
        return redirect(target)
    db.session.commit()
    names = ", ".join(juror_label(db.session.get(User, j)) for _e, j in plan.new)
    flash(_("Назначен ещё один эксперт: %(names)s.", names=names), "success")
    return redirect(target)


@bp.post(ROUND + "/rankings/<int:entry_id>/discussion")
def open_discussion(slug: str, number: int, entry_id: int):
    season, round = load_round(slug, number)
    entry = get_or_404(db.session, Entry, entry_id, season_id=season.id)
    form = DiscussionForm()
    target = entry_target(slug, number, entry_id)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target + "#discussion")
    return perform(lambda: discussion.post_message(db.session, round=round, entry=entry, author=current_user,
                                                   body=form.body.data, now=utcnow()),
                   _("Сообщение отправлено экспертам заявки."), target + "#discussion")


@bp.post(ROUND + "/rankings/<int:entry_id>/decision")
def decide(slug: str, number: int, entry_id: int):
    season, round = load_round(slug, number)
    entry = get_or_404(db.session, Entry, entry_id, season_id=season.id)
    form = DecisionForm()
    target = entry_target(slug, number, entry_id)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target + "#decisions")
    return perform(lambda: results_service.record_decision(db.session, round=round, entry=entry, kind=form.kind.data,
                                                           reason=form.reason.data, actor=current_user, now=utcnow()),
                   _("Решение записано."), target + "#decisions")


@bp.post(ROUND + "/rankings/<int:entry_id>/chair")
def chair_position(slug: str, number: int, entry_id: int):
    season, round = load_round(slug, number)
    entry = get_or_404(db.session, Entry, entry_id, season_id=season.id)
    form = ChairForm()
    target = entry_target(slug, number, entry_id)
    if not form.validate_on_submit():
        form_refused(form)
        return redirect(target + "#decisions")
    return perform(lambda: results_service.record_decision(db.session, round=round, entry=entry,
                                                           kind="chair_position", reason=form.reason.data,
                                                           position=form.position.data, actor=current_user,
                                                           now=utcnow()),
                   _("Решение председателя записано."), target + "#decisions")
