"""A season's exports (issue 5): 25,000 entries with their files, 600 jurors, 75,000 reviews and 375,000 scores,
each dataset downloaded as CSV and XLSX through the organizer's page, timed end to end (request in, file out).

The season is generated with bulk inserts (not 25,000 service calls) into the embedded default database (SQLite,
migrated as an operator would). Target: the entries and files exports within a few seconds (≤ 5 s each); the
judging exports are reported beside them.
"""
from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
from sqlalchemy import insert, select

from bench.common import MB, fig, migrated_app
from portal.extensions import db
from portal.models import (Award, Entry, EntryFile, Nomination, Organisation, Region, Season, Track, User)
from reviewers.models import Assignment, Criterion, PoolMember, Review, Round, Rubric, Score

SEED = 2026
ENTRIES, ORGANISATIONS, JURORS, K = 25_000, 3_000, 600, 3
NOMINATIONS = ("production", "education", "social", "public_service", "business")
TARGET_SECONDS = 5.0
TARGETED = ("entries", "files")
START = datetime(2026, 2, 1, 6, 0, tzinfo=timezone.utc)


def _bulk(table, rows: list[dict], batch: int = 20_000) -> None:
    for i in range(0, len(rows), batch):
        db.session.execute(insert(table), rows[i:i + batch])


def _season() -> tuple[Season, list[Nomination], list[Criterion], Round]:
    season = Season(slug="export-bench", title_ru="Конкурс «Наставничество»", year=2026,
                    submissions_open_at=START, submissions_close_at=START + timedelta(days=40))
    db.session.add(season)
    db.session.flush()
    track = Track(season_id=season.id, code="practices", title_ru="Лучшие практики наставничества")
    db.session.add(track)
    db.session.flush()
    nominations = [Nomination(season_id=season.id, track_id=track.id, code=code, title_ru=f"Номинация «{code}»",
                              position=i) for i, code in enumerate(NOMINATIONS)]
    rubric = Rubric(season_id=season.id, title="Критерии")
    db.session.add_all([*nominations, rubric])
    db.session.flush()
    criteria = [Criterion(rubric_id=rubric.id, position=i, code=code, title_ru=title, weight=weight)
                for i, (code, title, weight) in enumerate((
                    ("results", "Результативность", 1.5), ("efficiency", "Эффективность", 1.0),
                    ("novelty", "Уникальность и новизна", 1.0), ("replicability", "Тиражируемость", 1.25),
                    ("scalability", "Масштабируемость", 0.75)))]
    db.session.add_all(criteria)
    db.session.flush()
    round = Round(season_id=season.id, number=1, title="Экспертный раунд", rubric_id=rubric.id,
                  opens_at=START + timedelta(days=41), closes_at=START + timedelta(days=60))
    db.session.add(round)
    db.session.flush()
    return season, nominations, criteria, round


