"""Messages to groups and the outbox view: the history of mailings, writing one (group, Russian and English text,
preview, send), one mailing's delivery, and every outbox row with retries. Staff only (the blueprint's gate)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import Mailing, Season, User, utcnow
from portal.organizer import bp
from portal.organizer.messages_forms import MessageForm
from portal.services import mailings as mailing_service
from portal.services import outbox as outbox_service
from portal.services.errors import ValidationFailed
from portal.services.ids import parse_id
from portal.services.seasons import seasons_query
from portal.i18n import locale_code

MAILINGS_PER_PAGE = 30


def max_attempts() -> int:
    return current_app.config["MAIL_MAX_ATTEMPTS"]


@bp.route("/messages")
def messages():
    """Mailings, newest first, with their delivery states."""
    page = db.paginate(mailing_service.mailings_query(), page=request.args.get("page", 1, type=int),
                       per_page=MAILINGS_PER_PAGE, error_out=False)
    ids = [m.id for m in page.items]
    delivery = outbox_service.mailing_delivery(db.session, mailing_ids=ids, max_attempts=max_attempts())
    authors = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({m.created_by_id for m in page.items if m.created_by_id})))} if ids else {}
    seasons = {s.id: s for s in db.session.scalars(select(Season).where(
        Season.id.in_({m.season_id for m in page.items if m.season_id})))} if ids else {}
    return render_template("organizer/messages.html", page=page, delivery=delivery, authors=authors,
                           seasons=seasons)


def chosen_season(form: MessageForm, seasons: list[Season]) -> Season | None:
    by_slug = {s.slug: s for s in seasons}
    return by_slug.get(form.season.data or "") or (seasons[0] if seasons else None)


def fill_choices(form: MessageForm, seasons: list[Season], season: Season | None, groups: dict) -> None:
    """The selects' options for the chosen season and group (the parameter's options depend on both)."""
    form.season.choices = [(s.slug, s.title(locale_code())) for s in seasons]
    form.audience.choices = [(key, str(a.title)) for key, a in groups.items()]
    audience = groups.get(form.audience.data or "")
    form.param.choices = audience.choices(db.session, season) if audience and audience.param and season else []


@bp.route("/messages/new", methods=["GET", "POST"])
def message_new():
    """Write a message: «Предпросмотр» checks it and shows the count and samples; «Отправить» sends exactly the
    previewed draft. Whatever goes wrong, the page comes back with everything typed."""
    seasons = db.session.scalars(seasons_query()).all()
    groups = mailing_service.audiences()
    form = MessageForm(formdata=request.form if request.method == "POST" else request.args or None)
    if not form.audience.data or form.audience.data not in groups:
        form.audience.data = next(iter(groups))
    season = chosen_season(form, seasons)
    if season is not None:
        form.season.data = season.slug
    fill_choices(form, seasons, season, groups)
    preview, errors, notice, status = None, {}, None, 200
    action = request.form.get("action", "") if request.method == "POST" else ""
    # The CSRF token is checked for every POST by the app (CSRFProtect), before this view runs.
    if action in ("preview", "send") and season is None:
        notice, status = _("Сначала создайте сезон конкурса."), 422
    elif action in ("preview", "send") and request.form.get("season") != season.slug:
        errors = {"season": _("Такого сезона нет: выберите сезон из списка.")}
        notice, status = _("Письмо не отправлено: исправьте отмеченные поля."), 422
    elif action in ("preview", "send"):
        audience = groups[form.audience.data]
        draft = dict(season=season, audience=audience.key,
                     params={audience.param: form.param.data or ""} if audience.param else {}, **form.texts())
        ready = form.digest.data == form.draft_digest()
        confirmed = request.form.get("confirm") == "yes"
        try:
            if action == "send" and ready and confirmed:
                mailing = mailing_service.send_mailing(db.session, **draft, actor=current_user, now=utcnow())
                db.session.commit()
                flash(_("Сообщение поставлено в очередь: писем — %(n)d.", n=mailing.recipients_count), "success")
                return redirect(url_for("organizer.message", mailing_id=mailing.id))
            preview = mailing_service.preview_mailing(db.session, **draft, now=utcnow())
        except ValidationFailed as exc:
            db.session.rollback()
            errors, notice, status = exc.fields, exc.message, 422
        else:
            if action == "send" and not ready:  # changed after the preview (or never previewed): nothing is sent
                notice, status = _("Письмо изменилось после предпросмотра. Проверьте его ещё раз и отправьте."), 422
            elif action == "send":
                errors, status = {"confirm": _("Подтвердите отправку: отметьте флажок.")}, 422
            form.digest.data = form.draft_digest()
    audience = groups.get(form.audience.data)
    return render_template("organizer/message_new.html", form=form, preview=preview, errors=errors, notice=notice,
                           audience=audience, seasons=seasons, groups=groups,
                           placeholders=[(name, mailing_service.PLACEHOLDERS[name],
                                          mailing_service.PLACEHOLDER_HELP[name]) for name in audience.allowed()],
                           ), status


@bp.route("/messages/<int:mailing_id>")
def message(mailing_id: int):
    """One mailing: its text, group, author and each recipient's delivery state."""
    mailing = db.get_or_404(Mailing, mailing_id)
    args = dict(request.args)
    args["mailing"] = str(mailing.id)
    filters, values = outbox_service.parse_outbox_filter(args)
    page = outbox_service.outbox_page(db.session, filters=filters, max_attempts=max_attempts(),
                                      after=outbox_service.cursor(request.args.get("after")),
                                      before=outbox_service.cursor(request.args.get("before")))
    counts = outbox_service.state_counts(db.session, filters=outbox_service.OutboxFilter(mailing_id=mailing.id),
                                         max_attempts=max_attempts())
    return render_template("organizer/message.html", mailing=mailing, page=page, counts=counts, values=values,
                           author=db.session.get(User, mailing.created_by_id) if mailing.created_by_id else None,
                           season=db.session.get(Season, mailing.season_id) if mailing.season_id else None,
                           **outbox_context())


