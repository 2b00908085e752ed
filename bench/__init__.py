"""Benchmarks of the SPEC §10 workloads: `make bench` (python -m bench.run)."""
