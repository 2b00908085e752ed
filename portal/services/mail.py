"""The mail outbox: messages are rows written with the change that causes them, delivered afterwards with retries."""
from __future__ import annotations

import smtplib
import sys
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OutboxMessage, User, utcnow

PENDING_FLAG = "outbox_pending"


def recipient_locale(user: User) -> str:
    """The language a person's mail is written in: the one they chose, else the default (Russian)."""
    return user.locale if user.locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def queue_mail(session: Session, *, to: str, subject: str, template: str, now: datetime | None = None,
               mailing_id: int | None = None, **context) -> OutboxMessage:
    """Render `templates/mail/<template>.txt` and queue it; delivery happens after the transaction commits."""
    message = OutboxMessage(
        to=to,
        mailing_id=mailing_id,
        subject=" ".join(subject.split())[:300],  # one line: a newline in a title must not break the header
        body_text=render_template(f"mail/{template}.txt", **context),
        created_at=now or utcnow(),
        next_attempt_at=now or utcnow(),
    )
    session.add(message)
    session.info[PENDING_FLAG] = True
    return message


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The RFC 5322 message for an outbox row."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}")
    email.set_content(message.body_text)
    return email


def send_one(email: EmailMessage, config: dict, message_id: int) -> None:
    """Hand one message to the configured backend: a file in the outbox folder, or SMTP."""
    if config["MAIL_BACKEND"] == "file":
        folder = Path(config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message_id:08d}.eml").write_bytes(bytes(email))
        if config.get("MAIL_PRINT"):
            print(f"\n=== Письмо для {email['To']}: {email['Subject']} ===\n{email.get_content()}", file=sys.stderr)
        return
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver_pending(session: Session, *, config: dict, now: datetime, limit: int = 50) -> tuple[int, int]:
    """Try every due message once; failures are retried later with a growing pause. Returns (sent, failed).

    Commits per message so a crash mid-way neither loses nor re-sends what was already handed over.
    """
    due = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now,
               OutboxMessage.attempts < config["MAIL_MAX_ATTEMPTS"])
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message in due:
        message.attempts += 1
        try:
            send_one(build_email(message, config["MAIL_DEFAULT_SENDER"]), config, message.id)
        except Exception as exc:  # noqa: BLE001 — one bad message must never block the rest of the queue
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.next_attempt_at = now + timedelta(minutes=2 ** min(message.attempts, 10))
            failed += 1
        else:
            message.sent_at = now
            message.last_error = ""
            sent += 1
        session.commit()
    return sent, failed
