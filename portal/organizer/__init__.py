"""Organizer pages (the full console comes later): seasons and their timeline, the library console."""
from flask import Blueprint

bp = Blueprint("organizer", __name__)

from portal.organizer import audit, certificates, entries, library, views  # noqa: E402,F401  (registers the routes on bp)
