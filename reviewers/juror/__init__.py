"""The juror's pages: invitation, dashboard, entry, scoring, recusal."""
from flask import Blueprint

bp = Blueprint("jury", __name__)

from reviewers.juror import views  # noqa: E402,F401  (registers the routes on bp)
