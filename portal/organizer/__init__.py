"""Organizer pages (the full console comes later): seasons and their timeline, the library console."""
from flask import Blueprint

bp = Blueprint("organizer", __name__)

from portal.organizer import audit, certificates, deadlines, entries, library, messages, setup, views  # noqa: E402,F401  (registers the routes on bp)
