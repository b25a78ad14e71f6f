"""The app renders each page from the compiled copy of its locale (webapp.template_i18n)."""
from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

from tests.conftest import CSRF_RE
from webapp.template_i18n import LocalisedEnvironment


def test_the_app_picks_the_copy_of_the_current_locale_and_force_locale_switches_it(app):
    env = app.jinja_env
    assert isinstance(env, LocalisedEnvironment) and set(env.jiuzhu_overlays) == {"zh_Hans_CN", "en"}
    with app.test_request_context("/"):
        assert env.get_template("base.html").environment is env.jiuzhu_overlays["zh_Hans_CN"]
        with force_locale("en"):
            assert env.get_template("base.html").environment is env.jiuzhu_overlays["en"]
            assert render_template_string('{{ _("Log in") }}') == "Log in"
        assert env.get_template("base.html").environment is env.jiuzhu_overlays["zh_Hans_CN"]
        assert render_template_string('{{ _("Log in") }}') == "登录"
    with app.app_context():  # outside a request: the plain environment, translated at run time
        assert env.get_template("base.html").environment is env


def test_a_page_is_chinese_first_and_english_after_the_switch(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "<title>" in page and "登录" in page
    token = CSRF_RE.search(page).group(1)
    assert client.post("/lang/en", data={"csrf_token": token, "next": "/login"}).status_code == 302
    english = client.get("/login").get_data(as_text=True)
    assert "Log in" in english and "登录" not in english.replace('lang="zh', "")
