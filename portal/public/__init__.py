"""Public pages: home with the season and its timeline, the library of practices, published results, the health check."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import views  # noqa: E402,F401  (registers the routes on bp)
from portal.public import library  # noqa: E402,F401  (the library, its feed and the published results)
from portal.public import certificates  # noqa: E402,F401  (/verify/<code>)
