"""Deadline rush (SPEC §10): 500 applicants submit within one minute around the deadline, on PostgreSQL.

Target: nothing lost, no server error, every request before the deadline accepted and every one after refused.
The server's decision time is invisible to the client, so a request is judged by what the client saw:
- completed (response received) before the deadline → must be accepted (200, entry submitted);
- sent after the deadline → must be refused with 409 `deadline_passed`;
- straddling the deadline → either, but consistent with the database: 200 ⇔ entry submitted with
  submitted_at before the close and within the request's send/receive interval.
"""
from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

from bench.common import (COMPLETE_FIELDS, PG_ADMIN, Gunicorn, Skip, app_settings, fig, make_app, make_applicants,
                          make_season, migrate, percentile, pg_database_url, process_env, recreate_pg_database, utc)

DB_NAME = "portal_bench"
APPLICANTS = 500
WINDOW = 60.0  # seconds over which the requests are spread
DEADLINE = 45.0  # seconds after the start of the rush
BURST, BURST_SPAN = 100, 2.0  # requests in the last seconds before the deadline
AFTER_SHARE = 0.15  # share of requests scheduled after the deadline
THREADS = 32
WORKERS = 4
SEED = 2026
CLOCK_SLACK = 0.005  # seconds: the server's and the client's clocks are the same, but rounding


def schedule(rng: random.Random) -> list[float]:
    """Seconds after the start at which each request is sent, sorted."""
    after = round(APPLICANTS * AFTER_SHARE)
    before = APPLICANTS - after - BURST
    times = [rng.uniform(0, DEADLINE - BURST_SPAN) for _ in range(before)]
    times += [rng.uniform(DEADLINE - BURST_SPAN, DEADLINE) for _ in range(BURST)]
    times += [rng.uniform(DEADLINE, WINDOW) for _ in range(after)]
    return sorted(times)


def prepare(app) -> tuple[int, list[dict]]:
    """The season (closing far away for now) and the applicants with complete drafts and one PDF each."""
    from portal.extensions import db
    from portal.models import utcnow
    with app.app_context():
        now = utcnow()
        season = make_season(db.session, slug="rush", now=now, closes_at=now.replace(year=now.year + 1))
        season_id = season.id
        db.session.commit()
    return season_id, make_applicants(app, season_id, APPLICANTS, complete=True, with_file=True)


def set_close(app, season_id: int, close_ts: float) -> None:
    from portal.extensions import db
    from portal.models import Season
    with app.app_context():
        db.session.get(Season, season_id).submissions_close_at = utc(close_ts)
        db.session.commit()
        db.session.remove()


def fire(url: str, jobs: list[tuple[float, dict]]) -> list[dict]:
    """Send every submit at its scheduled (absolute) time from a pool of THREADS threads."""
    def one(job: tuple[float, dict]) -> dict:
        at, applicant = job
        time.sleep(max(0.0, at - time.time()))
        sent = time.time()
        status = code = None
        try:
            response = requests.post(f"{url}/api/v1/entries/{applicant['entry_id']}/submit", timeout=30,
                                     headers={"Authorization": f"Bearer {applicant['token']}"})
            status = response.status_code
            if status != 200:
                try:
                    code = response.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = f"non-json: {response.text[:80]!r}"
        except requests.RequestException as exc:
            code = f"{type(exc).__name__}: {exc}"[:200]
        return {"entry_id": applicant["entry_id"], "scheduled": at, "sent": sent, "received": time.time(),
                "status": status, "code": code}

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, jobs))


def entry_problems(entry, storage) -> list[str]:
    """What differs from the prepared complete draft with its one PDF (empty when nothing was lost)."""
    problems = []
    for field, expected in COMPLETE_FIELDS.items():
        if field == "region":
            actual = entry.region_code
        elif field == "authors":
            actual = [{"full_name": a.full_name, "position": a.job_title, "email": a.email} for a in entry.authors]
        elif field.startswith("consent_"):
            actual = entry.consent_given(field.removeprefix("consent_"))
        else:
            actual = getattr(entry, field)
        if actual != expected:
            problems.append(f"{field} changed")
    if len(entry.files) != 1:
        problems.append(f"{len(entry.files)} files")
    for file in entry.files:
        try:
            with storage.open(file.storage_key) as stream:
                data = stream.read()
        except FileNotFoundError:
            problems.append(f"file {file.id} missing from storage")
            continue
        if len(data) != file.size or hashlib.sha256(data).hexdigest() != file.sha256:
            problems.append(f"file {file.id} differs from its row")
    return problems