def outbox_context() -> dict:
    return {"states": outbox_service.STATES, "max_attempts": max_attempts(), "retry_form": EmptyForm(),
            "state_of": lambda m: outbox_service.state_of(m, max_attempts())}


@bp.route("/outbox")
def outbox():
    """Every outbox row, newest first: state filter, address search, mailing, keyset pages, retries."""
    filters, values = outbox_service.parse_outbox_filter(request.args)
    page = outbox_service.outbox_page(db.session, filters=filters, max_attempts=max_attempts(),
                                      after=outbox_service.cursor(request.args.get("after")),
                                      before=outbox_service.cursor(request.args.get("before")))
    counts = outbox_service.state_counts(db.session, filters=filters, max_attempts=max_attempts())
    mailing = db.session.get(Mailing, filters.mailing_id) if filters.mailing_id else None
    return render_template("organizer/outbox.html", page=page, counts=counts, values=values, mailing=mailing,
                           args={k: v for k, v in values.items() if v}, **outbox_context())


@bp.route("/outbox/retry", methods=["POST"])
def outbox_retry():
    """Queue failed messages again: the ticked ones, or every given-up one (of a mailing when one is given)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    mailing_id = parse_id(request.form.get("mailing"))
    if request.form.get("scope") == "given_up":
        count = outbox_service.retry_messages(db.session, mailing_id=mailing_id, address=request.form.get("q", ""),
                                              actor=current_user, now=utcnow(), max_attempts=max_attempts())
    else:
        ids = [i for i in map(parse_id, request.form.getlist("ids")) if i is not None][:500]
        if not ids:
            flash(_("Отметьте письма, которые нужно отправить повторно."), "warning")
            return retry_redirect(mailing_id)
        count = outbox_service.retry_messages(db.session, ids=ids, actor=current_user, now=utcnow(),
                                              max_attempts=max_attempts())
    db.session.commit()
    if count:
        flash(_("Письма снова поставлены в очередь: %(n)d.", n=count), "success")
    else:
        flash(_("Среди выбранных нет писем с ошибкой доставки: повторять нечего."), "info")
    return retry_redirect(mailing_id)


def retry_redirect(mailing_id: int | None):
    """Back where the retry was asked: the mailing's page, or the outbox with its filter."""
    back = {k: v for k in ("state", "q") if (v := request.form.get(k, "").strip())}
    if request.form.get("back") == "mailing" and mailing_id is not None:
        return redirect(url_for("organizer.message", mailing_id=mailing_id, **back))
    if mailing_id is not None:
        back["mailing"] = str(mailing_id)
    return redirect(url_for("organizer.outbox", **back))
