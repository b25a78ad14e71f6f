"""Templates translated at compile time (webapp.template_i18n) render exactly as the run-time ``_`` does."""
from __future__ import annotations

import io

import pytest
from babel.messages import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from flask import Flask
from jinja2 import DictLoader, Environment

from webapp.template_i18n import LiteralTranslations, LocalisedEnvironment, format_translated

MESSAGES = {
    "Inbox": "待办事项",
    "Hello %(name)s": "你好，%(name)s",
    "Rate: 100%%": "比例：100%%",
    "<b>Bold</b> %(n)s": "<b>粗体</b> %(n)s",
    "Needs a value %(n)s": "需要值 %(n)s",
    "Tom & Jerry": "汤姆 & 杰瑞",
}

TEMPLATES = {
    "plain": '{{ _("Inbox") }}|{{ _("Unknown text") }}',
    "values": '{{ _("Hello %(name)s", name=who) }}|{{ _("<b>Bold</b> %(n)s", n=who) }}',
    "percent": '{{ _("Rate: 100%%") }}',
    "variable": "{{ _(label) }}",
    "attribute": '{{ helper._("Inbox") }}',
    "set": '{% set t = _("Inbox") %}{{ t }}{{ t | length }}',
    "markup": '{{ _("Tom & Jerry") }}',
    "macro": '{% macro m(x) %}{{ _("Hello %(name)s", name=x) }}{% endmacro %}{{ m(who) }}',
    "missing": '{{ _("Needs a value %(n)s") }}',
}


def _translations() -> Translations:
    catalog = Catalog(locale="zh_Hans_CN")
    for msgid, msgstr in MESSAGES.items():
        catalog.add(msgid, msgstr)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


class Helper:
    @staticmethod
    def _(text: str) -> str:
        return "attribute:" + text


CONTEXT = {"who": "<script>alert(1)</script>", "label": "Inbox", "helper": Helper()}


def _runtime_env(translations) -> Environment:
    env = Environment(loader=DictLoader({k + ".html": v for k, v in TEMPLATES.items()}), autoescape=True,
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(translations.ugettext, translations.ungettext, newstyle=True)
    return env


def _compiled_env(translations) -> LocalisedEnvironment:
    env = LocalisedEnvironment(Flask(__name__), loader=DictLoader({k + ".html": v for k, v in TEMPLATES.items()}),
                               autoescape=True, extensions=["jinja2.ext.i18n", LiteralTranslations])
    env.install_gettext_callables(translations.ugettext, translations.ungettext, newstyle=True)
    env.globals["_fmt"] = format_translated
    env.add_locale("zh_Hans_CN", translations)
    return env


def _render(env: Environment, name: str) -> str:
    source = env.loader.get_source(env, name + ".html")[0]
    return env.from_string(source).render(**CONTEXT)


@pytest.mark.parametrize("name", [n for n in TEMPLATES if n != "missing"])
def test_a_compiled_template_renders_as_the_runtime_translation_does(name):
    translations = _translations()
    overlay = _compiled_env(translations).jiuzhu_overlays["zh_Hans_CN"]
    assert _render(overlay, name) == _render(_runtime_env(translations), name)


def test_the_literals_are_gone_from_the_compiled_code_and_values_are_still_escaped():
    translations = _translations()
    overlay = _compiled_env(translations).jiuzhu_overlays["zh_Hans_CN"]
    code = overlay.compile(TEMPLATES["plain"], raw=True)
    assert "待办事项" in code and "_gettext_alias" not in code and "'_'" not in code
    rendered = _render(overlay, "values")
    assert "&lt;script&gt;" in rendered and "<script>" not in rendered
    assert rendered.startswith("你好，") and "<b>粗体</b>" in rendered
    assert _render(overlay, "percent") == "比例：100%"


def test_a_placeholder_without_its_value_fails_as_it_did():
    translations = _translations()
    with pytest.raises(KeyError):
        _render(_runtime_env(translations), "missing")
    with pytest.raises(KeyError):
        _render(_compiled_env(translations).jiuzhu_overlays["zh_Hans_CN"], "missing")


def test_templates_without_autoescape_keep_the_runtime_translation():
    translations = _translations()
    overlay = _compiled_env(translations).jiuzhu_overlays["zh_Hans_CN"]
    overlay.autoescape = False
    code = overlay.compile(TEMPLATES["plain"], raw=True)
    assert "待办事项" not in code and "resolve('_')" in code
    assert overlay.from_string(TEMPLATES["plain"]).render() == "待办事项|Unknown text"
