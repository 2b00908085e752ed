"""The applicant's pages: organisations, entries by sections, files, submission."""
from flask import Blueprint

bp = Blueprint("applicant", __name__)

from portal.applicant import certificates, entry_views, org_views  # noqa: E402,F401  (registers the routes on bp)
