"""Flask-Babel wiring: Chinese first, English switchable; catalogs compiled on first start."""
from __future__ import annotations

from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = ("zh_CN", "en")
# Parsed once: Flask-Babel would otherwise parse the locale name on every request.
_PARSED = {name: Locale.parse(name) for name in LOCALES}


def compile_catalogs(directory: Path = TRANSLATIONS) -> None:
    """Compile every messages.po whose .mo is missing or older (pure Python, no make step needed)."""
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        with mo_path.open("wb") as fh:
            write_mo(fh, catalog)


def select_locale() -> str:
    """The session's chosen language, else Chinese."""
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return "zh_CN"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our locale selector."""
    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=lambda: _PARSED[select_locale()])

    @app.context_processor
    def inject_locale():
        return {"current_locale": select_locale(), "is_zh": select_locale() == "zh_CN", "request_path": request.path}
