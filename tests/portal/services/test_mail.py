"""The outbox: mail is written with the change, delivered after it, retried when the server is down, never lost."""
from __future__ import annotations

import socket
from datetime import timedelta

from portal.models import OutboxMessage, utcnow
from portal.services.mail import deliver_pending, queue_mail
from tests.helpers import outbox_messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_file_backend_writes_a_readable_message(app, db):
    queue_mail(db.session, to="anna@example.ru", subject="Проверка", template="confirm_email",
               user=type("U", (), {"full_name": "Анна"})(), link="http://portal.test/auth/confirm/abc")
    db.session.commit()
    sent, failed = deliver_pending(db.session, config=app.config, now=utcnow())
    assert (sent, failed) == (1, 0)
    [message] = outbox_messages(app)
    assert (message["To"], message["Subject"]) == ("anna@example.ru", "Проверка")
    assert "Здравствуйте, Анна!" in message.get_content()
    assert "http://portal.test/auth/confirm/abc" in message.get_content()


def test_smtp_down_delays_mail_and_keeps_it(app, db):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    queue_mail(db.session, to="anna@example.ru", subject="Проверка", template="confirm_email",
               user=type("U", (), {"full_name": "Анна"})(), link="http://portal.test/x")
    db.session.commit()
    now = utcnow()
    assert deliver_pending(db.session, config=app.config, now=now) == (0, 1)
    message = db.session.scalar(db.select(OutboxMessage))
    assert (message.attempts, message.sent_at) == (1, None)
    assert message.last_error.startswith("ConnectionRefusedError")
    assert message.next_attempt_at == now + timedelta(minutes=2)
    # Not due yet: nothing is tried again before the pause is over.
    assert deliver_pending(db.session, config=app.config, now=now + timedelta(minutes=1)) == (0, 0)
    app.config["MAIL_BACKEND"] = "file"  # the server is back
    assert deliver_pending(db.session, config=app.config, now=now + timedelta(minutes=3)) == (1, 0)
    assert db.session.scalar(db.select(OutboxMessage)).sent_at is not None


def test_outbox_cli_sends_due_messages(app, db):
    queue_mail(db.session, to="a@example.ru", subject="Тема", template="confirm_email",
               user=type("U", (), {"full_name": "А"})(), link="http://portal.test/x")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.output.strip() == "sent 1, failed 0"
    assert len(outbox_messages(app)) == 1
