"""Pure judging algorithms on plain data (assignment, aggregation, normalisation, ranking): no Flask, no SQLAlchemy,
nothing from `portal` or the rest of `reviewers`."""
