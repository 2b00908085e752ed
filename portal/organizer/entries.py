"""The organizer's entries: a season's table with filters, search and bulk screening, and one entry with its history.
Staff only (the blueprint's gate); one service call, one commit."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applicant.sections import SECTIONS
from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import AuditEvent, Entry, Nomination, Region, Season, Track, User, utcnow
from portal.organizer import bp
from portal.services import deadline_extensions, entry_queries
from portal.services import screening
from portal.services.errors import ServiceError
from portal.services.ids import parse_id
from portal.vocabularies import ENTRY_STATUSES, FILE_KINDS, ORGANISATION_KINDS
from portal.views_util import season_or_404

PER_PAGE = 50
HISTORY_LIMIT = 200
MAX_BULK = 500
DECISIONS = {"eligible": True, "ineligible": False}
FILTER_ARGS = ("nomination", "region", "status", "files", "flag", "from", "to", "q", "sort")


# --- helpers --------------------------------------------------------------------------------------------------------

def season_nominations(season: Season) -> list[Nomination]:
    """The season's nominations in the order of their tracks, in one query."""
    return list(db.session.scalars(select(Nomination).join(Track, Track.id == Nomination.track_id)
                                   .where(Nomination.season_id == season.id)
                                   .order_by(Track.position, Nomination.position, Nomination.id)))


def parse_day(value: str) -> date:
    """A `type=date` value (YYYY-MM-DD); raises ValueError when malformed."""
    return date.fromisoformat(value)


def parse_filters(args, nominations: list[Nomination], region_codes: set[str]):
    """The filters from the query string: (EntryFilters, the values to show again, field errors). Unknown choices
    are ignored; a malformed date is reported next to its field and not applied."""
    values = {name: args.get(name, "").strip()[:entry_queries.MAX_SEARCH] for name in FILTER_ARGS}
    errors: dict[str, str] = {}
    by_code = {n.code: n.id for n in nominations}
    if values["nomination"] not in by_code:
        values["nomination"] = ""
    if values["region"] not in region_codes:
        values["region"] = ""
    if values["status"] not in (*entry_queries.STATUSES, entry_queries.ALL_STATUSES):
        values["status"] = entry_queries.DEFAULT_STATUS
    if values["files"] not in entry_queries.HAS_FILES:
        values["files"] = ""
    if values["flag"] not in entry_queries.FLAGS:
        values["flag"] = ""
    if values["sort"] not in entry_queries.SORTS:
        values["sort"] = entry_queries.SORTS[0]
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = parse_day(values[name]) if values[name] else None
        except ValueError:
            days[name] = None
            errors[name] = _("Укажите дату в формате ГГГГ-ММ-ДД.")
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = _("Конец периода раньше начала.")
        days["to"] = None
    filters = entry_queries.EntryFilters(
        nomination_id=by_code.get(values["nomination"]), region_code=values["region"] or None,
        status=values["status"], has_files=values["files"], flag=values["flag"], submitted_from=days["from"],
        submitted_to=days["to"], text=values["q"], sort=values["sort"])
    return filters, values, errors


def list_args(values: dict) -> dict:
    """The filters worth keeping in links (empty ones dropped)."""
    return {name: value for name, value in values.items() if value}


