"""/verify/<code>: anyone holding a certificate or diploma checks that the portal issued it and it is still valid.

One indexed query per lookup and no writes, a malformed code answered without touching the database; the 60-bit
codes make guessing hopeless, so a plain per-address limit in front of the app is all the protection it needs.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from portal.extensions import db
from portal.public import bp
from portal.services import certificates as certificate_service


def _page(status: int, *, code: str | None, certificate=None, typed: str = "", malformed: bool = False):
    """The verification page; never cached by a proxy (a revocation shows at once) nor indexed by search engines."""
    return (render_template("public/verify.html", code=code, certificate=certificate, typed=typed, malformed=malformed),
            status,
            {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"})


@bp.route("/verify")
def verify_form():
    """The form to type a code in; a typed code goes to its canonical page."""
    raw = request.args.get("code", "").strip()
    if not raw:
        return _page(200, code=None)
    code = certificate_service.normalise_code(raw)
    if code is None:
        return _page(422, code=None, typed=raw[:40], malformed=True)
    return redirect(url_for("public.verify_certificate", code=certificate_service.grouped(code)))


@bp.route("/verify/<code>")
def verify_certificate(code: str):
    """Valid (200), revoked (410) or not found (404); any spelling of a code redirects to its XXXX-XXXX-XXXX form."""
    normalised = certificate_service.normalise_code(code)
    if normalised is None:
        return _page(404, code=None, typed=code[:40])
    canonical = certificate_service.grouped(normalised)
    if code != canonical:
        return redirect(url_for("public.verify_certificate", code=canonical), 301)
    certificate = certificate_service.find_by_code(db.session, normalised)
    if certificate is None:
        return _page(404, code=canonical, typed=canonical)
    return _page(410 if certificate.is_revoked else 200, code=canonical, certificate=certificate, typed=canonical)
