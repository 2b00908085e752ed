"""Upload memory (SPEC §10): a 500 MB file through `POST /api/v1/entries/<id>/files` must raise the gunicorn
worker's RSS by at most 20 MB.

The client generates the multipart body on the fly (exact Content-Length, 1 MiB chunks sent with http.client),
hashing it as it goes, so neither side needs the file in memory.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import random
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import MB, Gunicorn, app_settings, fig, make_app, make_applicants, make_season, migrate, \
    process_env

FILE_SIZE = 500 * MB
CHUNK = MB
GROWTH_LIMIT = 20 * MB
SAMPLE_EVERY = 0.05
HEADER = b"%PDF-1.4\n"


def pdf_chunks(size: int, seed: int = 7):
    """A PDF header followed by pseudo-random filler, `size` bytes in all, in 1 MiB chunks."""
    filler = random.Random(seed).randbytes(CHUNK)
    yield (HEADER + filler)[:min(CHUNK, size)]
    left = size - min(CHUNK, size)
    while left > 0:
        yield filler[:min(CHUNK, left)]
        left -= CHUNK


def stream_upload(port: int, entry_id: int, token: str, size: int) -> tuple[int, dict, str, float]:
    """POST a generated file of `size` bytes; returns (status, JSON body, the client's SHA-256, seconds)."""
    boundary = "bench-" + uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npresentation\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    digest = hashlib.sha256()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.monotonic()
    try:
        conn.putrequest("POST", f"/api/v1/entries/{entry_id}/files")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.endheaders()
        try:
            conn.send(head)
            for chunk in pdf_chunks(size):
                digest.update(chunk)
                conn.send(chunk)
            conn.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (e.g. 413); read its answer below
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    seconds = time.monotonic() - started
    try:
        body = json.loads(raw)
    except ValueError:
        body = {"raw": raw[:200].decode(errors="replace")}
    return response.status, body, digest.hexdigest(), seconds


class RssSampler(threading.Thread):
    """Samples a process's RSS every SAMPLE_EVERY seconds until stopped."""

    def __init__(self, process) -> None:
        super().__init__(daemon=True)
        self.process, self.samples, self._halt = process, [], threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self._halt.is_set():
            self.samples.append((time.monotonic() - started, self.process.memory_info().rss))
            self._halt.wait(SAMPLE_EVERY)

    def stop(self) -> list[tuple[float, int]]:
        self._halt.set()
        self.join()
        return self.samples


def prepare(app) -> dict:
    from portal.extensions import db
    from portal.models import utcnow
    with app.app_context():
        now = utcnow()
        season_id = make_season(db.session, slug="upload", now=now, closes_at=now.replace(year=now.year + 1)).id
        db.session.commit()
    return make_applicants(app, season_id, 1, complete=False, with_file=False)[0]


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    try:
        settings = app_settings(tmp, f"sqlite:///{tmp / 'portal.db'}", UPLOAD_MAX_FILE_MB=600, UPLOAD_MAX_ENTRY_MB=700)
        (tmp / "spool").mkdir()
        env = process_env(settings, TMPDIR=str(tmp / "spool"))  # werkzeug's spooled part files land here
        migrate(env)
        applicant = prepare(make_app(settings))
        with Gunicorn(env, workers=1, log_path=tmp / "gunicorn.log", timeout=120) as server:
            worker = server.worker_processes()[0]
            # Warm up with a 2 MiB upload: the same code path (a spooled temporary file), so imports are done.
            warm = stream_upload(server.port, applicant["entry_id"], applicant["token"], 2 * MB)
            if warm[0] != 201:
                raise RuntimeError(f"warm-up upload failed: {warm[0]} {warm[1]}\n{server.log_tail()}")
            time.sleep(0.3)
            baseline = worker.memory_info().rss
            sampler = RssSampler(worker)
            sampler.start()
            status, body, sha256, seconds = stream_upload(server.port, applicant["entry_id"], applicant["token"],
                                                          FILE_SIZE)
            samples = sampler.stop()
            after = worker.memory_info().rss
            log_tail = server.log_tail()
        stored = sorted((tmp / "files").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)
        stored_size = stored[-1].stat().st_size if stored else 0
        return report(status, body, sha256, seconds, baseline, samples, after, stored_size, log_tail)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(status, body, sha256, seconds, baseline, samples, after, stored_size, log_tail) -> dict:
    peak = max([baseline, *(rss for _, rss in samples)])
    growth = peak - baseline
    ok_response = status == 201 and body.get("size") == FILE_SIZE and body.get("sha256") == sha256
    figures = {
        "response 201, size and sha256 match": fig(f"{status}, size {body.get('size')}", f"201, {FILE_SIZE}",
                                                   ok_response),
        "stored file size": fig(stored_size, str(FILE_SIZE), stored_size == FILE_SIZE, "B"),
        "worker RSS before": fig(baseline / MB, unit="MB"),
        "worker RSS peak": fig(peak / MB, unit="MB"),
        "worker RSS growth": fig(growth / MB, "≤ 20 MB", growth <= GROWTH_LIMIT, "MB"),
        "worker RSS after": fig(after / MB, unit="MB"),
        "RSS samples": fig(len(samples)),
        "upload time": fig(seconds, unit="s"),
        "upload rate": fig(FILE_SIZE / MB / seconds, unit="MB/s"),
    }
    step = max(1, len(samples) // 100)
    details = {"response": body, "client_sha256": sha256,
               "rss_timeline_mb": [(round(t, 2), round(rss / MB, 1)) for t, rss in samples[::step]],
               "server_log_tail": log_tail if not ok_response else ""}
    return {"figures": figures, "details": details}
