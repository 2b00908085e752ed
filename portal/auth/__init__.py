"""Accounts: registration, confirmation, login, passwords, API tokens, language."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import personal_data, views  # noqa: E402,F401  (registers the routes on bp)
