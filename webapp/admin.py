"""Administration pages (role ``admin``): what the scheduler could not do (incidents), log-in security
(throttled accounts and addresses, unlock, the audit trail); places, users, the holiday calendar and the county
rules are in admin_places, admin_users, admin_calendar and admin_rules, on this blueprint."""
from __future__ import annotations

import ipaddress
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import open_incidents, recent_events, retry_incident
from engine import THROTTLE_SCOPES as SCOPES, throttled_logins, unlock

from .auth import current_principal, requires_role
from .db import clock, db
from .limits import InputRefused, int_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
USERNAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@bp.route("/security", methods=["GET", "POST"])
@requires_role("admin")
def security():
    """Throttled and locked log-ins with an unlock button, and the security audit trail."""
    if request.method == "POST":
        scope, key = request.form.get("scope", ""), (request.form.get("key") or "").strip()
        if scope not in SCOPES or not _plausible(scope, key):
            flash(_("Choose an account or an address to unlock."), "error")
            return _security_page(), 400
        with db().unit_of_work(write=True) as uow:
            done = unlock(uow.session, current_principal(), clock().now(), scope, key)
            uow.commit()
        if not done:  # nothing to unlock: say so on the page, change nothing
            flash(_("%(key)s was not locked.", key=key), "info")
            return _security_page(), 404
        flash(_("Unlocked %(key)s.", key=key), "success")
        return redirect(url_for("admin.security"))
    return _security_page()


def _plausible(scope: str, key: str) -> bool:
    """An account key looks like a username; an address key is an IP address."""
    if scope == "address":
        try:
            ipaddress.ip_address(key)
        except ValueError:
            return False
        return True
    return bool(USERNAME.fullmatch(key))


def _security_page() -> str:
    with db().unit_of_work() as uow:
        throttles = throttled_logins(uow.session, clock().now())
        events = recent_events(uow.session)
    return render_template("admin/security.html", throttles=throttles, events=events)


@bp.route("/incidents", methods=["GET", "POST"])
@requires_role("admin")
def incidents():
    """What the scheduler could not do, with a retry button."""
    if request.method == "POST":
        with db().unit_of_work(write=True) as uow:
            retry_incident(uow.session, clock(), int_arg(request.form, "incident_id", 0))
            uow.commit()
        flash(_("Queued again."), "success")
        return redirect(url_for("admin.incidents"))
    with db().unit_of_work() as uow:
        s = uow.session
        rows = open_incidents(s)
    return render_template("admin/incidents.html", rows=rows)


def uploaded_text(field: str) -> tuple[str, str]:
    """The text of an uploaded data file and its name ("" when none was chosen); HTTP 400 when it is not
    UTF-8 text."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return "", ""
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputRefused("the file is not UTF-8 text", "文件不是 UTF-8 编码的文本文件") from None
    return text, upload.filename[:100]


# The other admin pages register their views on this blueprint.
from . import admin_calendar, admin_places, admin_rules, admin_users  # noqa: E402,F401
