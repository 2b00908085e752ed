"""The library and practice pages under load (SPEC §10), beside a bare Flask page of the same size in the same run.

The portal serves rendered practice bodies and search results from a per-process cache dropped whenever the index
changes (portal/public/fragments.py); the targets are measured as deployed, and the same pages with the cache off are
reported beside them.

10,000 generated practices (bench.search's corpus) in the embedded default (SQLite, local index); gunicorn with 2 sync
workers; `wrk` with 16 connections on loopback, each page for the same time. The library requests rotate through
one-word, two-word and filtered searches and pages of results; the practice requests through random practices.
"""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import tempfile
from datetime import timezone
from pathlib import Path
from urllib.parse import quote

import requests

from bench.common import BIN, ROOT, Gunicorn, Skip, app_settings, fig, make_app, migrate, process_env
from bench.search import Corpus

PRACTICES = 10_000
WORKERS, CONNECTIONS, SECONDS = 2, 16, 12
BARE_BYTES = 32 * 1024
RATIO_LIBRARY, RATIO_PRACTICE, P99_MS = 0.25, 0.5, 150.0
QUERIES = ("наставник", "молодых специалистов", "наставничество&nomination=education", "адаптации&year=2024",
           "", "&region=77", "педагогов&sort=year", "наставников&page=2", "обучение работников&form=reverse")

BARE_APP = '''\
"""A bare Flask app rendering a 32 KB template: the baseline for the page-load bench."""
from flask import Flask, render_template_string

TEMPLATE = "<!doctype html><html><head><title>{{ title }}</title></head><body>" + \\
    "{% for row in rows %}<p class=row>{{ row }}</p>{% endfor %}</body></html>"


def create_app():
    app = Flask(__name__)
    rows = ["Наставничество — строка %05d " % i + "x" * PAD for i in range(ROWS)]

    @app.get("/")
    def page():
        return render_template_string(TEMPLATE, title="Базовая страница", rows=rows)

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app
'''

LUA = '''\
local paths = %s
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
'''


def _seed(app, corpus: Corpus) -> list[int]:
    """Insert the corpus as published library items (one bulk insert) and return their ids."""
    from portal.extensions import db
    from portal.models import LibraryItem, Region
    from portal.vocabularies import LIBRARY_NOMINATIONS
    with app.app_context():
        regions = set(db.session.scalars(db.select(Region.code)))
        rows = [dict(id=d.id, source="archive", external_id=f"bench-{d.id}", status="published", year=d.year,
                     nomination_code=d.nomination, nomination_title=LIBRARY_NOMINATIONS[d.nomination][0],
                     title=d.title[:300], summary=d.summary, description=d.description, results=d.results,
                     replicability=d.replicability, keywords=list(d.keywords), mentoring_form=d.form,
                     audience=d.audience, region_code=d.region if d.region in regions else None,
                     organisation_name="", award=d.award, place=1 if d.award == "winner" else None,
                     created_at=d.published_at.astimezone(timezone.utc), updated_at=d.published_at,
                     published_at=d.published_at) for d in corpus.docs]
        db.session.execute(db.insert(LibraryItem), rows)
        db.session.commit()
        db.session.remove()
    return [d.id for d in corpus.docs]


