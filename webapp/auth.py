"""Log-in, log-out, and the current principal (loaded once per log-in, kept in the signed session)."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.accounts import Principal, authenticate

from .db import db

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "static", "auth.set_language"}


def current_principal() -> Principal | None:
    """The logged-in principal of this request, if any."""
    return g.get("principal")


def init_app(app: Flask) -> None:
    """Require authentication on every page but the log-in page and static files."""

    @app.before_request
    def load_principal():
        data = session.get("principal")
        g.principal = Principal.from_session(data) if data else None
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if g.principal is None:
            if request.path.startswith("/api/"):
                return {"error": "unauthenticated", "message": _("Please log in.")}, 401
            if data is None and session.get("was_logged_in"):
                flash(_("Your session has expired. Please log in again."), "warning")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return None


def requires_role(*roles: str):
    """Allow the view only to principals holding one of ``roles``."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None or not any(principal.has_role(r) for r in roles):
                from engine.errors import Forbidden
                raise Forbidden(f"needs one of {roles}")
            return view(*args, **kwargs)
        return wrapper
    return decorator


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect would help phishing.
    if not target:
        return url_for("views.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("views.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The log-in form."""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        with db().unit_of_work() as s:
            principal = authenticate(s, username, password)
        if principal is None:
            flash(_("Wrong username or password."), "error")
            return render_template("login.html", username=username), 401
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        session.permanent = True
        session["principal"] = principal.to_session()
        session["was_logged_in"] = True
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST, so a link elsewhere cannot log people out)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language."""
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