def verify(app, season_id: int, prepared: list[dict], results: list[dict], close_ts: float) -> dict:
    """Check every response against the deadline rule and the database; count what was lost."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from portal.extensions import db
    from portal.models import AuditEvent, Entry, EntryFile, EntryStatus, OutboxMessage
    from portal.storage import get_storage

    with app.app_context():
        entries = {e.id: e for e in db.session.scalars(
            select(Entry).where(Entry.season_id == season_id)
            .options(selectinload(Entry.authors), selectinload(Entry.files), selectinload(Entry.consents)))}
        file_count = db.session.scalar(select(func.count()).select_from(EntryFile))
        mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        submit_events = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                          .where(AuditEvent.action == "entry.submitted"))
        storage = get_storage()
        violations, server_errors = [], []
        for r in results:
            entry = entries.get(r["entry_id"])
            accepted = r["status"] == 200
            refused = r["status"] == 409 and r["code"] == "deadline_passed"
            where = f"entry {r['entry_id']} sent {r['sent'] - close_ts:+.3f} s, done {r['received'] - close_ts:+.3f} s"
            if r["status"] is None or r["status"] >= 500:
                server_errors.append(f"{where}: {r['status']} {r['code']}")
            elif not (accepted or refused):
                violations.append(f"{where}: unexpected {r['status']} {r['code']}")
            if r["received"] < close_ts and not accepted:
                violations.append(f"{where}: completed before the deadline but not accepted ({r['status']})")
            if r["sent"] >= close_ts and not refused:
                violations.append(f"{where}: sent after the deadline but got {r['status']} {r['code']}")
            if entry is None:
                continue
            if accepted:
                at = entry.submitted_at.timestamp() if entry.submitted_at else None
                if entry.status != EntryStatus.SUBMITTED.value or at is None:
                    violations.append(f"{where}: 200 but the entry is {entry.status}")
                elif at >= close_ts or not r["sent"] - CLOCK_SLACK <= at <= r["received"] + CLOCK_SLACK:
                    violations.append(f"{where}: 200 but submitted_at is {at - close_ts:+.3f} s from the close")
            elif entry.status != EntryStatus.DRAFT.value or entry.submitted_at is not None:
                violations.append(f"{where}: refused but the entry is {entry.status}")
        lost = []
        for applicant in prepared:
            entry = entries.get(applicant["entry_id"])
            problems = ["entry missing"] if entry is None else entry_problems(entry, storage)
            if problems:
                lost.append(f"entry {applicant['entry_id']}: {', '.join(problems)}")
        if len(entries) != len(prepared) or file_count != len(prepared):
            lost.append(f"{len(entries)} entries and {file_count} files, expected {len(prepared)} of each")
        submitted_in_db = sum(e.status == EntryStatus.SUBMITTED.value for e in entries.values())
        db.session.remove()
    return {"violations": violations, "server_errors": server_errors, "lost": lost, "mails": mails,
            "submit_events": submit_events, "submitted_in_db": submitted_in_db}


def run() -> dict:
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.Error as exc:
        raise Skip(f"PostgreSQL does not answer at {PG_ADMIN}: {str(exc).strip().splitlines()[0][:120]}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-rush-"))
    app = None
    try:
        recreate_pg_database(DB_NAME)
        settings = app_settings(tmp, pg_database_url(DB_NAME))
        env = process_env(settings)
        migrate(env)
        app = make_app(settings)
        started = time.monotonic()
        season_id, prepared = prepare(app)
        prepare_seconds = time.monotonic() - started

        rng = random.Random(SEED)
        times = schedule(rng)
        order = list(prepared)
        rng.shuffle(order)
        with Gunicorn(env, workers=WORKERS, log_path=tmp / "gunicorn.log") as server:
            for _ in range(4 * WORKERS):  # let every worker import what a request needs
                requests.get(server.url + "/api/v1/seasons", timeout=10)
            start = time.time() + 1.0
            close_ts = start + DEADLINE
            set_close(app, season_id, close_ts)
            results = fire(server.url, [(start + t, a) for t, a in zip(times, order)])
            log = server.log_text()
        check = verify(app, season_id, prepared, results, close_ts)
        return report(results, check, close_ts, prepare_seconds, log)
    finally:
        if app is not None:
            from portal.extensions import db
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        recreate_pg_database(DB_NAME, drop_only=True)
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: list[dict], check: dict, close_ts: float, prepare_seconds: float, log: str) -> dict:
    latencies = [(r["received"] - r["sent"]) * 1000 for r in results]
    accepted = sum(r["status"] == 200 for r in results)
    refused = sum(r["status"] == 409 and r["code"] == "deadline_passed" for r in results)
    straddling = sum(r["sent"] < close_ts <= r["received"] for r in results)
    burst = [r for r in results if close_ts - BURST_SPAN <= r["scheduled"] < close_ts]
    span = max(r["received"] for r in results) - min(r["sent"] for r in results)
    burst_span = max(r["received"] for r in burst) - min(r["sent"] for r in burst)
    lag = max(r["sent"] - r["scheduled"] for r in results) * 1000
    tracebacks = log.count("Traceback")
    late_refusals = sum(r["sent"] < close_ts and r["status"] == 409 for r in results)
    figures = {
        "requests": fig(len(results), str(APPLICANTS), len(results) == APPLICANTS),
        "accepted (200)": fig(accepted),
        "refused (409 deadline_passed)": fig(refused),
        "completed before / straddling / sent after": fig(
            f"{sum(r['received'] < close_ts for r in results)} / {straddling} / "
            f"{sum(r['sent'] >= close_ts for r in results)}"),
        "sent before the deadline but refused": fig(late_refusals),
        "scheduled before but sent after (pool busy)": fig(
            sum(r["scheduled"] < close_ts <= r["sent"] for r in results)),
        "5xx or no response": fig(len(check["server_errors"]), "0", not check["server_errors"]),
        "deadline rule violations": fig(len(check["violations"]), "0", not check["violations"]),
        "entries lost or changed": fig(len(check["lost"]), "0", not check["lost"]),
        "confirmation mails queued": fig(check["mails"], "= accepted", check["mails"] == accepted),
        "audit entry.submitted events": fig(check["submit_events"], "= accepted", check["submit_events"] == accepted),
        "tracebacks in the server log": fig(tracebacks, "0", tracebacks == 0),
        "latency p50": fig(percentile(latencies, 50), unit="ms"),
        "latency p95": fig(percentile(latencies, 95), unit="ms"),
        "latency p99": fig(percentile(latencies, 99), unit="ms"),
        "burst latency p99 (100 in 2 s)": fig(percentile([(r["received"] - r["sent"]) * 1000 for r in burst], 99),
                                              unit="ms"),
        "throughput (whole minute)": fig(len(results) / span, unit="req/s"),
        "throughput (burst)": fig(len(burst) / burst_span, unit="req/s"),
        "max send lag behind schedule": fig(lag, unit="ms"),
        "preparation of 500 applicants": fig(prepare_seconds, unit="s"),
    }
    details = {"violations": check["violations"][:50], "server_errors": check["server_errors"][:50],
               "lost": check["lost"][:50], "submitted_in_db": check["submitted_in_db"],
               "server_log_tail": "\n".join(log.splitlines()[-60:]) if tracebacks else "",
               # every request, times in seconds relative to the close
               "requests": [{"entry_id": r["entry_id"], "status": r["status"], "code": r["code"],
                             **{k: round(r[k] - close_ts, 4) for k in ("scheduled", "sent", "received")}}
                            for r in results]}
    return {"figures": figures, "details": details}
