"""The household member list of the application form: as many rows as the household needs, added and
removed in the page or, without JavaScript, by buttons that post the form and get it back with a row
more or less — nothing validated or lodged until the form itself is sent."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html
from sqlalchemy import select

from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from engine.store.models import Case
from tests.factories import sample_application, start
from tests.webapp.test_bad_input import _flatten, snapshot

APPLICANT_ID = "320921197001011236"


@pytest.fixture
def clerk(login):
    return login("village_sy")


def application_form(unit_id, size: int) -> dict[str, str]:
    """The new-case form as the page posts it, for a 双园村 household of ``size``."""
    data = sample_application("王小明", APPLICANT_ID, [300] + [100] * (size - 1))
    return {"assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")), **_flatten(data)}


def cases(db) -> list[Case]:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Case)).scalars().all()


def rows(page: str, name: str = "members") -> list[dict[str, str]]:
    """The values of each row of a list's table, in order, keyed by field."""
    tree = lxml_html.fromstring(page)
    out = []
    for tr in tree.xpath(f'//fieldset[@data-rows="{name}"]//tbody/tr'):
        row = {}
        for field in tr.xpath(".//input[@name]|.//select[@name]"):
            _list, index, key = field.get("name").split("-", 2)
            assert int(index) == len(out), "rows are numbered 0, 1, 2 … in order"
            chosen = field.xpath("./option[@selected]/@value")
            row[key] = (chosen[0] if chosen else "") if field.tag == "select" else field.get("value", "")
        out.append(row)
    return out


def test_a_household_of_seven_is_lodged(clerk, unit_id, db):
    form = application_form(unit_id, 7)
    form["members-6-disability_level"] = "1"
    response = clerk.post_form("/cases/new", form)
    assert response.status_code == 302, response.text
    [case] = cases(db)
    with db.unit_of_work() as uow:
        s = uow.session
        data = Workflow.restore(get_version(s, case.process_version_id).spec, s.get(Case, case.id).state).data
    assert len(data["members"]) == 7 and data["household_size"] == 7
    assert data["members"][6] == {"name": "王家成员6", "id_number": data["members"][6]["id_number"],
                                  "relation": "child", "monthly_income": 100, "disability_level": "1",
                                  "authorisation": "self"}


def test_the_page_starts_with_x_rows_and_says_how_many_rows_a_household_may_have(clerk):
    page = clerk.get("/cases/new?assistance_type=minimum_living").text
    assert len(rows(page)) == 6
    tree = lxml_html.fromstring(page)
    assert tree.xpath('//fieldset[@data-rows="members"]/@data-most') == ["30"]
    assert tree.xpath('//button[@name="_rows"][@value="add:members"]/text()') == ["增加一行"]
    assert tree.xpath('//button[@name="_rows"][@value="remove:members:5"]/text()') == ["删除"]
    assert tree.xpath('//script/@src') == ["/static/form-rows.js"]
    # Enter in a text field submits with the form's first submit button: the one that lodges.
    first = tree.xpath("//form[contains(@class, 'task-form')]//button[@type='submit']")[0]
    assert first.get("name") is None and "implicit-submit" in first.get("class")
    assert "序号" in page and "残疾等级" in page and "二级" in page


def test_without_javascript_add_gives_one_row_more_with_the_values_kept_and_lodges_nothing(clerk, unit_id, db):
    page = clerk.get("/cases/new?assistance_type=minimum_living").text
    token = lxml_html.fromstring(page).xpath('//input[@name="request_token"]/@value')[0]
    form = {**application_form(unit_id, 6), "request_token": token}
    form["applicant_name"] = ""  # a form that could not be lodged is not checked either
    response = clerk.post_form("/cases/new", {**form, "_rows": "add:members"})
    assert response.status_code == 200
    shown = rows(response.text)
    assert len(shown) == 7 and shown[6] == {"name": "", "id_number": "", "relation": "", "monthly_income": "",
                                            "disability_level": "", "authorisation": ""}
    assert shown[1] == {"name": "王家成员1", "id_number": form["members-1-id_number"], "relation": "spouse",
                        "monthly_income": "100", "disability_level": "", "authorisation": "self"}
    assert 'class="field-error"' not in response.text and cases(db) == []
    tree = lxml_html.fromstring(response.text)
    assert tree.xpath('//input[@name="address"]/@value') == [form["address"]]
    assert tree.xpath('//input[@name="request_token"]/@value') == [token]  # still one case for this form


def test_without_javascript_remove_gives_one_row_less_the_later_rows_moving_up(clerk, unit_id, db):
    form = application_form(unit_id, 4)
    response = clerk.post_form("/cases/new", {**form, "_rows": "remove:members:1"})
    assert response.status_code == 200
    shown = rows(response.text)
    assert [r["name"] for r in shown] == ["王小明", "王家成员2", "王家成员3"]
    assert shown[1]["id_number"] == form["members-2-id_number"] and shown[1]["relation"] == "child"
    assert cases(db) == []
    # The form posted again as it came back lodges the household of three.
    again = {k: v for k, v in form.items() if not k.startswith("members-")}
    again.update({f"members-{i}-{k}": v for i, row in enumerate(shown) for k, v in row.items()})
    assert clerk.post_form("/cases/new", again).status_code == 302
    assert len(cases(db)) == 1


def test_a_forged_add_beyond_the_largest_household_is_a_clear_message(clerk, unit_id, db):
    form = application_form(unit_id, 30)
    response = clerk.post_form("/cases/new", {**form, "_rows": "add:members"})
    assert response.status_code == 422
    assert "「共同生活家庭成员（含申请人）」最多 30 项" in response.text
    assert len(rows(response.text)) == 30
    for forged in ("remove:members:30", "add:nothing", "explode", "remove:members:-1"):
        response = clerk.post_form("/cases/new", {**form, "_rows": forged})
        assert response.status_code == 422 and "表单已损坏" in response.text
    assert cases(db) == []
    # The thirty themselves are a household the form lodges.
    assert clerk.post_form("/cases/new", form).status_code == 302


def test_the_row_buttons_work_on_a_task_form_and_complete_nothing(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    walk.drive_to("home_investigation")
    task = next(t for t in walk.open_tasks() if t.task_name == "home_investigation")
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    assert len(rows(user.get(f"/tasks/{task.id}").text, "investigators")) == 3
    form = {"investigators-0-name": "张干事", "investigators-1-name": "李干事", "investigators-2-name": "赵干事"}
    response = user.post_form(f"/tasks/{task.id}", {**form, "_rows": "add:investigators"})
    assert response.status_code == 200
    assert [r["name"] for r in rows(response.text, "investigators")] == ["张干事", "李干事", "赵干事", ""]
    response = user.post_form(f"/tasks/{task.id}", {**form, "investigators-3-name": "钱干事",
                                                      "_rows": "add:investigators"})
    assert response.status_code == 422 and "最多 4 项" in response.text
    assert snapshot(db, walk.case_id) == before  # the task still open, no event, the case unchanged


def test_english_labels_of_the_row_buttons(clerk):
    clerk.post_form("/lang/en", {"next": "/cases/new"})
    page = clerk.get("/cases/new?assistance_type=minimum_living").text
    tree = lxml_html.fromstring(page)
    assert tree.xpath('//button[@value="add:members"]/text()') == ["Add a row"]
    assert tree.xpath('//button[@value="remove:members:0"]/text()') == ["Remove"]
    assert "At most 30 rows." in page and "Disability level" in page and "Grade 2" in page
