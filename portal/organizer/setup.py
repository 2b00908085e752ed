"""Season set-up: create and edit seasons, tracks and nominations; copy a season. Staff only (the blueprint's gate);
each view parses the form, calls one service function and commits once."""
from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.forms import EmptyForm
from portal.extensions import db
from portal.models import Nomination, Region, Season, Track, utcnow
from portal.organizer import bp
from portal.organizer.setup_forms import CopyForm, NominationForm, SeasonForm, TrackForm
from portal.organizer.views import timeline_changes, to_local_input
from portal.services import season_setup
from portal.services import season_structure as structure_service
from portal.services.seasons import TIMELINE_FIELDS
from portal.i18n import locale_code
from portal.views_util import get_or_404, perform, season_or_404, submit_form
from portal.vocabularies import LIBRARY_NOMINATIONS

DEFAULT_ZONE = "Europe/Moscow"


# --- helpers --------------------------------------------------------------------------------------------------------

def require_csrf(form=None) -> None:
    if not (form or EmptyForm()).validate_on_submit():
        abort(400)


def time_zones() -> list[str]:
    """The zones of Russia's regions, for the time zone field's suggestions."""
    return sorted(set(db.session.scalars(select(Region.time_zone))) | {DEFAULT_ZONE})


def entry_zone(form: SeasonForm, fallback: str) -> str:
    """Dates are typed in the zone chosen on the form when it is a real zone, else in `fallback`."""
    zone = (form.time_zone.data or "").strip()
    return zone if season_setup.valid_time_zone(zone) else fallback


def next_year_values(source: Season) -> dict:
    """The copy form's starting values: next year's slug and titles (the year in them moved on by one)."""
    old, new = str(source.year), str(source.year + 1)
    slug = source.slug.replace(old, new) if old in source.slug else f"{source.slug}-{new}"
    titles = {name: (re.sub(rf"\b{old}\b", new, getattr(source, name)) if old in getattr(source, name)
                     else getattr(source, name)) for name in ("title_ru", "title_en")}
    return {"slug": slug, "year": new, **titles}


# --- the season's settings ------------------------------------------------------------------------------------------

def render_season_form(form: SeasonForm, season: Season | None, status: int = 200):
    return render_template("organizer/season_form.html", form=form, season=season, time_zones=time_zones(),
                           timeline_fields=TIMELINE_FIELDS), status


@bp.route("/seasons/new", methods=["GET", "POST"])
def season_new():
    """Create a season: its settings and timeline; tracks and nominations come next."""
    form = SeasonForm(data={"time_zone": DEFAULT_ZONE, "year": str(utcnow().year + 1), "grace_minutes": "0"})
    if request.method == "GET":
        return render_season_form(form, None)
    require_csrf(form)
    season, status = submit_form(form, lambda: season_setup.create_season(
        db.session, data=form.settings(), timeline=timeline_changes(form.timeline_raw(), entry_zone(form, DEFAULT_ZONE)),
        actor=current_user, now=utcnow()))
    if season is None:
        return render_season_form(form, None, status)
    flash(_("Сезон создан. Добавьте направления и номинации."), "success")
    return redirect(url_for("organizer.season_structure", slug=season.slug))


@bp.route("/seasons/<slug>/settings", methods=["GET", "POST"])
def season_settings(slug: str):
    """Edit a season's settings and timeline."""
    season = season_or_404(slug)
    values = {name: getattr(season, name) for name in season_setup.SETTINGS_FIELDS}
    values = {name: "" if value is None else str(value) for name, value in values.items()}
    values |= {name: to_local_input(getattr(season, name), season.time_zone) for name in TIMELINE_FIELDS}
    form = SeasonForm(data=values | {"grace_minutes": str(season.grace_minutes)})
    if request.method == "GET":
        return render_season_form(form, season)
    require_csrf(form)
    changed, status = submit_form(form, lambda: season_setup.update_season(
        db.session, season=season, data=form.settings(),
        timeline=timeline_changes(form.timeline_raw(), entry_zone(form, season.time_zone)), actor=current_user,
        now=utcnow()))
    if changed is None:
        return render_season_form(form, season, status)
    flash(_("Настройки сезона сохранены."), "success")
    return redirect(url_for("organizer.season_settings", slug=season.slug))


# --- tracks and nominations -----------------------------------------------------------------------------------------

def track_choices(season: Season) -> list[tuple[str, str]]:
    locale = locale_code()
    return [(str(t.id), t.title(locale)) for t in season.tracks]


