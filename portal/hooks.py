"""Per-request plumbing: the client address for the audit log, inline mail delivery, security headers."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.extensions import db
from portal.models import utcnow
from portal.services.files import ObjectJanitor
from portal.services.mail import PENDING_FLAG, deliver_pending
from portal.services.audit_guard import AuditGuard
from portal.services.search_sync import SearchSync


def content_security_policy(app: Flask) -> str:
    """Only the portal's own assets; the S3 endpoint may receive direct uploads."""
    upload_targets = "'self'"
    if app.config["STORAGE_BACKEND"] == "s3" and app.config.get("S3_ENDPOINT_URL"):
        upload_targets += " " + app.config["S3_ENDPOINT_URL"].rstrip("/")
    elif app.config["STORAGE_BACKEND"] == "s3":
        upload_targets += " https://*.amazonaws.com"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"connect-src {upload_targets}; form-action {upload_targets}; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'"
    )


def init_app(app: Flask) -> None:
    ObjectJanitor.install()
    SearchSync.install()
    AuditGuard.install()
    if app.config.get("PROXY_FIX"):  # behind a load balancer that sets X-Forwarded-*
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    csp = content_security_policy(app)

    @app.before_request
    def remember_client():
        db.session.info["remote_addr"] = request.remote_addr or ""

    @app.after_request
    def deliver_mail_and_secure(response):
        if db.session.info.pop(PENDING_FLAG, False) and app.config["MAIL_DELIVERY"] == "inline":
            try:
                db.session.rollback()  # nothing uncommitted may ride along with the outbox's commits
                deliver_pending(db.session, config=app.config, now=utcnow(), limit=20)
            except Exception:  # a mail problem never breaks the page; the worker or next request retries
                app.logger.exception("Outbox delivery failed")
                db.session.rollback()
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("HSTS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
