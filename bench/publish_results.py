"""Publishing a season's results at 25,000 entries (issue 5): the whole `publish_results` call — every entry under
review moved to its final status through the state machine with its audit event, consenting winners published in
the library, one e-mail per applicant queued in the outbox — and the commit, on SQLite (the embedded default) and on
PostgreSQL when it answers.

The season is bulk-inserted (not timed): five nominations, 25,000 entries from 22,000 applicants (some submit two),
100 finalists per nomination with nine awards each (winners 1–3, two prize-winners, three laureates), the other
finalists decided without an award, one applicant in ten refusing publication, three jury comments per entry.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import fig, make_closed_season, migrated_app, on_each_database, rounded
from portal.extensions import db
from portal.models import Award, Consent, Entry, LibraryItem, Nomination, OutboxMessage, Season, User
from portal.services.results_publication import publish_results
from portal.storage import backend_named

SEED = 2026
ENTRIES = 25_000
APPLICANTS = 22_000
NOMINATIONS = ("production", "education", "social", "public_service", "business")
FINALISTS = 100  # per nomination
SLOTS = [("winner", 1), ("winner", 2), ("winner", 3), ("prize", None), ("prize", None), ("laureate", None),
         ("laureate", None), ("laureate", None)]
PG_NAME = "bench_publish_results"


def seed(app) -> tuple[int, set[int], dict[int, list[str]]]:
    """Bulk-insert the season; returns (season id, entries decided without an award, comments by entry)."""
    rng = random.Random(SEED)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        session = db.session
        season, track = make_closed_season(session, now=now)
        nominations = []
        for position, code in enumerate(NOMINATIONS):
            nomination = Nomination(season_id=season.id, track_id=track.id, code=code, title_ru=f"Номинация {code}",
                                    title_en=code, position=position, max_entries_per_applicant=2)
            session.add(nomination)
            nominations.append(nomination)
        session.flush()
        session.execute(insert(User), [
            {"email": f"applicant{i:05d}@example.ru", "password_hash": "x", "full_name": f"Заявитель {i}",
             "role": "applicant", "locale": "ru" if i % 20 else "en", "created_at": now,
             "password_changed_at": now} for i in range(APPLICANTS)])
        user_ids = list(session.scalars(select(User.id).order_by(User.id)))
        owners = user_ids + [rng.choice(user_ids) for _ in range(ENTRIES - APPLICANTS)]
        rows = []
        for i, owner in enumerate(owners):
            nomination = nominations[i % len(nominations)]
            rows.append({"season_id": season.id, "nomination_id": nomination.id, "track_id": track.id,
                         "created_by_id": owner, "status": "in_review", "version": 1,
                         "title": f"Практика наставничества № {i + 1}", "summary": "Кратко о практике.",
                         "description": "Описание практики.", "results": "Результаты.", "replicability": "Тиражируется.",
                         "keywords": ["наставничество"], "region_code": "77", "created_at": now, "updated_at": now,
                         "submitted_at": now - timedelta(days=61)})
        session.execute(insert(Entry), rows)
        entries = session.execute(select(Entry.id, Entry.nomination_id, Entry.created_by_id).order_by(Entry.id)).all()
        session.execute(insert(Consent), [
            {"user_id": owner, "entry_id": entry_id, "kind": "publication", "given": rng.random() >= 0.1,
             "text_version": "2026-1", "at": now, "ip": ""} for entry_id, _n, owner in entries])
        declined: set[int] = set()
        awards = []
        for nomination in nominations:
            finalists = [e for e, n, _o in entries if n == nomination.id][:FINALISTS]
            for index, entry_id in enumerate(finalists):
                if index < len(SLOTS):
                    tier, place = SLOTS[index]
                    awards.append({"entry_id": entry_id, "season_id": season.id, "tier": tier, "place": place,
                                   "decided_at": now})
                else:
                    declined.add(entry_id)
        session.execute(insert(Award), awards)
        finalist_ids = declined | {a["entry_id"] for a in awards}
        session.execute(Entry.__table__.update().where(Entry.id.in_(finalist_ids)).values(status="shortlisted"))
        session.commit()
        comments = {entry_id: [f"Комментарий эксперта {j + 1}: практика описана ясно." for j in range(3)]
                    for entry_id, _n, _o in entries}
        season_id = season.id
        session.remove()
    return season_id, declined, comments


def measure(database_url: str, tmp: Path) -> dict:
    """Seed, then time `publish_results` and the commit; check the outcome."""
    app = migrated_app(tmp, database_url)
    try:
        started = time.perf_counter()
        season_id, declined, comments = seed(app)
        seeded = time.perf_counter() - started
        with app.app_context(), app.test_request_context():
            session = db.session
            season = session.get(Season, season_id)
            organizer = User(email="organizer@example.ru", password_hash="x", role="organizer")
            session.add(organizer)
            session.commit()
            now = datetime.now(timezone.utc)
            started = time.perf_counter()
            summary = publish_results(session, season=season, user=organizer, now=now, storage_for=backend_named,
                                      comments_by_entry=comments, declined_ids=declined)
            session.commit()
            seconds = time.perf_counter() - started
            statuses = dict(session.execute(select(Entry.status, func.count()).group_by(Entry.status)).all())
            mails = session.scalar(select(func.count()).select_from(OutboxMessage))
            items = session.scalar(select(func.count()).select_from(LibraryItem))
            session.remove()
        return {"seconds": seconds, "seed_seconds": seeded, "awarded": summary.awarded,
                "not_awarded": summary.not_awarded, "library": items, "mails": mails, "statuses": statuses}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run() -> dict:
    figures, details = {}, {}
    expected = (len(NOMINATIONS) * len(SLOTS), ENTRIES - len(NOMINATIONS) * len(SLOTS))
    for label, outcome in on_each_database(measure, prefix="bench-publish-", pg_name=PG_NAME).items():
        right = (outcome["awarded"], outcome["not_awarded"]) == expected and outcome["mails"] == APPLICANTS
        # No target in SPEC §10 (the issue asks for the figure); the outcome itself is checked.
        figures[f"publish 25,000 entries ({label})"] = fig(round(outcome["seconds"], 2), None, None, "s")
        figures[f"statuses, library, mails right ({label})"] = fig("yes" if right else "no", "yes", right)
        details[label] = rounded(outcome, 2)
    return {"figures": figures, "details": details}
