"""Administration pages: log-in security (throttled accounts and addresses, unlock, the audit trail)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.security_events import recent_events
from engine.throttle import SCOPES, throttled_logins, unlock

from .auth import current_principal, requires_role
from .db import clock, db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/security", methods=["GET", "POST"])
@requires_role("admin")
def security():
    """Throttled and locked log-ins with an unlock button, and the security audit trail."""
    if request.method == "POST":
        scope, key = request.form.get("scope", ""), (request.form.get("key") or "").strip()
        if scope not in SCOPES or not key:
            flash(_("Choose an account or an address to unlock."), "error")
            return redirect(url_for("admin.security")), 303
        with db().unit_of_work(write=True) as s:
            done = unlock(s, current_principal(), clock().now(), scope, key)
            s.commit()
        flash(_("Unlocked %(key)s.", key=key) if done else _("%(key)s was not locked.", key=key),
              "success" if done else "info")
        return redirect(url_for("admin.security"))
    now = clock().now()
    with db().unit_of_work() as s:
        throttles = throttled_logins(s, now)
        events = recent_events(s)
    return render_template("security.html", throttles=throttles, events=events)