def nomination_form(season: Season, track: Track, formdata=None) -> NominationForm:
    """The «add a nomination» form of one track (prefixed: each track has its own on the page)."""
    kwargs = {} if formdata is not None else {"formdata": None}
    form = NominationForm(prefix=f"t{track.id}", data={"track_id": str(track.id), "is_open": True,
                                                       "max_entries_per_applicant": "1"}, **kwargs)
    form.track_id.choices = track_choices(season)
    return form


def render_structure(season: Season, *, track_form: TrackForm | None = None,
                     nomination_forms: dict[int, NominationForm] | None = None, status: int = 200):
    forms = {t.id: nomination_form(season, t) for t in season.tracks} | (nomination_forms or {})
    return render_template("organizer/season_structure.html", season=season,
                           counts=structure_service.entry_counts(db.session, season),
                           track_form=track_form or TrackForm(prefix="track", formdata=None),
                           nomination_forms=forms, expanded=set(nomination_forms or ()), action_form=EmptyForm(),
                           library_codes=LIBRARY_NOMINATIONS), status


@bp.route("/seasons/<slug>/structure")
def season_structure(slug: str):
    """Tracks and nominations of a season on one page, with entry counts and what is locked."""
    return render_structure(season_or_404(slug))


@bp.route("/seasons/<slug>/tracks", methods=["POST"])
def track_create(slug: str):
    season = season_or_404(slug)
    form = TrackForm(prefix="track")
    require_csrf(form)
    track, status = submit_form(form, lambda: structure_service.create_track(
        db.session, season=season, data=form.values(), actor=current_user, now=utcnow()))
    if track is None:
        return render_structure(season, track_form=form, status=status)
    flash(_("Направление добавлено."), "success")
    return redirect(url_for("organizer.season_structure", slug=slug))


@bp.route("/seasons/<slug>/tracks/<int:track_id>", methods=["GET", "POST"])
def track_edit(slug: str, track_id: int):
    season = season_or_404(slug)
    track = get_or_404(db.session, Track, track_id, season_id=season.id)
    form = TrackForm(data={name: getattr(track, name) for name in ("code", "title_ru", "title_en")})
    status = 200
    if request.method == "POST":
        require_csrf(form)
        changed, status = submit_form(form, lambda: structure_service.update_track(
            db.session, track=track, data=form.values(), actor=current_user, now=utcnow()))
        if changed is not None:
            flash(_("Направление сохранено."), "success")
            return redirect(url_for("organizer.season_structure", slug=slug))
    return render_template("organizer/season_track.html", season=season, track=track, form=form), status


@bp.route("/seasons/<slug>/tracks/<int:track_id>/delete", methods=["POST"])
def track_delete(slug: str, track_id: int):
    track = get_or_404(db.session, Track, track_id, season_id=season_or_404(slug).id)
    require_csrf()
    return perform(lambda: structure_service.delete_track(db.session, track=track, actor=current_user, now=utcnow()),
                   _("Направление удалено."), url_for("organizer.season_structure", slug=slug))


@bp.route("/seasons/<slug>/tracks/<int:track_id>/move/<any(up, down):direction>", methods=["POST"])
def track_move(slug: str, track_id: int, direction: str):
    track = get_or_404(db.session, Track, track_id, season_id=season_or_404(slug).id)
    require_csrf()
    structure_service.move_track(db.session, track=track, offset=-1 if direction == "up" else 1, actor=current_user,
                                now=utcnow())
    db.session.commit()
    return redirect(url_for("organizer.season_structure", slug=slug, _anchor=f"track-{track_id}"))


@bp.route("/seasons/<slug>/tracks/<int:track_id>/nominations", methods=["POST"])
def nomination_create(slug: str, track_id: int):
    season = season_or_404(slug)
    track = get_or_404(db.session, Track, track_id, season_id=season.id)
    form = nomination_form(season, track, formdata=request.form)
    require_csrf(form)
    nomination, status = submit_form(form, lambda: structure_service.create_nomination(
        db.session, season=season, data=form.values(), actor=current_user, now=utcnow()))
    if nomination is None:
        return render_structure(season, nomination_forms={track_id: form}, status=status)
    flash(_("Номинация добавлена."), "success")
    return redirect(url_for("organizer.season_structure", slug=slug, _anchor=f"track-{track_id}"))


