"""Public pages: home with the season and its timeline, and the health check."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import views  # noqa: E402,F401  (registers the routes on bp)
