"""Jury endpoints of the JSON API v1: assignments and reviews (jurors), assignment and rankings (organizers)."""
from portal.api import api_blueprint

bp = api_blueprint("jury_api", __name__)

from reviewers.api import assignments, judging, results  # noqa: E402,F401  (registers the routes on bp)
