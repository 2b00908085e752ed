"""Judging workloads (SPEC §10): automatic assignment at 25,000 × 3 / 600 and 100,000 × 3 / 2,000 jurors, each
checked rule by rule and set beside the greedy baseline; rankings with normalisation at 10,000 × 3 × 5.

Instances are generated deterministically (seeded): five nominations of unequal size, organisations in 85 regions
(Moscow and a few large regions heavier), some organisations with several entries, individual applicants without an
organisation; an organisation submits its practices within a day, so ids come in runs. Jurors serve one pool each,
with caps at their fair share (the caps of a pool add up to its slots) and one place of slack for one juror in
twenty; about 5 % of jurors are affiliated with an applicant organisation; a few recusals; calibration severity for
every juror.
"""
from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from bench.common import fig
from reviewers.engine.assignment import (EntryInfo, JurorInfo, assign_jurors, check_assignment, greedy_assign,
                                         load_spread)
from reviewers.engine.results import ReviewInput, judge_nomination
from reviewers.engine.scoring import CriterionSpec

SEED = 2026
K = 3
SLACK = 0.05  # share of jurors with one place more than their fair share
POOL_SHARES = (0.30, 0.25, 0.20, 0.15, 0.10)
REGIONS = [f"{code:02d}" for code in range(1, 86)]
REGION_WEIGHTS = [12 if r == "77" else 5 if r in ("50", "78", "16", "02", "66") else 1 for r in REGIONS]


def inn(rng: random.Random) -> str:
    """Ten digits (the checksum does not matter to the engine)."""
    return f"{rng.randrange(10 ** 9, 10 ** 10)}"


