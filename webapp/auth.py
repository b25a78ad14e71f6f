"""Log-in, log-out, and the current principal.

The signed cookie carries a random session token (beside the language, flash messages and the CSRF secret);
the principal lives in the server-side session row, read once per request, so log-out, deactivation, a
password change or a role change ends a session at once. Log-in is throttled per account and per address.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext as _

from engine import Principal, authenticate
from engine.errors import Forbidden
from engine import SessionPolicy, load_session, open_session, revoke_session, touch_session
from engine import Refusal, check_login_allowed, record_login_failure, record_login_success

from .db import clock, db

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {"auth.login", "static", "auth.set_language", "operator.healthz", "operator.metrics"}
SESSION_TOKEN = "sid"
USERNAME_MAX = 64


def current_principal() -> Principal | None:
    """The logged-in principal of this request, if any."""
    return g.get("principal")


def principal_of_cookie() -> Principal | None:
    """The principal of the request's session cookie, for a public endpoint that serves admins more."""
    token = session.get(SESSION_TOKEN)
    return _live_principal(token) if token else None


def session_policy() -> SessionPolicy:
    """The app's session lifetime and idle timeout."""
    return current_app.extensions["jiuzhu.session_policy"]


def init_app(app: Flask) -> None:
    """Require a live server-side session on every page but the log-in page and static files."""
    app.extensions["jiuzhu.session_policy"] = SessionPolicy(
        lifetime=app.config["SESSION_LIFETIME"], idle_timeout=app.config["SESSION_IDLE_TIMEOUT"])

    @app.before_request
    def load_principal():
        g.principal = None
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        token = session.get(SESSION_TOKEN)
        if token:
            g.principal = _live_principal(token)
        if g.principal is None:
            if token:
                # Revoked, idle too long or past its lifetime: forget it, say why on the log-in page.
                session.pop(SESSION_TOKEN, None)
                if not request.path.startswith("/api/"):
                    flash(_("Your session has expired. Please log in again."), "warning")
            if request.path.startswith("/api/"):
                return {"error": "unauthenticated", "message": _("Please log in.")}, 401
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return None


def _live_principal(token: str) -> Principal | None:
    now = clock().now()
    with db().reading() as connection:
        live = load_session(connection, token, now, session_policy())
    if live is None:
        return None
    if live.needs_touch:
        with db().unit_of_work(write=True) as uow:
            s = uow.session
            touch_session(s, live.key, now)
            uow.commit()
    return live.principal


def requires_role(*roles: str):
    """Allow the view only to principals holding one of ``roles``."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None or not any(principal.has_role(r) for r in roles):
                raise Forbidden(f"needs one of {roles}")
            return view(*args, **kwargs)
        return wrapper
    return decorator


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect would help phishing.
    if not target:
        return url_for("inbox.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("inbox.home")
    return target


def _refused(refusal: Refusal, username: str):
    now = clock().now()
    if refusal.locked:
        message = _("Too many failed log-ins: log-in is locked until %(time)s. Try again then, or ask an "
                    "administrator to unlock it.", time=format_datetime(refusal.until, "yyyy-MM-dd HH:mm"))
    else:
        message = _("Too many failed log-ins. Please wait %(seconds)s seconds and try again.",
                    seconds=refusal.retry_after(now))
    flash(message, "error")
    response = current_app.make_response((render_template("auth/login.html", username=username), 429))
    response.headers["Retry-After"] = str(refusal.retry_after(now))
    return response


def _restart_cookie_session() -> None:
    # A fresh cookie session at log-in and log-out (no fixation); only the language choice survives.
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The log-in form."""
    if request.method == "GET":
        return render_template("auth/login.html", username="")
    username = (request.form.get("username") or "").strip()[:USERNAME_MAX]
    password = request.form.get("password") or ""
    address = request.remote_addr
    now = clock().now()
    with db().unit_of_work() as uow:
        s = uow.session
        refusal = check_login_allowed(s, now, username, address)
        # A refused try is not checked at all: a lock holds even against the right password.
        principal = None if refusal else authenticate(s, username, password)
    if refusal:
        return _refused(refusal, username)
    with db().unit_of_work(write=True) as uow:
        s = uow.session
        if principal is None:
            refusal = record_login_failure(s, now, username, address)
        else:
            record_login_success(s, username)
            token = open_session(s, principal, now, session_policy(), address)
        uow.commit()
    if refusal:
        return _refused(refusal, username)
    if principal is None:
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", username=username), 401
    _restart_cookie_session()
    session.permanent = True
    session[SESSION_TOKEN] = token
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST, so a link elsewhere cannot log people out); the session ends on the server too."""
    token = session.get(SESSION_TOKEN)
    if token:
        with db().unit_of_work(write=True) as uow:
            s = uow.session
            revoke_session(s, token, clock().now(), "logout")
            uow.commit()
    _restart_cookie_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language."""
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
