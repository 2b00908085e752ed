"""The demo data builder (`flask seed-demo`): accounts, seasons, entries in every state, files, idempotency."""
from __future__ import annotations

import hashlib
import io
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from portal import validators
from portal.demo import DEMO_PASSWORD, inn_with_check, ogrn_with_check, seed_demo
from portal.models import (AuditEvent, Award, Consent, Entry, EntryAuthor, EntryFile, LibraryFile, LibraryItem,
                           Membership, Nomination, Organisation, OutboxMessage, Season, SeasonStatus, Track, User)
from portal.services.entries import missing_fields
from portal.storage import get_storage

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
DOMAIN = "demo.nastavnichestvo.ru"
EXPECTED_ACCOUNTS = [
    ("admin", f"admin@{DOMAIN}"),
    ("organizer", f"organizer@{DOMAIN}"),
    ("juror", f"juror@{DOMAIN}"),
    ("applicant", f"applicant@{DOMAIN}"),
    ("applicant", f"applicant-plant@{DOMAIN}"),
    ("applicant", f"applicant-social@{DOMAIN}"),
    ("applicant", f"applicant-municipal@{DOMAIN}"),
    ("applicant", f"applicant-ngo@{DOMAIN}"),
    ("applicant", f"applicant-it@{DOMAIN}"),
    ("applicant", f"applicant-college@{DOMAIN}"),
]
COUNTED = (User, Organisation, Membership, Season, Track, Nomination, Entry, EntryAuthor, EntryFile, Consent,
           AuditEvent, OutboxMessage, Award, LibraryItem, LibraryFile)


@pytest.fixture
def seeded(app, db):
    accounts = seed_demo(db.session, config=app.config, now=NOW)
    db.session.commit()
    return accounts


def _season(db, slug: str) -> Season:
    return db.session.scalar(select(Season).where(Season.slug == slug))


def _statuses(db, season: Season) -> Counter:
    return Counter(db.session.scalars(select(Entry.status).where(Entry.season_id == season.id)))


def _counts(db) -> dict[str, int]:
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}
    counts["stored objects"] = len(list(get_storage().iter_keys("entries/")))
    return counts


def test_check_digit_helpers_make_valid_numbers():
    assert validators.inn_error(inn_with_check("770708389")) is None
    assert inn_with_check("770708389") == "7707083893"
    assert ogrn_with_check("102770013219") == "1027700132195"


def test_returns_the_demo_accounts_with_their_roles(db, seeded):
    assert seeded == EXPECTED_ACCOUNTS
    for role, email in seeded:
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == role
        assert user.email_confirmed_at is not None
        assert check_password_hash(user.password_hash, DEMO_PASSWORD)
    organizer = db.session.scalar(select(User).where(User.email == f"organizer@{DOMAIN}"))
    assert organizer.full_name == "Ирина Сергеевна Волкова"


def test_each_applicant_owns_one_valid_organisation(db, seeded):
    organisations = db.session.scalars(select(Organisation)).all()
    assert len(organisations) == 7
    assert len({o.region_code for o in organisations}) == 7
    assert {o.kind for o in organisations} >= {"educational", "enterprise", "nonprofit", "state", "other"}
    for organisation in organisations:
        assert validators.inn_error(organisation.inn) is None
        assert validators.ogrn_error(organisation.ogrn) is None
        assert [m.role for m in organisation.memberships] == ["owner"]
    anna = db.session.scalar(select(User).where(User.email == f"applicant@{DOMAIN}"))
    assert anna.full_name == "Анна Петровна Смирнова"
    assert anna.memberships[0].organisation.region_code == "69"


def test_seasons_tracks_and_nominations(db, seeded):
    assert db.session.scalar(select(func.count()).select_from(Season).where(Season.is_archived.is_(False))) == 2
    current, past = _season(db, "nastavnichestvo-2026"), _season(db, "nastavnichestvo-2025")
    assert (current.year, current.time_zone, past.year) == (2026, "Europe/Moscow", 2025)
    assert [t.code for t in current.tracks] == ["best-practices", "mentor-of-year"]
    assert [n.code for n in current.nominations] == [
        "production", "education", "social", "public_service", "business", "mentor_production", "mentor_education"]
    assert [n.code for n in past.nominations] == ["production", "education", "social", "public_service"]
    for nomination in current.nominations + past.nominations:
        assert nomination.season_id == nomination.track.season_id
        assert nomination.title_ru and nomination.title_en and nomination.description_ru
    assert current.status_at(NOW) == SeasonStatus.SUBMISSIONS_OPEN
    assert past.status_at(NOW) == SeasonStatus.RESULTS_PUBLISHED
    close_moscow = current.submissions_close_at.astimezone(ZoneInfo("Europe/Moscow"))
    assert (close_moscow.hour, close_moscow.minute) == (23, 59)
    assert 24 <= (close_moscow.date() - NOW.date()).days <= 26
    assert current.submissions_open_at < NOW < current.submissions_close_at < current.review_ends_at
    assert current.review_ends_at < current.results_planned_at


