"""Demo data for `flask seed-demo` (filled in next)."""
from __future__ import annotations


def seed_demo(session, *, config, now):
    raise NotImplementedError
