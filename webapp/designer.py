"""The process designer's area: deployed process versions."""
from __future__ import annotations


from engine import deployed_versions
from flask import Blueprint, render_template

from .auth import requires_role
from .db import db



bp = Blueprint("designer", __name__)


@bp.route("/processes")
@requires_role("designer", "admin", "county_supervisor")
def processes():
    """Deployed process versions (immutable; a version is its content hash)."""
    with db().unit_of_work() as uow:
        s = uow.session
        rows = deployed_versions(s)
    return render_template("designer/processes.html", rows=rows)
