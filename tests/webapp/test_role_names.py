"""Role names in the page's language: the Chinese UI shows the engine's ROLE_NAMES_ZH, the English UI English msgids
whose Chinese is exactly that text; and the designer's simulation reports its steps, roles, documents and where the
walk stopped in the page's language (in English, no Chinese besides the places' and people's names, which are data)."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import force_locale

from engine.installation import demo_walk
from engine.people.accounts import ROLE_NAMES_ZH

ROUTE = "minimum_living_xiangshui"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_role_has_an_english_name_whose_chinese_is_the_engines(app):
    from webapp.pages import ROLE_NAMES_EN
    assert set(ROLE_NAMES_EN) == set(ROLE_NAMES_ZH)
    with app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert {k: str(v) for k, v in ROLE_NAMES_EN.items()} == ROLE_NAMES_ZH
        with force_locale("en"):
            assert [str(v) for v in ROLE_NAMES_EN.values() if CJK.search(str(v))] == []


def walk(user) -> dict:
    """The simulation of the demo's application, its first step (受理审查) done."""
    first = demo_walk(ROUTE, date.today())
    body = {"village": "320921100201", "start": first["application"], "steps": []}
    url = f"/designer/processes/{ROUTE}/simulate"
    opened = user.client.post(url, json=body, headers={"X-CSRFToken": user.csrf}).json
    body["steps"] = [{"task": opened["open"][0]["task"], "data": opened["open"][0]["sample"]}]
    report = user.client.post(url, json=body, headers={"X-CSRFToken": user.csrf})
    assert report.status_code == 200, report.json
    return report.json


def test_the_simulation_speaks_the_pages_language(login):
    designer = login("designer")
    chinese = walk(designer)
    [accepted] = chinese["taken"]
    assert accepted["title"] == "受理审查" and accepted["role_name"] == "乡镇（街道）"
    assert chinese["status_name"] == "办理中" and CJK.search(accepted["documents"][0]["title"])

    assert designer.post_form("/lang/en", {"next": "/"}).status_code in (302, 303)
    english = walk(designer)
    [accepted] = english["taken"]
    assert accepted["task"] == "acceptance" and accepted["role_name"] == "Township / street"
    assert english["status_name"] == "In progress"
    shown = [english["status_name"]] + [s[k] for s in english["taken"] + english["open"] for k in ("title", "role_name")]
    shown += [d["title"] for d in english["documents"]]
    assert [text for text in shown if CJK.search(text)] == []
    assert accepted["unit"] == "响水镇"  # a place's name is data, the same in both languages
