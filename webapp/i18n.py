"""Flask-Babel wiring: Chinese first, English switchable; catalogs compiled on first start."""
from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask, g, request, session
from flask_babel import Babel, get_translations

from .template_i18n import LiteralTranslations, format_translated

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = ("zh_CN", "en")
# Parsed once: Flask-Babel would otherwise parse the locale name on every request.
_PARSED = {name: Locale.parse(name) for name in LOCALES}
_COMPILED: set[Path] = set()  # the directories compile_catalogs has checked in this process


def compile_catalogs(directory: Path = TRANSLATIONS) -> None:
    """Compile every messages.po into the messages.mo beside it unless that .mo already holds exactly it (pure
    Python, no make step needed). Compared by content, once per process: by modification time, a checkout or a
    restored .po older than its last compile would leave the old catalogue served. Written to a temporary file
    and renamed, so an app starting meanwhile in another process never reads half a catalogue."""
    if directory in _COMPILED:
        return
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.read_bytes() == compiled.getvalue():
            continue
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        partial.write_bytes(compiled.getvalue())
        os.replace(partial, mo_path)
    _COMPILED.add(directory)


def select_locale() -> str:
    """The session's chosen language, else Chinese."""
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return "zh_CN"


def request_translations():
    """This request's catalogue, looked up once per locale: Flask-Babel's own ``get_translations`` walks its
    context, domain and locale on every call (~40 µs), and a page calls it a hundred times from its template.
    Kept beside Flask-Babel's locale in its request namespace, so ``force_locale`` still switches it."""
    if not g:
        return get_translations()
    space = g.get("_flask_babel")
    held = getattr(space, "jiuzhu_translations", None)
    if held is not None and held[0] is getattr(space, "babel_locale", None):
        return held[1]
    translations = get_translations()  # sets the namespace and its locale
    space = g._flask_babel
    space.jiuzhu_translations = (getattr(space, "babel_locale", None), translations)
    return translations


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our locale selector; templates translate through ``request_translations``."""
    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=lambda: _PARSED[select_locale()])
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.add_extension(LiteralTranslations)
    app.jinja_env.globals["_fmt"] = format_translated

    @app.context_processor
    def inject_locale():
        return {"current_locale": select_locale(), "is_zh": select_locale() == "zh_CN", "request_path": request.path}


def add_template_locales(app: Flask) -> None:
    """One compiled copy of the templates per language, their literal ``_("…")`` translated (template_i18n)."""
    for name in LOCALES:
        locale = str(_PARSED[name])
        app.jinja_env.add_locale(locale, Translations.load(str(TRANSLATIONS), [locale], domain="messages"))
