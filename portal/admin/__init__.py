"""Administration: users and their roles. Administrators only."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

from portal.permissions import can_administer_users

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def require_admin():
    """Anonymous visitors go to the login page; everyone but an administrator gets 403."""
    if not can_administer_users(current_user):
        abort(403)


from portal.admin import users  # noqa: E402,F401  (registers the routes on bp)
