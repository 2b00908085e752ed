"""Helpers for tests: reading the mail outbox, pulling tokens out of pages, reading PDFs, counting queries."""
from __future__ import annotations

import io
import os
import re
from email import message_from_bytes
from email import policy as email_policy

from pypdf import PdfReader
from sqlalchemy import event


def outbox_messages(app) -> list:
    """The e-mails written to the file outbox, oldest first (email.message.EmailMessage objects)."""
    folder = app.config["MAIL_OUTBOX_DIR"]
    if not os.path.isdir(folder):
        return []
    messages = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as handle:
            messages.append(message_from_bytes(handle.read(), policy=email_policy.default))
    return messages


def outbox_links(app) -> list[str]:
    """Every link in the e-mails of the file outbox, oldest first."""
    return [link for m in outbox_messages(app) for link in re.findall(r"https?://\S+", m.get_content())]


def form_csrf(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def pdf_first_page_text(data: bytes) -> str:
    """The text of a PDF's first page with its whitespace collapsed (lines joined by single spaces)."""
    return " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def count_queries(db):
    """Start recording the SQL statements sent: returns (the list they go to, a function that stops recording)."""
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", before)