def instance(n_entries: int, n_jurors: int, n_orgs: int, seed: int = SEED):
    """(entries, jurors, excluded) for one season's expert round, deterministic for a seed."""
    rng = random.Random(seed)
    pools = [f"round:1/nomination:{i + 1}" for i in range(len(POOL_SHARES))]
    org_weights = list(itertools.accumulate(1.0 / (1 + i) ** 0.6 for i in range(n_orgs)))  # a few submit many
    region_weights = list(itertools.accumulate(REGION_WEIGHTS))
    pool_weights = list(itertools.accumulate(POOL_SHARES))
    orgs = [(f"inn:{inn(rng)}", f"org:{i + 1}", rng.choices(REGIONS, cum_weights=region_weights)[0])
            for i in range(n_orgs)]
    org_day = [rng.uniform(0, 30) for _ in orgs]  # an organisation prepares its practices together
    drafts = []
    for _ in range(n_entries):
        pool = rng.choices(pools, cum_weights=pool_weights)[0]
        if rng.random() < 0.1:  # an individual applicant
            keys, region, day = frozenset(), rng.choices(REGIONS, cum_weights=region_weights)[0], rng.uniform(0, 30)
        else:
            o = rng.choices(range(n_orgs), cum_weights=org_weights)[0]
            keys, region, day = frozenset(orgs[o][:2]), orgs[o][2], org_day[o] + rng.uniform(0, 1)
        drafts.append((day, pool, keys, region))
    drafts.sort(key=lambda d: d[0])  # ids follow the submission order
    entries, by_pool = [], {p: [] for p in pools}
    for entry_id, (_, pool, keys, region) in enumerate(drafts, start=1):
        entry = EntryInfo(entry_id, pool, keys, region)
        entries.append(entry)
        by_pool[pool].append(entry)
    jurors, juror_id = [], 0
    per_pool = [round(n_jurors * s) for s in POOL_SHARES]
    per_pool[0] += n_jurors - sum(per_pool)
    for pool, count in zip(pools, per_pool):
        # tight caps: the fair share (total caps = slots), and a little slack for one juror in twenty
        need = K * len(by_pool[pool])
        low = need // count
        upper = set(rng.sample(range(count), need - low * count))
        applicants = [e for e in by_pool[pool] if e.organisation_keys]  # big organisations more likely
        for n in range(count):
            juror_id += 1
            affiliation: frozenset[str] = frozenset()
            if rng.random() < 0.05:
                affiliation = frozenset({rng.choice(sorted(rng.choice(applicants).organisation_keys))})
            cap = low + (n in upper) + (rng.random() < SLACK)
            jurors.append(JurorInfo(juror_id, frozenset({pool}), cap, affiliation,
                                    frozenset({rng.choices(REGIONS, cum_weights=region_weights)[0]}),
                                    severity=round(rng.gauss(0, 4), 2)))
    pool_jurors = {p: [j.id for j in jurors if p in j.pools] for p in pools}
    excluded = sorted({(e.id, rng.choice(pool_jurors[e.pool])) for e in rng.sample(entries, n_entries // 500)})
    return entries, jurors, excluded


def measure_assignment(n_entries: int, n_jurors: int, n_orgs: int, target: float) -> dict:
    """Solver + independent check against the greedy baseline on one generated instance."""
    entries, jurors, excluded = instance(n_entries, n_jurors, n_orgs)
    started = time.perf_counter()
    plan = assign_jurors(entries, jurors, k=K, excluded=excluded)
    solved = time.perf_counter()
    violations = check_assignment(entries, jurors, plan.pairs, k=K, excluded=excluded)
    finished = time.perf_counter()
    spread = load_spread(plan, jurors)

    g_started = time.perf_counter()
    greedy = greedy_assign(entries, jurors, k=K, excluded=excluded)
    g_seconds = time.perf_counter() - g_started
    g_spread = load_spread(greedy, jurors)
    g_violations = check_assignment(entries, jurors, greedy.pairs, k=K, excluded=excluded)
    g_unfilled = K * len(entries) - len(greedy.pairs)

    # gaps after recusals: 1 % of the pairs recused, the same call fills them
    rng = random.Random(SEED + 1)
    recused = rng.sample(plan.pairs, len(plan.pairs) // 100)
    excluded2 = sorted(set(excluded) | set(recused))
    r_started = time.perf_counter()
    refill = assign_jurors(entries, jurors, k=K, existing=plan.pairs, excluded=excluded2)
    r_seconds = time.perf_counter() - r_started
    r_violations = check_assignment(entries, jurors, refill.pairs, k=K, excluded=excluded2)

    total = finished - started
    worst = max(spread.values())
    return {
        "figures": {
            "solve + check": fig(round(total, 3), f"≤ {target:g} s", total <= target, "s"),
            "violations": fig(len(violations) + len(plan.problems), "0",
                              not violations and not plan.problems),
            "max spread per pool": fig(worst, "≤ 1", worst <= 1),
            "same region pairs": fig(plan.same_region),
            "greedy time": fig(round(g_seconds, 3), None, None, "s"),
            "greedy unfilled slots": fig(g_unfilled),
            "greedy max spread": fig(max(g_spread.values())),
            "refill after 1 % recusals": fig(round(r_seconds, 3), None,
                                             not r_violations and not refill.problems, "s"),
        },
        "details": {
            "entries": len(entries), "jurors": len(jurors), "excluded": len(excluded),
            "solve_seconds": round(solved - started, 3), "check_seconds": round(finished - solved, 3),
            "spread_per_pool": spread, "new_pairs": len(plan.new), "problems": [p.message for p in plan.problems[:5]],
            "violations": violations[:5],
            "greedy": {"seconds": round(g_seconds, 3), "unfilled_slots": g_unfilled, "spread_per_pool": g_spread,
                       "violations": len(g_violations), "same_region": greedy.same_region,
                       "short_entries": len(greedy.problems)},
            "refill": {"recused": len(recused), "new_pairs": len(refill.new), "kept": len(refill.kept),
                       "violations": len(r_violations), "problems": len(refill.problems)},
        },
    }


def run_assignment() -> dict:
    """25,000 entries × 3 jurors, 600 jurors: ≤ 1 s including the check."""
    return measure_assignment(25_000, 600, 3_000, 1.0)


def run_assignment_large() -> dict:
    """100,000 entries × 3 jurors, 2,000 jurors: ≤ 5 s including the check."""
    return measure_assignment(100_000, 2_000, 12_000, 5.0)


CRITERIA = [CriterionSpec(c, w, 1, 10) for c, w in
            (("results", 3.0), ("efficiency", 2.0), ("novelty", 1.0), ("replicability", 2.0), ("scalability", 1.0))]


def review_instance(n_entries: int, seed: int = SEED):
    """(reviews, submitted_at): 3 reviews per entry by jurors of differing severity, integer criterion scores."""
    rng = random.Random(seed)
    n_jurors = max(n_entries * 3 // 50, 3)
    severity = [rng.gauss(0, 1.0) for _ in range(n_jurors)]
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    reviews, submitted_at = [], {}
    for entry_id in range(1, n_entries + 1):
        quality = rng.gauss(6.5, 1.5)
        submitted_at[entry_id] = start + timedelta(seconds=rng.randrange(30 * 86400))
        for juror in rng.sample(range(1, n_jurors + 1), 3):
            scores = {c.id: min(10, max(1, round(quality + severity[juror - 1] + rng.gauss(0, 1)))) for c in CRITERIA}
            reviews.append(ReviewInput(juror, entry_id, scores))
    return reviews, submitted_at


def run_rankings() -> dict:
    """10,000 entries × 3 reviews × 5 criteria: scores, shrunk normalisation, severity, alpha, ranking ≤ 1 s."""
    reviews, submitted_at = review_instance(10_000)
    started = time.perf_counter()
    result = judge_nomination(reviews, CRITERIA, submitted_at=submitted_at, criterion_priority=[c.id for c in CRITERIA],
                              disagreement_threshold=15.0, rank_by="normalised")
    seconds = time.perf_counter() - started
    ties = Counter(r.tie_broken_by.split(":")[0] for r in result.entries if r.tie_broken_by)
    return {
        "figures": {
            "rankings with normalisation": fig(round(seconds, 3), "≤ 1 s", seconds <= 1.0, "s"),
            "alpha (interval)": fig(round(result.alpha, 3) if result.alpha is not None else None),
            "flagged disagreements": fig(sum(r.disagreement for r in result.entries)),
            "ties broken": fig(sum(ties.values())),
        },
        "details": {"reviews": len(reviews), "entries": len(result.entries), "ties_by_rule": dict(ties),
                    "shared_ranks": sum(r.needs_chair for r in result.entries)},
    }
