"""The Flask app factory: built from small named steps, each extension wired with init_app."""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Flask

from engine import Clock
from engine import Database


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the web app. ``config`` overrides environment-derived settings."""
    app = Flask(__name__, instance_relative_config=True)
    _use_localised_templates(app)
    _init_logging()
    _configure(app, config or {})
    _init_proxy(app)
    _init_limits(app)
    _init_database(app)
    _init_i18n(app)
    _init_security(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_cli(app)
    _compile_templates_per_locale(app)
    return app


def _configure(app: Flask, overrides: dict[str, Any]) -> None:
    app.config.update(
        SECRET_KEY=os.environ.get("JIUZHU_SECRET_KEY") or _instance_secret(app),
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure unless told otherwise: only `jiuzhu run` (make run's plain-HTTP demo) turns it off.
        SESSION_COOKIE_SECURE=_env_flag("JIUZHU_COOKIE_SECURE", True),
        # The signed cookie is sent again only when its contents change: its expiry, set at log-in, already
        # outlasts the server-side session (which is what ends it), so re-signing it on every response
        # would buy nothing and cost every request.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_LIFETIME=timedelta(hours=float(os.environ.get("JIUZHU_SESSION_HOURS") or 8)),
        SESSION_IDLE_TIMEOUT=timedelta(minutes=float(os.environ.get("JIUZHU_SESSION_IDLE_MINUTES") or 30)),
        PROXY_HOPS=int(os.environ.get("JIUZHU_PROXY_HOPS") or 0),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        CLOCK=Clock(),
    )
    app.config.update(overrides)
    # The cookie lasts as long as the server-side session may (which is what really ends it).
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_LIFETIME"]


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _init_logging() -> None:
    from engine import install_log_redaction
    install_log_redaction()


def _init_proxy(app: Flask) -> None:
    # Behind N reverse proxies the client address (log-in throttling, audit) is in X-Forwarded-For;
    # trusted only when the operator says how many proxies there are.
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _instance_secret(app: Flask) -> str:
    # A per-installation secret kept in instance/, so sessions survive restarts without configuration.
    os.makedirs(app.instance_path, exist_ok=True)
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(os.urandom(32).hex())
        os.chmod(path, 0o600)
    with open(path) as fh:
        return fh.read().strip()


def _init_limits(app: Flask) -> None:
    from .limits import init_app
    init_app(app)


def _init_database(app: Flask) -> None:
    db = app.config.get("DATABASE") or Database(app.config["DATABASE_URL"])
    app.extensions["jiuzhu.db"] = db


def _use_localised_templates(app: Flask) -> None:
    from .template_i18n import LocalisedEnvironment
    app.jinja_environment = LocalisedEnvironment


def _compile_templates_per_locale(app: Flask) -> None:
    # Last: the overlays share the globals and filters, but take the extensions present when they are made.
    from .i18n import add_template_locales
    add_template_locales(app)


def _init_i18n(app: Flask) -> None:
    from .i18n import init_app
    init_app(app)


def _init_security(app: Flask) -> None:
    from .auth import init_app as init_auth
    from .security import init_app as init_csrf
    init_csrf(app)
    init_auth(app)


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .attachments import bp as attachments_bp, init_app as init_attachments
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    from .county_reviews import bp as county_reviews_bp
    from .dashboard import bp as dashboard_bp
    from .designer import bp as designer_bp
    from .households import bp as households_bp
    from .inbox import bp as inbox_bp
    from .operations import bp as operations_bp
    from .operator import bp as operator_bp, init_app as init_operator
    from .pages import init_app as init_pages
    from .search import bp as search_bp
    from .supervision import bp as supervision_bp
    from .window import bp as window_bp
    init_pages(app)
    init_operator(app)
    init_attachments(app)
    # One blueprint per area, each with its templates in templates/<area>/ (flaskr's layout).
    for blueprint in (auth_bp, inbox_bp, cases_bp, households_bp, supervision_bp, designer_bp, admin_bp, api_bp,
                      attachments_bp, search_bp, dashboard_bp, operator_bp, window_bp, operations_bp, county_reviews_bp):
        app.register_blueprint(blueprint)


def _register_errors(app: Flask) -> None:
    from .errors import init_app
    init_app(app)


def _register_cli(app: Flask) -> None:
    from .cli import register
    register(app)