def _wrk(url: str, paths: list[str], tmp: Path, name: str) -> dict:
    script = tmp / f"{name}.lua"
    script.write_text(LUA % ("{" + ", ".join(json.dumps(p, ensure_ascii=False) for p in paths) + "}"))
    done = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "-s", str(script), url],
                          capture_output=True, text=True, timeout=SECONDS + 60)
    out = done.stdout
    if "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rate, "requests": total, "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "", "p50_ms": _latency(out, "50%"),
            "p99_ms": _latency(out, "99%")}


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run() -> dict:
    if shutil.which("wrk") is None:
        raise Skip("wrk is not installed (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        settings = app_settings(tmp, f"sqlite:///{tmp / 'portal.db'}", SEARCH_INDEX_DIR=str(tmp / "index"))
        env = process_env(settings)
        migrate(env)
        ids = _seed(make_app(settings), Corpus(PRACTICES))
        done = subprocess.run([str(BIN / "flask"), "search", "reindex"], cwd=ROOT, env={**env, "FLASK_APP": "portal"},
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"search reindex failed: {done.stderr}")
        (tmp / "bare").mkdir()
        row = len("Наставничество — строка 00000 ".encode()) + len("<p class=row></p>")
        pad = 40
        (tmp / "bare" / "bare_app.py").write_text(
            BARE_APP.replace("PAD", str(pad)).replace("ROWS", str(BARE_BYTES // (row + pad))))
        rng = random.Random(7)
        library_paths = ["/library/?q=" + quote(q, safe="&=") for q in QUERIES]
        practice_paths = [f"/library/{i}" for i in rng.sample(ids, 200)]
        results = {}
        bare_env = {**env, "PYTHONPATH": str(tmp / "bare")}
        with Gunicorn(bare_env, workers=WORKERS, log_path=tmp / "bare.log", app="bare_app:create_app()") as server:
            results["bare_bytes"] = len(requests.get(server.url + "/").content)
            results["bare"] = _wrk(server.url, ["/"], tmp, "bare")
        with Gunicorn(env, workers=WORKERS, log_path=tmp / "portal.log") as server:
            results["library_bytes"] = len(requests.get(server.url + library_paths[0]).content)
            results["practice_bytes"] = len(requests.get(server.url + practice_paths[0]).content)
            results["library"] = _wrk(server.url, library_paths, tmp, "library")
            results["practice"] = _wrk(server.url, practice_paths, tmp, "practice")
        # The same pages rendered every time (the per-process fragment cache off), for the record.
        with Gunicorn({**env, "LIBRARY_FRAGMENT_CACHE": "false"}, workers=WORKERS,
                      log_path=tmp / "portal-uncached.log") as server:
            results["library_uncached"] = _wrk(server.url, library_paths, tmp, "library-uncached")
            results["practice_uncached"] = _wrk(server.url, practice_paths, tmp, "practice-uncached")
        return report(results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(r: dict) -> dict:
    bare, library, practice = r["bare"], r["library"], r["practice"]
    lib_ratio, prac_ratio = library["rps"] / bare["rps"], practice["rps"] / bare["rps"]
    errors = sum(r[name]["non_2xx"] for name in ("library", "practice", "library_uncached", "practice_uncached"))
    return {
        "figures": {
            "bare Flask page (32 KB), req/s": fig(round(bare["rps"]), unit="req/s"),
            "library page, req/s": fig(round(library["rps"]), unit="req/s"),
            "library / bare throughput": fig(round(lib_ratio, 2), f"≥ {RATIO_LIBRARY}", lib_ratio >= RATIO_LIBRARY),
            "practice page, req/s": fig(round(practice["rps"]), unit="req/s"),
            "practice / bare throughput": fig(round(prac_ratio, 2), f"≥ {RATIO_PRACTICE}", prac_ratio >= RATIO_PRACTICE),
            "library page p99": fig(round(library["p99_ms"], 1), f"≤ {P99_MS:.0f} ms", library["p99_ms"] <= P99_MS,
                                    "ms"),
            "practice page p99": fig(round(practice["p99_ms"], 1), f"≤ {P99_MS:.0f} ms",
                                     practice["p99_ms"] <= P99_MS, "ms"),
            "library page uncached, req/s (bare ×)": fig(
                f"{r['library_uncached']['rps']:.0f} ({r['library_uncached']['rps'] / bare['rps']:.2f})"),
            "practice page uncached, req/s (bare ×)": fig(
                f"{r['practice_uncached']['rps']:.0f} ({r['practice_uncached']['rps'] / bare['rps']:.2f})"),
            "errors (non-2xx, socket)": fig(errors, "0", errors == 0 and not library["socket_errors"]
                                            and not practice["socket_errors"]),
        },
        "details": r,
    }