@bp.route("/seasons/<slug>/nominations/<int:nomination_id>", methods=["GET", "POST"])
def nomination_edit(slug: str, nomination_id: int):
    season = season_or_404(slug)
    nomination = get_or_404(db.session, Nomination, nomination_id, season_id=season.id)
    data = {name: getattr(nomination, name) for name in (*structure_service.NOMINATION_FIELDS, "is_open")}
    form = NominationForm(data=data | {"track_id": str(nomination.track_id),
                                       "max_entries_per_applicant": str(nomination.max_entries_per_applicant)})
    form.track_id.choices = track_choices(season)
    status = 200
    if request.method == "POST":
        require_csrf(form)
        changed, status = submit_form(form, lambda: structure_service.update_nomination(
            db.session, nomination=nomination, data=form.values(), actor=current_user, now=utcnow()))
        if changed is not None:
            flash(_("Номинация сохранена."), "success")
            return redirect(url_for("organizer.season_structure", slug=slug, _anchor=f"nomination-{nomination_id}"))
    count = structure_service.entry_counts(db.session, season).get(nomination.id, 0)
    return render_template("organizer/season_nomination.html", season=season, nomination=nomination, form=form,
                           entries=count, library_codes=LIBRARY_NOMINATIONS), status


@bp.route("/seasons/<slug>/nominations/<int:nomination_id>/<any(open, close):action>", methods=["POST"])
def nomination_open(slug: str, nomination_id: int, action: str):
    nomination = get_or_404(db.session, Nomination, nomination_id, season_id=season_or_404(slug).id)
    require_csrf()
    structure_service.set_nomination_open(db.session, nomination=nomination, is_open=action == "open",
                                         actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("Приём заявок в номинации открыт.") if action == "open" else _("Приём заявок в номинации закрыт."),
          "success")
    return redirect(url_for("organizer.season_structure", slug=slug, _anchor=f"nomination-{nomination_id}"))


@bp.route("/seasons/<slug>/nominations/<int:nomination_id>/delete", methods=["POST"])
def nomination_delete(slug: str, nomination_id: int):
    nomination = get_or_404(db.session, Nomination, nomination_id, season_id=season_or_404(slug).id)
    require_csrf()
    return perform(lambda: structure_service.delete_nomination(db.session, nomination=nomination, actor=current_user,
                                                              now=utcnow()),
                   _("Номинация удалена."), url_for("organizer.season_structure", slug=slug))


@bp.route("/seasons/<slug>/nominations/<int:nomination_id>/move/<any(up, down):direction>", methods=["POST"])
def nomination_move(slug: str, nomination_id: int, direction: str):
    nomination = get_or_404(db.session, Nomination, nomination_id, season_id=season_or_404(slug).id)
    require_csrf()
    structure_service.move_nomination(db.session, nomination=nomination, offset=-1 if direction == "up" else 1,
                                     actor=current_user, now=utcnow())
    db.session.commit()
    return redirect(url_for("organizer.season_structure", slug=slug, _anchor=f"nomination-{nomination_id}"))


# --- copying a season -----------------------------------------------------------------------------------------------

def copy_preview(source: Season, year_text: str) -> list[tuple[str, object, object]] | None:
    """(field, source date, date in the copy) for a sensible year, else None."""
    year = int(year_text) if year_text.strip().isdecimal() else None
    if year is None or not season_setup.YEARS[0] <= year <= season_setup.YEARS[1]:
        return None
    shifted = season_setup.shifted_timeline(source, year)
    return [(name, getattr(source, name), shifted[name]) for name in TIMELINE_FIELDS]


@bp.route("/seasons/<slug>/copy", methods=["GET", "POST"])
def season_copy(slug: str):
    """Copy a season into a new year: settings, tracks, nominations and (through the hooks) the judging set-up."""
    source = season_or_404(slug)
    form = CopyForm(data=next_year_values(source))
    status = 200
    if request.method == "POST":
        require_csrf(form)
        if request.form.get("action") != "preview":
            values = form.values()
            result, status = submit_form(form, lambda: season_setup.copy_season(
                db.session, source=source, slug=values["slug"], title_ru=values["title_ru"],
                title_en=values["title_en"], year=values["year"], actor=current_user, now=utcnow(),
                copiers=current_app.extensions.get("season_copiers", ())))
            if result is not None:
                flash(_("Сезон «%(title)s» создан копией. Проверьте сроки и настройки.",
                        title=result.season.title(locale_code())), "success")
                return redirect(url_for("organizer.season_settings", slug=result.season.slug))
    return render_template("organizer/season_copy.html", source=source, form=form,
                           preview=copy_preview(source, form.year.data or "")), status
