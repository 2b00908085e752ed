"""The organizer's library console: every item (published or not), the entries that can be published, editing an
item, unpublishing and publishing again. Staff only (the blueprint's gate); one service call, one commit."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import (AuditEvent, Award, ConsentKind, Entry, LibraryItem, LibrarySource, LibraryStatus,
                           Nomination, Region, Season, User, utcnow)
from portal.organizer import bp
from portal.organizer.library_forms import ItemForm, UnpublishForm
from portal.services import library as library_service
from portal.services.awards import awards_by_entry
from portal.services.errors import ServiceError, ValidationFailed
from portal.services.ids import parse_id
from portal.services.text_search import contains_caseless
from portal.storage import backend_named
from portal.i18n import locale_code
from portal.views_util import apply_field_errors, get_or_404, perform
from portal.vocabularies import AUDIENCES, MENTORING_FORMS, title_in

PER_PAGE = 20
CANDIDATES_PER_PAGE = 50
AUDIT_LIMIT = 100
ARCHIVE = "archive"  # the season filter's value for every item imported from an archive file (SPEC §8)
STATUSES = tuple(s.value for s in LibraryStatus)
# Candidates: winners by place first, then the other tiers, then entries without an award.
TIER_ORDER = case({"winner": 0, "prize": 1, "laureate": 2, "special": 3}, value=Award.tier, else_=4)


# --- helpers --------------------------------------------------------------------------------------------------------

def extraction() -> dict:
    """How the services open public files for text extraction."""
    return {"storage_for": backend_named, "timeout_s": current_app.config["LIBRARY_EXTRACT_TIMEOUT"]}


def chosen_file_ids(form) -> list[int]:
    """The ticked file ids; a value that is not a number becomes -1, which the service refuses as not in the entry."""
    return [parse_id(value) or -1 for value in form.getlist("files")]


def season_by_slug(slug: str | None) -> Season | None:
    """The season with this slug, or None (also for no slug)."""
    return db.session.scalar(select(Season).where(Season.slug == slug)) if slug else None


def all_seasons() -> list[Season]:
    """Every season, newest first (for the filters)."""
    return list(db.session.scalars(select(Season).order_by(Season.year.desc(), Season.id.desc())))


def public_page(item: LibraryItem) -> str | None:
    """The public practice page, only while the item is published."""
    return url_for("public.practice", item_id=item.id) if item.is_published else None


# --- the items --------------------------------------------------------------------------------------------------------

@bp.route("/library")
def library():
    """Every item, published or not: counts per status, filters by status and season, search by title."""
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    season_arg = request.args.get("season", "")
    text = request.args.get("q", "").strip()[:200]
    conditions = []
    if season_arg == ARCHIVE:
        conditions.append(LibraryItem.source == LibrarySource.ARCHIVE.value)
    elif (season := season_by_slug(season_arg)) is not None:
        conditions.append(LibraryItem.season_id == season.id)
    else:
        season_arg = ""
    if text:
        conditions.append(contains_caseless(LibraryItem.title, text=text) | (LibraryItem.external_id == text))
    counts = dict(db.session.execute(select(LibraryItem.status, func.count()).where(*conditions)
                                     .group_by(LibraryItem.status)).all())
    if status:
        conditions.append(LibraryItem.status == status)
    page = db.paginate(select(LibraryItem).where(*conditions)
                       .order_by(LibraryItem.updated_at.desc(), LibraryItem.id.desc()),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    filters = {"status": status, "season": season_arg, "q": text}
    return render_template("organizer/library.html", page=page, counts=counts, filters=filters,
                           seasons=all_seasons(), archive=ARCHIVE)


# --- the candidates -----------------------------------------------------------------------------------------------

@bp.route("/library/candidates")
def library_candidates():
    """A season's screened entries not yet in the library, with their award and the consent to publication."""
    seasons = all_seasons()
    season = season_by_slug(request.args.get("season")) or (seasons[0] if seasons else None)
    awarded_only = request.args.get("awarded") == "1"
    rows, page = [], None
    if season is not None:
        taken = select(LibraryItem.entry_id).where(LibraryItem.entry_id.is_not(None))
        statuses = ("awarded",) if awarded_only else library_service.PUBLISHABLE_STATUSES
        query = (select(Entry)
                 .join(Nomination, Nomination.id == Entry.nomination_id)
                 .outerjoin(Award, Award.entry_id == Entry.id)
                 .options(selectinload(Entry.consents), selectinload(Entry.created_by))
                 .where(Entry.season_id == season.id, Entry.status.in_(statuses), Entry.id.not_in(taken))
                 .order_by(TIER_ORDER, Award.place, Nomination.position, Entry.id))
        page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=CANDIDATES_PER_PAGE,
                           error_out=False)
        awards = awards_by_entry(db.session, [e.id for e in page.items])
        rows = [(e, awards.get(e.id), library_service.publication_refusal(e)) for e in page.items]
    return render_template("organizer/library_candidates.html", seasons=seasons, season=season, rows=rows,
                           page=page, awarded_only=awarded_only, form=EmptyForm())


