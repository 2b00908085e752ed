"""The organizer's side of judging: pools, assignment, progress, rankings, advancement."""
from flask import Blueprint

bp = Blueprint("judging", __name__)

from reviewers.judging import awards, dashboard, exports, jurors, protocol, setup, views  # noqa: E402,F401  (registers the routes on bp)