def test_entries_by_status(db, seeded):
    assert _statuses(db, _season(db, "nastavnichestvo-2026")) == {"submitted": 6, "draft": 4, "withdrawn": 1}
    assert _statuses(db, _season(db, "nastavnichestvo-2025")) == {"awarded": 3, "not_awarded": 4}


def test_submitted_entries_are_complete_with_one_stored_pdf(db, seeded):
    storage = get_storage()
    finished = db.session.scalars(select(Entry).where(
        Entry.status.in_(("submitted", "withdrawn", "awarded", "not_awarded")))).all()
    assert len(finished) == 14
    for entry in finished:
        assert missing_fields(entry) == [], entry.title
        assert entry.submitted_at is not None
        assert len(entry.files) == 1
        file = entry.files[0]
        with storage.open(file.storage_key) as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == file.sha256
        assert (len(data), file.content_type, file.filename) == (file.size, "application/pdf", "Презентация практики.pdf")
        assert data.startswith(b"%PDF-")
        assert "Presentation of a mentoring practice" in PdfReader(io.BytesIO(data), strict=True).pages[0].extract_text()
        assert 2015 <= entry.start_year <= 2025
        assert entry.authors and all(a.email.endswith("@example.ru") for a in entry.authors)


def test_drafts_show_what_is_missing(db, seeded):
    drafts = db.session.scalars(select(Entry).where(Entry.status == "draft")).all()
    assert len(drafts) == 4
    assert all(missing_fields(entry) for entry in drafts)


def test_demo_applicant_has_a_submitted_entry_and_a_draft_in_different_tracks(db, seeded):
    anna = db.session.scalar(select(User).where(User.email == f"applicant@{DOMAIN}"))
    current = _season(db, "nastavnichestvo-2026")
    entries = db.session.scalars(select(Entry).where(Entry.created_by_id == anna.id,
                                                     Entry.season_id == current.id)).all()
    assert sorted(e.status for e in entries) == ["draft", "submitted"]
    assert len({e.track_id for e in entries}) == 2


def test_no_mail_is_queued_for_the_demo_addresses(db, seeded):
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_seeding_twice_changes_nothing(app, db, seeded):
    before = _counts(db)
    assert seed_demo(db.session, config=app.config, now=NOW) == EXPECTED_ACCOUNTS
    db.session.commit()
    assert _counts(db) == before
    # A later run (another `now`) keeps the season's timeline as it was.
    close = _season(db, "nastavnichestvo-2026").submissions_close_at
    seed_demo(db.session, config=app.config, now=datetime(2026, 4, 1, tzinfo=timezone.utc))
    db.session.commit()
    assert _counts(db) == before
    assert _season(db, "nastavnichestvo-2026").submissions_close_at == close


def test_the_past_seasons_consented_winners_and_the_archive_are_in_the_library(app, db, seeded):
    past = _season(db, "nastavnichestvo-2025")
    awards = db.session.scalars(select(Award).where(Award.season_id == past.id).order_by(Award.id)).all()
    assert [(a.tier, a.place) for a in awards] == [("winner", 1), ("winner", 2), ("prize", None)]
    from_entries = db.session.scalars(select(LibraryItem).where(LibraryItem.source == "entry")
                                      .order_by(LibraryItem.id)).all()
    assert [i.entry_id for i in from_entries] == [a.entry_id for a in awards]
    assert {i.status for i in from_entries} == {"published"}
    assert all(i.published_at == past.results_published_at for i in from_entries)
    assert [len(i.files) for i in from_entries] == [1, 1, 1]  # the presentation PDF is public
    archive = db.session.scalars(select(LibraryItem).where(LibraryItem.source == "archive")).all()
    assert len(archive) == 36
    assert {i.status for i in archive} == {"published"}
    assert {i.year for i in archive} <= {2021, 2022, 2023, 2024}
