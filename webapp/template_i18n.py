"""Templates translated when they are compiled, one compiled copy per language.

A page calls ``_("…")`` a hundred times; at run time each call is three of Jinja's ``Context.call`` and a
catalogue lookup (~15 % of a page's CPU). The strings are literals, so the app keeps one overlay of its
Jinja environment per language (``LOCALES``) whose token stream has every ``_("literal")`` of an
autoescaped template already translated:

- ``_("literal")`` becomes the translation as a safe constant (``('译文'|safe)``), which Jinja's optimiser
  folds into the template's text: nothing left to do when the page renders;
- ``_("literal", name=value, …)`` becomes ``_fmt('译文', name=value, …)``, which formats as newstyle
  gettext does (``Markup(translation) % variables``: the values escaped);
- anything else (``_(variable)``, templates without autoescape) is left to the run-time ``_``.

The result is what the run-time ``_`` gives (newstyle: ``%%`` is ``%`` even without variables; the
translation is markup). ``app.jinja_env`` picks the overlay of the locale Flask-Babel says is current
(``force_locale`` included) each time a template is looked up; outside a request, or for a locale it does
not know, it is the plain environment with the run-time ``_``.
"""
from __future__ import annotations

from collections.abc import Iterator

from babel.support import NullTranslations, Translations
from flask import has_request_context
from flask.templating import Environment
from flask_babel import get_locale
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup


def format_translated(translated: str, **variables) -> Markup:
    """A compiled ``_("…", name=value)``: the translation as markup, the values escaped into it."""
    return Markup(translated) % variables


class LiteralTranslations(Extension):
    """Rewrites ``_("literal"…)`` in the token stream of an environment that has ``translations`` set."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translations = getattr(self.environment, "jiuzhu_translations", None)
        if translations is None or not _autoescaped(self.environment, stream.name):
            yield from stream
            return
        held: list[Token] = []  # the tokens of a possible ``_ ( "literal"`` not yet decided
        previous = None
        for token in stream:
            held.append(token)
            shape = [t.type for t in held]
            if shape == ["name"]:
                if token.value != "_" or (previous is not None and previous.type == "dot"):
                    yield from _release(held)
            elif shape in (["name", "lparen"], ["name", "lparen", "string"]):
                pass
            elif shape == ["name", "lparen", "string", "rparen"]:
                constant = _constant(translations, held[2].value)
                if constant is None:
                    yield from _release(held)
                else:
                    line = held[0].lineno
                    yield from (Token(line, "lparen", "("), Token(line, "string", constant),
                                Token(line, "pipe", "|"), Token(line, "name", "safe"), Token(line, "rparen", ")"))
                    held.clear()
            elif shape == ["name", "lparen", "string", "comma"]:
                line = held[0].lineno
                yield from (Token(line, "name", "_fmt"), held[1],
                            Token(line, "string", translations.ugettext(held[2].value)), held[3])
                held.clear()
            else:
                yield from _release(held)
            previous = token


def _release(held: list[Token]) -> list[Token]:
    released = list(held)
    held.clear()
    return released


def _constant(translations, message: str) -> str | None:
    try:
        return str(Markup(translations.ugettext(message)) % {})
    except (KeyError, TypeError, ValueError):
        return None  # a placeholder without its value: left to fail (or not) as it would at run time


def _autoescaped(environment, name: str | None) -> bool:
    autoescape = environment.autoescape
    return bool(autoescape(name) if callable(autoescape) else autoescape)


class LocalisedEnvironment(Environment):
    """Flask's environment, handing each template lookup to the overlay of the current locale."""

    jiuzhu_translations = None  # set on the overlays only
    jiuzhu_overlays: dict | None = None

    def add_locale(self, name: str, translations: Translations | NullTranslations) -> None:
        if self.jiuzhu_overlays is None:
            self.jiuzhu_overlays = {}
        overlay = self.overlay(cache_size=400)
        overlay.jiuzhu_translations = translations
        overlay.jiuzhu_overlays = self.jiuzhu_overlays
        self.jiuzhu_overlays[name] = overlay

    def _current(self) -> Environment:
        base = self if self.jiuzhu_translations is None else self.linked_to
        if not self.jiuzhu_overlays or not has_request_context():
            return base
        return self.jiuzhu_overlays.get(str(get_locale()), base)

    def get_template(self, name, parent=None, globals=None):
        env = self._current()
        if env is self:
            return super().get_template(name, parent, globals)
        return env.get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        env = self._current()
        if env is self:
            return super().select_template(names, parent, globals)
        return env.select_template(names, parent, globals)
