"""The results protocol of one nomination at 10,000 entries × 3 reviews × 5 criteria (issue 5): the time to build its
data (rankings, normalisation, awards, hash), its XLSX (with the audit log) and its PDF, on SQLite.

The round is bulk-inserted (not timed): one nomination, 10,000 entries in review, 60 jurors, three submitted reviews
per entry with five seeded scores each on a 1–10 scale; ten awards and their audit events."""
from __future__ import annotations

import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select

from bench.common import fig, make_closed_season, migrated_app
from portal.extensions import db
from portal.models import AuditEvent, Award, Entry, Nomination, User
from reviewers.engine.scoring import CriterionSpec, weighted_score
from reviewers.models import Assignment, Criterion, Review, Round, Rubric, Score
from reviewers.services.protocol import build_protocol, protocol_xlsx
from reviewers.services.protocol_pdf import render_protocol

SEED = 2026
ENTRIES = 10_000
JURORS = 60
K = 3
WEIGHTS = (3, 2, 2, 1, 1)


def seed(app) -> tuple[int, int]:
    """Bulk-insert the round; returns (round id, nomination id)."""
    rng = random.Random(SEED)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        session = db.session
        season, track = make_closed_season(session, now=now)
        nomination = Nomination(season_id=season.id, track_id=track.id, code="production",
                                title_ru="Наставничество на производстве", title_en="production", position=0)
        rubric = Rubric(season_id=season.id, title="Критерии экспертной оценки", created_at=now)
        session.add_all([nomination, rubric])
        session.flush()
        criteria = [Criterion(rubric_id=rubric.id, position=i, code=f"c{i + 1}", title_ru=f"Критерий {i + 1}",
                              weight=w, scale_min=1, scale_max=10, scale_step=1) for i, w in enumerate(WEIGHTS)]
        session.add_all(criteria)
        session.flush()
        round = Round(season_id=season.id, number=1, title="Экспертный раунд", rubric_id=rubric.id,
                      opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1), reviewers_per_entry=K,
                      tie_break_criteria=[c.id for c in criteria], created_at=now)
        session.add(round)
        session.flush()
        session.execute(insert(User), [
            {"email": f"u{i:05d}@example.ru", "password_hash": "x", "full_name": f"Участник {i}",
             "role": "juror" if i < JURORS else "applicant", "locale": "ru", "created_at": now,
             "password_changed_at": now} for i in range(JURORS + ENTRIES)])
        users = list(session.scalars(select(User.id).order_by(User.id)))
        jurors, applicants = users[:JURORS], users[JURORS:]
        session.execute(insert(Entry), [
            {"season_id": season.id, "nomination_id": nomination.id, "track_id": track.id, "created_by_id": owner,
             "status": "in_review", "version": 1, "title": f"Практика наставничества № {i + 1}", "summary": "Кратко.",
             "description": "Описание.", "results": "Результаты.", "replicability": "Тиражируется.",
             "keywords": ["наставничество"], "region_code": "77", "created_at": now, "updated_at": now,
             "submitted_at": now - timedelta(days=61, seconds=i)} for i, owner in enumerate(applicants)])
        entry_ids = list(session.scalars(select(Entry.id).order_by(Entry.id)))
        session.execute(insert(Assignment), [
            {"round_id": round.id, "entry_id": e, "juror_id": jurors[(n * K + j) % JURORS], "status": "submitted",
             "method": "auto", "created_at": now, "updated_at": now}
            for n, e in enumerate(entry_ids) for j in range(K)])
        assignments = list(session.scalars(select(Assignment.id).order_by(Assignment.id)))
        specs = [CriterionSpec(c.id, c.weight, c.scale_min, c.scale_max) for c in criteria]
        sheets = [{c.id: float(rng.randint(3, 10)) for c in criteria} for _ in assignments]
        session.execute(insert(Review), [
            {"assignment_id": a, "comment_applicant": "Практика описана ясно.", "comment_private": "",
             "weighted_score": weighted_score(sheet, specs), "updated_at": now, "submitted_at": now}
            for a, sheet in zip(assignments, sheets)])
        reviews = list(session.scalars(select(Review.id).order_by(Review.id)))
        session.execute(insert(Score), [
            {"review_id": r, "criterion_id": c, "scale_min": 1.0, "scale_max": 10.0, "value": v}
            for r, sheet in zip(reviews, sheets) for c, v in sheet.items()])
        awarded = entry_ids[:10]
        session.execute(insert(Award), [{"entry_id": e, "season_id": season.id, "tier": "laureate", "place": None,
                                         "decided_at": now} for e in awarded])
        session.execute(insert(AuditEvent), [
            {"at": now, "actor_id": None, "action": "entry.award_decision", "object_type": "entry",
             "object_id": str(e), "before": None, "after": {"tier": "laureate", "place": None,
                                                            "reason": "Высокий балл"}, "ip": ""} for e in awarded])
        session.commit()
        ids = (round.id, nomination.id)
        session.remove()
    return ids


def measure(database_url: str, tmp: Path) -> dict:
    app = migrated_app(tmp, database_url)
    try:
        started = time.perf_counter()
        round_id, nomination_id = seed(app)
        seeded = time.perf_counter() - started
        with app.app_context(), app.test_request_context():
            session = db.session
            round, nomination = session.get(Round, round_id), session.get(Nomination, nomination_id)
            now = datetime.now(timezone.utc)
            started = time.perf_counter()
            protocol = build_protocol(session, round=round, nomination=nomination, now=now)
            data = time.perf_counter() - started
            started = time.perf_counter()
            xlsx = protocol_xlsx(session, round=round, protocol=protocol)
            xlsx_seconds = time.perf_counter() - started
            started = time.perf_counter()
            pdf = render_protocol(protocol)
            pdf_seconds = time.perf_counter() - started
            again = build_protocol(session, round=round, nomination=nomination, now=now).data_hash
            session.remove()
        return {"data_seconds": data, "xlsx_seconds": xlsx_seconds, "pdf_seconds": pdf_seconds,
                "seed_seconds": seeded, "rows": len(protocol.rows), "reviews": protocol.counts["reviews"],
                "xlsx_bytes": len(xlsx), "pdf_bytes": len(pdf), "same_hash": again == protocol.data_hash}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-protocol-"))
    try:
        (tmp / "sqlite").mkdir()
        outcome = measure(f"sqlite:///{tmp / 'sqlite' / 'portal.db'}", tmp / "SQLite")
        right = outcome["rows"] == ENTRIES and outcome["reviews"] == ENTRIES * K and outcome["same_hash"]
        # No target in SPEC §10 (the issue asks for the figure); the outcome itself is checked.
        figures = {
            "protocol data, 10,000 entries (SQLite)": fig(round(outcome["data_seconds"], 2), None, None, "s"),
            "protocol XLSX, 10,000 entries (SQLite)": fig(round(outcome["xlsx_seconds"], 2), None, None, "s"),
            "protocol PDF, 10,000 entries": fig(round(outcome["pdf_seconds"], 2), None, None, "s"),
            "protocol complete and reproducible": fig("yes" if right else "no", "yes", right),
        }
        details = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in outcome.items()}
        return {"figures": figures, "details": details}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