def seed(app) -> tuple[str, int]:
    """The generated season, in bulk inserts; returns (season slug, organizer id)."""
    rng = random.Random(SEED)
    with app.app_context():
        regions = list(db.session.scalars(select(Region.code).order_by(Region.code)))
        season, nominations, criteria, stage = _season()
        organizer = User(email="organizer@example.ru", password_hash="-", full_name="Ольга Организатор",
                         role="organizer")
        db.session.add(organizer)
        db.session.flush()
        applicant0, juror0 = 1_000, 100_000
        _bulk(User.__table__, [dict(id=applicant0 + i, email=f"applicant{i:05d}@example.ru", password_hash="-",
                                    full_name=f"Мария Ивановна Кузнецова-{i}", role="applicant")
                               for i in range(ENTRIES)])
        _bulk(User.__table__, [dict(id=juror0 + j, email=f"juror{j:03d}@example.ru", password_hash="-",
                                    full_name=f"Эксперт Экспертович {j:03d}", role="juror") for j in range(JURORS)])
        _bulk(Organisation.__table__, [dict(id=o + 1, name=f"МБОУ «Средняя школа № {o + 1}»", kind="educational",
                                            short_name=f"Школа № {o + 1}", region_code=rng.choice(regions),
                                            inn=f"{7_700_000_000 + o}") for o in range(ORGANISATIONS)])
        entries, files, awards = [], [], []
        for i in range(ENTRIES):
            created = START + timedelta(seconds=rng.randrange(35 * 86400))
            nomination = nominations[i % len(nominations)]
            entries.append(dict(id=i + 1, season_id=season.id, nomination_id=nomination.id, track_id=nomination.track_id,
                                organisation_id=rng.randrange(ORGANISATIONS) + 1 if rng.random() < 0.9 else None,
                                created_by_id=applicant0 + i, status="in_review", title=f"Школа молодого наставника {i}",
                                region_code=rng.choice(regions), created_at=created, updated_at=created,
                                submitted_at=created + timedelta(hours=5), keywords=[]))
            for n in range(1 + (i % 3 == 0)):
                files.append(dict(entry_id=i + 1, kind="presentation" if n == 0 else "supporting", backend="local",
                                  storage_key=f"entries/{i + 1}/{n}", filename=f"Презентация практики {i}-{n}.pdf",
                                  content_type="application/pdf", size=100_000 + i,
                                  sha256=hashlib.sha256(f"{i}-{n}".encode()).hexdigest(), uploaded_at=created))
            if i % 25 == 0:
                awards.append(dict(entry_id=i + 1, season_id=season.id, tier="laureate", place=None, decided_at=created))
        _bulk(Entry.__table__, entries)
        _bulk(EntryFile.__table__, files)
        _bulk(Award.__table__, awards)
        pools = {n.id: [juror0 + j for j in range(JURORS) if j % len(nominations) == k]
                 for k, n in enumerate(nominations)}
        _bulk(PoolMember.__table__, [dict(round_id=stage.id, nomination_id=n_id, juror_id=j, cap=200)
                                     for n_id, jurors in pools.items() for j in jurors])
        assignments, reviews, scores = [], [], []
        moment = START + timedelta(days=50)
        for entry in entries:
            pool = pools[entry["nomination_id"]]
            for k in range(K):
                a_id = len(assignments) + 1
                juror = pool[(entry["id"] + k * 7) % len(pool)]
                assignments.append(dict(id=a_id, round_id=stage.id, entry_id=entry["id"], juror_id=juror,
                                        status="submitted", method="auto", created_at=moment, updated_at=moment))
                values = [float(rng.randint(1, 10)) for _ in criteria]
                reviews.append(dict(id=a_id, assignment_id=a_id, comment_applicant="Практика описана ясно, "
                                    "результаты измерены.", comment_private="=проверить расчёты" if a_id % 97 == 0
                                    else "", weighted_score=round(sum(values) * 2, 2), updated_at=moment,
                                    submitted_at=moment))
                scores.extend(dict(review_id=a_id, criterion_id=c.id, scale_min=c.scale_min, scale_max=c.scale_max,
                                   value=v) for c, v in zip(criteria, values))
        _bulk(Assignment.__table__, assignments)
        _bulk(Review.__table__, reviews)
        _bulk(Score.__table__, scores)
        db.session.commit()
        slug, organizer_id = season.slug, organizer.id
        db.session.remove()
    return slug, organizer_id


def download(app, slug: str, organizer_id: int) -> dict:
    """Every dataset in both formats through the page's links: seconds, bytes, rows, the worker's RSS growth."""
    process = psutil.Process()
    measured = {}
    with app.app_context():
        organizer = db.session.get(User, organizer_id)
        client = app.test_client()
        with client.session_transaction(base_url="https://localhost") as session:
            session["_user_id"] = organizer.get_id()
            session["_fresh"] = True
        page = client.get(f"/organizer/judging/seasons/{slug}/exports", base_url="https://localhost")
        if page.status_code != 200:
            raise RuntimeError(f"the exports page answered {page.status_code}")
        for dataset in ("entries", "files", "reviews", "scores", "jurors"):
            for fmt in ("csv", "xlsx"):
                rss = process.memory_info().rss
                started = time.perf_counter()
                response = client.get(f"/organizer/judging/seasons/{slug}/exports/{dataset}.{fmt}",
                                      base_url="https://localhost")
                seconds = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{dataset}.{fmt} answered {response.status_code}")
                body = response.data
                measured[f"{dataset}.{fmt}"] = {
                    "seconds": round(seconds, 2), "bytes": len(body),
                    "rows": body.count(b"\r\n") - 1 if fmt == "csv" else None,
                    "rss_growth_mb": round((process.memory_info().rss - rss) / MB, 1)}
        db.session.remove()
    return measured


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    try:
        app = migrated_app(tmp, f"sqlite:///{tmp / 'portal.db'}", SEARCH_INDEX_DIR=str(tmp / "index"))
        started = time.perf_counter()
        slug, organizer_id = seed(app)
        seeded = time.perf_counter() - started
        measured = download(app, slug, organizer_id)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures = {}
    for name, m in measured.items():
        dataset = name.split(".")[0]
        targeted = dataset in TARGETED
        figures[name] = fig(m["seconds"], f"≤ {TARGET_SECONDS:g} s" if targeted else None,
                            m["seconds"] <= TARGET_SECONDS if targeted else None, "s")
    rows = {name.split(".")[0]: m["rows"] for name, m in measured.items() if name.endswith(".csv")}
    return {"figures": figures,
            "details": {"database": "sqlite", "seed_seconds": round(seeded, 1), "rows": rows, "downloads": measured}}
