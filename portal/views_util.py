"""Small helpers shared by the HTML views."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import abort, current_app, flash, redirect, url_for
from sqlalchemy import select

from portal.extensions import db
from portal.models import Season
from portal.services.errors import ServiceError


def apply_field_errors(form, exc: ServiceError) -> None:
    """Show a service's field errors next to the form's fields. At the top of the form: the refusal's own message when
    none of them has a field here, else the messages of the fields the form lacks."""
    placed, elsewhere = False, []
    for name, message in (exc.extra.get("fields") or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
            placed = True
        else:
            elsewhere.append(message)
    form.form_errors.extend(elsewhere if placed else [exc.message])


def safe_next_url(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def get_or_404(session, model, ident, **owner):
    """The `model` row `ident`, or 404; with `owner` (e.g. `season_id=season.id`) a row of another owner is a 404 too,
    so an id from another season never leaks."""
    obj = session.get(model, ident)
    if obj is None or any(getattr(obj, name) != value for name, value in owner.items()):
        abort(404)
    return obj


def season_or_404(slug: str) -> Season:
    """The season with this slug, or 404."""
    season = db.session.scalar(select(Season).where(Season.slug == slug))
    if season is None:
        abort(404)
    return season


def public_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, always on the configured PUBLIC_BASE_URL, never on the request's Host header
    (which an attacker controls: a reset link must not point to someone else's site)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, _external=False, **values)


def submit_form(form, action):
    """Run one service call for a submitted form: commit and return (its result, 200); on a refusal roll back, put the
    service's messages on the form (`apply_field_errors`) and return (None, the refusal's status; 422 for a plain bad
    request). For services that return something when they succeed."""
    try:
        outcome = action()
    except ServiceError as exc:
        db.session.rollback()
        apply_field_errors(form, exc)
        return None, 422 if exc.status == 400 else exc.status
    db.session.commit()
    return outcome, 200


def perform(action, success, target: str):
    """Run one service call; commit and say `success` (a text, or a function of the call's result), or roll back and
    show the service's refusal. Then go to `target`."""
    try:
        outcome = action()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(success(outcome) if callable(success) else success, "success")
    return redirect(target)
