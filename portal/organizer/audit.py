"""The audit log viewer: newest first, filtered by object, actor, action and Moscow-time days, and its CSV export.
Staff only (the blueprint's gate); reading only."""
from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from portal.extensions import db
from portal.models import AuditEvent, utcnow
from portal.organizer import bp
from portal.permissions import can_administer_users
from portal.services import audit_queries
from portal.i18n import locale_code
from portal.timefmt import MOSCOW

# The organizer's page of an object type: candidate endpoints taking the object's id as their one argument (the first
# one the app has wins), so a link appears as soon as the page exists.
OBJECT_PAGES = {
    "library_item": ("organizer.library_item",),
    "mailing": ("organizer.message",),
    "entry": ("organizer.entry", "organizer.entry_page", "organizer.entry_detail"),
    "user": ("admin.user", "admin.user_detail", "admin.edit_user"),
    "organisation": ("admin.organisation", "organizer.organisation"),
}
ADMIN_PAGES = {"user"}  # pages on the admin blueprint: linked for administrators only


def id_endpoint(candidates: tuple[str, ...]) -> tuple[str, str] | None:
    """(endpoint, its argument) of the first candidate that exists and takes exactly one argument."""
    for endpoint in candidates:
        for rule in current_app.url_map.iter_rules(endpoint) if endpoint in current_app.view_functions else ():
            if len(rule.arguments) == 1:
                return endpoint, next(iter(rule.arguments))
    return None


def object_links(events: list[AuditEvent], *, admin: bool) -> dict[int, str]:
    """Links to the objects' organizer pages, by event id (no link where the object type has no page, or where
    the page is for administrators and `admin` is false)."""
    pages = {kind: id_endpoint(candidates) for kind, candidates in OBJECT_PAGES.items()
             if admin or kind not in ADMIN_PAGES}
    slugs = audit_queries.season_slugs(db.session, [e.object_id for e in events if e.object_type == "season"])
    links = {}
    for event in events:
        page = pages.get(event.object_type)
        if page is not None and event.object_id.isdecimal():
            links[event.id] = url_for(page[0], **{page[1]: int(event.object_id)})
        elif event.object_type == "season" and event.object_id in slugs:
            links[event.id] = url_for("organizer.timeline", slug=slugs[event.object_id])
    return links


def filter_args(values: dict[str, str]) -> dict[str, str]:
    """The filter's non-empty values, for links that keep it."""
    return {name: value for name, value in values.items() if value}


@bp.route("/audit")
def audit_log():
    """The log, newest first, one keyset page at a time."""
    filters, values, errors = audit_queries.parse_filter(request.args)
    page = None
    if not errors:
        page = audit_queries.audit_page(db.session, filters=filters, after=request.args.get("after"),
                                        before=request.args.get("before"))
    events = [row.event for row in page.rows] if page else []
    locale = locale_code()
    return render_template(
        "organizer/audit.html", page=page, values=values, errors=errors, args=filter_args(values),
        types=audit_queries.object_types(db.session), links=object_links(events, admin=can_administer_users(current_user)),
        when=lambda moment: audit_queries.moscow_time(moment, locale), action_label=audit_queries.action_label,
        object_label=audit_queries.object_label, show_value=audit_queries.show_value,
    ), 422 if errors else 200


@bp.route("/audit.csv")
def audit_export():
    """The filtered log as CSV (UTF-8 with BOM); a malformed filter goes back to the page to show its errors."""
    filters, values, errors = audit_queries.parse_filter(request.args)
    if errors:
        return redirect(url_for("organizer.audit_log", **filter_args(values)))
    body = audit_queries.audit_csv(audit_queries.export_rows(db.session, filters=filters))
    name = f"audit-{utcnow().astimezone(MOSCOW):%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(body), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