def render_entries(season: Season, *, bulk: dict | None = None, status: int = 200):
    """The entries table under the query string's filters, with the bulk form's state (kept after a refusal)."""
    nominations = season_nominations(season)
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    filters, values, errors = parse_filters(request.args, nominations, {r.code for r in regions})
    page = entry_queries.search_entries(db.session, season=season, filters=filters,
                                        page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    bulk = bulk or {"checked": set(), "decision": "", "reason": "", "errors": {}, "refused": []}
    args = list_args(values)
    return render_template("organizer/entries.html", season=season, page=page, nominations=nominations,
                           regions=regions, values=values, errors=errors, args=args,
                           base={k: v for k, v in args.items() if k != "status"},
                           submitted_total=sum(n for code, n in page.counts.items() if code != "draft"),
                           statuses=ENTRY_STATUSES, bulk=bulk, form=EmptyForm()), status


def checked_ids(form) -> list[int]:
    """The ticked entry ids; a value that is not a number becomes 0, which no entry has (so it is reported)."""
    return [parse_id(v) or 0 for v in dict.fromkeys(form.getlist("entry_ids"))]


def entry_history(entry_id: int) -> list[tuple[AuditEvent, str | None]]:
    """The entry's audit events with the actor's name, newest first."""
    return list(db.session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "entry", AuditEvent.object_id == str(entry_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(HISTORY_LIMIT)).all())


def load_entry(entry_id: int) -> Entry:
    """The entry with everything its page shows (in a fixed number of queries), or 404."""
    entry = db.session.scalar(select(Entry).where(Entry.id == entry_id).options(
        selectinload(Entry.authors), selectinload(Entry.files), selectinload(Entry.consents),
        selectinload(Entry.created_by), selectinload(Entry.region)))
    if entry is None:
        abort(404)
    return entry


def render_entry(entry: Entry, *, values: dict | None = None, errors: dict | None = None, status: int = 200,
                 extension_form: dict | None = None):
    """The staff's entry page, with the screening and extension forms' state (kept after a refusal)."""
    history = entry_history(entry.id)
    decision = next(((e, name) for e, name in history if e.action in ("entry.eligible", "entry.ineligible")), None)
    return render_template("organizer/entry.html", entry=entry, sections=SECTIONS, history=history,
                           decision=decision, values=values or {"decision": "", "reason": ""}, errors=errors or {},
                           statuses=ENTRY_STATUSES, file_kinds=FILE_KINDS, organisation_kinds=ORGANISATION_KINDS,
                           refusal=screening.screening_refusal(entry), form=EmptyForm(),
                           extension=deadline_extensions.extension_of(db.session, entry),
                           extension_form=extension_form or {"values": {}, "errors": {}}), status


# --- the table ------------------------------------------------------------------------------------------------------

@bp.route("/seasons/<slug>/entries")
def season_entries(slug: str):
    """The season's entries: counts per status, filters, search, sorting, pages."""
    return render_entries(season_or_404(slug))


@bp.route("/seasons/<slug>/entries/screen", methods=["POST"])
def screen_season_entries(slug: str):
    """One decision for the ticked entries, all or nothing; a refusal shows the table again with the report."""
    season = season_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    ids = checked_ids(request.form)
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    bulk = {"checked": set(ids), "decision": decision, "reason": reason, "errors": {}, "refused": []}
    if decision not in DECISIONS:
        bulk["errors"]["decision"] = _("Выберите решение.")
    elif len(ids) > MAX_BULK:
        bulk["errors"]["entry_ids"] = _("Не больше %(n)d заявок за один раз.", n=MAX_BULK)
    else:
        entries = list(db.session.scalars(select(Entry).where(Entry.id.in_(ids), Entry.season_id == season.id)
                                          .options(selectinload(Entry.created_by)).order_by(Entry.id))) if ids else []
        found = {e.id for e in entries}
        try:
            screening.screen_entries(db.session, entries=entries, missing_ids=[i for i in ids if i not in found],
                                     user=current_user, eligible=DECISIONS[decision], reason=reason, now=utcnow())
        except screening.ScreeningRefused as exc:
            db.session.rollback()
            bulk["errors"]["entry_ids"] = exc.message
            bulk["refused"] = exc.refused
        except ServiceError as exc:
            db.session.rollback()
            bulk["errors"].update(exc.extra.get("fields") or {"entry_ids": exc.message})
        else:
            db.session.commit()
            message = (_("Допущено заявок: %(n)d.", n=len(entries)) if DECISIONS[decision]
                       else _("Не допущено заявок: %(n)d.", n=len(entries)))
            flash(message, "success")
            kept = {name: request.args[name] for name in (*FILTER_ARGS, "page") if request.args.get(name)}
            return redirect(url_for("organizer.season_entries", slug=slug, **kept))
    return render_entries(season, bulk=bulk, status=422)


# --- one entry ------------------------------------------------------------------------------------------------------

@bp.route("/entries/<int:entry_id>")
def entry_page(entry_id: int):
    """The entry as staff see it: every field, the applicant, files, consents, status, the history."""
    return render_entry(load_entry(entry_id))


@bp.route("/entries/<int:entry_id>/screen", methods=["POST"])
def screen_one(entry_id: int):
    """Mark one entry eligible or ineligible; a refusal shows the page again with the message by the field."""
    entry = load_entry(entry_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason", "")}
    if values["decision"] not in DECISIONS:
        return render_entry(entry, values=values, errors={"decision": _("Выберите решение.")}, status=422)
    try:
        screening.screen_entry(db.session, entry=entry, user=current_user, eligible=DECISIONS[values["decision"]],
                               reason=values["reason"], now=utcnow())
    except ServiceError as exc:
        db.session.rollback()
        entry = load_entry(entry_id)
        return render_entry(entry, values=values, errors=exc.extra.get("fields") or {"decision": exc.message},
                            status=422)
    db.session.commit()
    flash(_("Заявка допущена к экспертизе.") if DECISIONS[values["decision"]] else _("Заявка не допущена."),
          "success")
    return redirect(url_for("organizer.entry_page", entry_id=entry.id))
