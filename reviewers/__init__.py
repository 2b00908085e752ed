"""Everything about juries: rubrics, rounds, pools, assignments, reviews, and the juror's pages.

Depends on the core of `portal`; the core never imports it (only the app factory registers its blueprint).
`reviewers.engine` holds pure functions on plain data and imports neither Flask nor SQLAlchemy.
"""
