"""`make bench`: run the SPEC §10 workloads, print a table and write bench/results/<UTC time>.json and latest.json.

A workload is a function returning {"figures": {name: fig(...)}, "details": {...}}; it passes when every figure
with a target is ok, and may raise `Skip` when the machine lacks what it needs. Run some of them by name:
`python -m bench.run upload_memory`.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench import deadline_rush, exports, judging, library_pages, mailing, protocol, publish_results, upload_memory
from bench import search as library_search
from bench.common import Skip

WORKLOADS = {
    "deadline_rush": deadline_rush.run,
    "upload_memory": upload_memory.run,
    "assignment": judging.run_assignment,
    "assignment_large": judging.run_assignment_large,
    "rankings": judging.run_rankings,
    "search_10k": library_search.run_10k,
    "search_100k": library_search.run_100k,
    "library_pages": library_pages.run,
    "exports": exports.run,
    "publish_results": publish_results.run,
    "protocol": protocol.run,
    "mailing": mailing.run,
}
RESULTS = Path(__file__).resolve().parent / "results"


def run_one(name: str) -> dict:
    print(f"== {name} ...", flush=True)
    started = time.monotonic()
    try:
        outcome = WORKLOADS[name]()
        failed = [f for f, v in outcome["figures"].items() if v["ok"] is False]
        outcome["status"] = "fail" if failed else "pass"
    except Skip as exc:
        outcome = {"status": "skip", "reason": str(exc), "figures": {}}
    except Exception as exc:  # a crashed workload is a failure, and the others still run
        outcome = {"status": "error", "reason": f"{type(exc).__name__}: {exc}", "figures": {},
                   "traceback": traceback.format_exc()}
        traceback.print_exc()
    outcome["seconds"] = round(time.monotonic() - started, 1)
    print(f"== {name}: {outcome['status']} in {outcome['seconds']} s", flush=True)
    return outcome


def show(value, unit: str) -> str:
    if isinstance(value, float):
        value = f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{value} {unit}".strip()


def table(results: dict) -> str:
    rows = [("workload", "figure", "value", "target", "ok")]
    for name, outcome in results.items():
        if not outcome["figures"]:
            rows.append((name, outcome["status"], outcome.get("reason", ""), "", "SKIP" if outcome["status"] == "skip"
                         else "FAIL"))
        for figure, v in outcome["figures"].items():
            ok = "" if v["ok"] is None else ("yes" if v["ok"] else "NO")
            rows.append((name, figure, show(v["value"], v["unit"]), v["target"] or "", ok))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(row[:4], widths)) + " | " + row[4] for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths) + "-+---")
    return "\n".join(lines)


def write(results: dict, started: datetime) -> Path:
    RESULTS.mkdir(exist_ok=True)
    document = {"started_at": started.isoformat(), "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                                               "platform": platform.platform()},
                "ok": all(o["status"] in ("pass", "skip") for o in results.values()), "workloads": results}
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    path = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    return path


def main(argv: list[str]) -> int:
    unknown = [n for n in argv if n not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    started = datetime.now(timezone.utc)
    results = {name: run_one(name) for name in (argv or WORKLOADS)}
    print()
    print(table(results))
    path = write(results, started)
    ok = all(o["status"] in ("pass", "skip") for o in results.values())
    print(f"\n{'PASS' if ok else 'FAIL'}; results in {path} and {RESULTS / 'latest.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
