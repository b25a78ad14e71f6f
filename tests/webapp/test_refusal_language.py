"""A refused form's flash line is in the page's language (webapp.pages.invalid_message)."""
from __future__ import annotations

from engine.errors import FormInvalid
from webapp.pages import invalid_message


def _in(app, lang: str, exc: FormInvalid) -> str:
    with app.test_request_context("/"):
        from flask import session
        session["lang"] = lang
        return invalid_message(exc)


def test_chinese_first_and_english_where_the_engine_gives_it(app):
    both = FormInvalid({"a": "请填写姓名", "b": "请填写姓名"}, {"a": "Enter the name", "b": "Enter the name"})
    assert _in(app, "zh_CN", both) == "请填写姓名"
    assert _in(app, "en", both) == "Enter the name"


def test_english_says_so_when_a_message_exists_only_in_chinese(app):
    mixed = FormInvalid({"a": "请填写姓名", "c": "身份证号码校验位有误"}, {"a": "Enter the name"})
    assert _in(app, "zh_CN", mixed) == "请填写姓名；身份证号码校验位有误"
    english = _in(app, "en", mixed)
    assert english.startswith("The form was not accepted (details in Chinese): ")
    assert "Enter the name; 身份证号码校验位有误" in english and "请填写姓名" not in english