@bp.route("/library/candidates/<int:entry_id>/publish", methods=["GET", "POST"])
def library_publish(entry_id: int):
    """Confirm the publication of one entry and choose its public files."""
    entry = get_or_404(db.session, Entry, entry_id)
    back = url_for("organizer.library_candidates", season=entry.season.slug)
    chosen = [f.id for f in entry.files if f.kind in library_service.DEFAULT_PUBLIC_KINDS]
    form, errors, status = EmptyForm(), {}, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = chosen_file_ids(request.form)
        try:
            item = library_service.publish_entry(db.session, entry=entry, user=current_user, now=utcnow(),
                                                 file_ids=chosen, **extraction())
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = exc.fields, 422
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(back)
        else:
            db.session.commit()
            flash(_("Практика опубликована в библиотеке."), "success")
            return redirect(url_for("organizer.library_item", item_id=item.id))
    existing = db.session.scalar(select(LibraryItem).where(LibraryItem.entry_id == entry.id))
    return render_template("organizer/library_publish.html", entry=entry, existing=existing, back=back,
                           award=awards_by_entry(db.session, [entry.id]).get(entry.id), chosen=chosen,
                           refusal=library_service.publication_refusal(entry), errors=errors, form=form), status


@bp.route("/library/seasons/<slug>/publish-winners", methods=["POST"])
def library_publish_winners(slug: str):
    """Publish every awarded entry of the season whose applicant consented."""
    season = season_by_slug(slug)
    if season is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = url_for("organizer.library_candidates", season=slug)
    try:
        items = library_service.publish_season_winners(db.session, season=season, user=current_user, now=utcnow(),
                                                       **extraction())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(target)
    db.session.commit()
    if items:
        flash(_("Опубликовано практик победителей и призёров: %(n)d.", n=len(items)), "success")
    else:
        flash(_("Нет награждённых заявок с согласием на публикацию, которые ещё не опубликованы."), "info")
    return redirect(target)


# --- one item -------------------------------------------------------------------------------------------------------

def item_values(item: LibraryItem) -> dict:
    """The form's starting values: the item as stored."""
    return {"title": item.title, "summary": item.summary, "description": item.description, "results": item.results,
            "replicability": item.replicability, "keywords": ", ".join(item.keywords or []),
            "mentoring_form": item.mentoring_form or "", "audience": item.audience or "",
            "region_code": item.region_code or "", "show_organisation": bool(item.organisation_name)}


def fill_choices(form: ItemForm) -> None:
    """The select options in the page's language."""
    locale = locale_code()
    blank = [("", _("— не указано —"))]
    form.mentoring_form.choices = blank + [(c, title_in(MENTORING_FORMS, c, locale)) for c in MENTORING_FORMS]
    form.audience.choices = blank + [(c, title_in(AUDIENCES, c, locale)) for c in AUDIENCES]
    regions = db.session.execute(select(Region.code, Region.name_ru, Region.name_en).order_by(Region.code)).all()
    form.region_code.choices = blank + [(code, f"{code} · {en if locale == 'en' else ru}")
                                        for code, ru, en in regions]


def audit_trail(item: LibraryItem) -> tuple[list[AuditEvent], dict[int, User]]:
    """The item's audit events, newest first, and their actors."""
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "library_item", AuditEvent.object_id == str(item.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(AUDIT_LIMIT)))
    ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return events, actors


@bp.route("/library/<int:item_id>", methods=["GET", "POST"])
def library_item(item_id: int):
    """Edit an item's public fields and files; its publication controls and audit trail."""
    item = get_or_404(db.session, LibraryItem, item_id)
    entry = db.session.get(Entry, item.entry_id) if item.entry_id else None
    # The organisation is shown only where the applicant consented to publication; archive items keep the import's.
    may_show_organisation = bool(entry is not None and entry.organisation is not None
                                 and entry.consent_given(ConsentKind.PUBLICATION.value))
    form = ItemForm(data=item_values(item))
    fill_choices(form)
    chosen = [f.file_id for f in item.files]
    file_error, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with_files = entry is not None and "files_shown" in request.form
        chosen = chosen_file_ids(request.form) if with_files else chosen
        try:
            library_service.update_item(db.session, item=item, user=current_user, now=utcnow(),
                                        data=form.service_data(with_organisation=may_show_organisation),
                                        file_ids=chosen if with_files else None, **extraction())
        except ServiceError as exc:
            db.session.rollback()
            apply_field_errors(form, exc)
            file_error, status = exc.extra.get("fields", {}).get("files"), 422
        else:
            db.session.commit()
            flash(_("Изменения сохранены."), "success")
            return redirect(url_for("organizer.library_item", item_id=item_id))
    events, actors = audit_trail(item)
    return render_template("organizer/library_item.html", item=item, entry=entry, form=form, chosen=chosen,
                           file_error=file_error, may_show_organisation=may_show_organisation,
                           unpublish_form=UnpublishForm(formdata=None), action_form=EmptyForm(),
                           events=events, actors=actors, public_page=public_page(item)), status


@bp.route("/library/<int:item_id>/unpublish", methods=["POST"])
def library_unpublish(item_id: int):
    """Take an item out of the library, with a reason."""
    item = get_or_404(db.session, LibraryItem, item_id)
    form = UnpublishForm()
    if not form.validate_on_submit():
        abort(400)
    return perform(lambda: library_service.unpublish_item(db.session, item=item, user=current_user, now=utcnow(),
                                                          reason=form.reason.data or ""),
                   _("Практика снята с публикации: её больше нет в библиотеке, поиске, API и ленте."),
                   url_for("organizer.library_item", item_id=item_id))


@bp.route("/library/<int:item_id>/republish", methods=["POST"])
def library_republish(item_id: int):
    """Publish an unpublished item again."""
    item = get_or_404(db.session, LibraryItem, item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return perform(lambda: library_service.republish_item(db.session, item=item, user=current_user, now=utcnow()),
                   _("Практика снова опубликована."), url_for("organizer.library_item", item_id=item_id))
