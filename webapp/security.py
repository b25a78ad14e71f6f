"""CSRF on every form (Flask-WTF), and response headers that keep pages to themselves."""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Enable CSRF checking and security headers."""
    csrf.init_app(app)

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'")
        if request.is_secure and app.config["SESSION_COOKIE_SECURE"]:
            # Served over HTTPS with a Secure cookie: tell browsers never to try plain HTTP here.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
