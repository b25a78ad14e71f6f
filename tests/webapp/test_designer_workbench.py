"""The designer's workbench: the modeler's pages and JSON views, drafts, the server's validation (the checks
of `jiuzhu deploy`), deploy with a change note, history and download; designers only, CSRF on every POST,
hostile BPMN refused with a message and nothing stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.catalogue.deployment import PROCESSES_DIR
from engine.store.models import ProcessDraft, ProcessVersion

ROUTE = "minimum_living_xiangshui"
BASE = f"/designer/processes/{ROUTE}"
XML = (PROCESSES_DIR / "minimum_living" / "xiangshui.bpmn").read_text(encoding="utf-8")
DEADLINE = '<camunda:property name="deadline" value="5wd" />'  # the first is the acceptance step's


def with_deadline(value: str) -> str:
    """The route with another deadline on its acceptance step (a change of executable content)."""
    return XML.replace(DEADLINE, f'<camunda:property name="deadline" value="{value}" />', 1)


@pytest.fixture
def designer(login, forget_new_versions):
    """The demo designer, logged in; versions deployed by the test are removed afterwards."""
    return login("designer")


def post(user, url, body, **headers):
    return user.client.post(url, json=body, headers={"X-CSRFToken": user.csrf, **headers})


def counts(db) -> tuple[int, int]:
    with db.unit_of_work() as uow:
        s = uow.session
        return (s.execute(select(func.count()).select_from(ProcessVersion)).scalar(),
                s.execute(select(func.count()).select_from(ProcessDraft)).scalar())


def test_the_modeler_page_loads_the_route_and_the_choices_of_the_installation(designer):
    page = designer.get(BASE)
    assert page.status_code == 200
    assert "vendor/designer/modeler.js" in page.text and 'name="csrf-token"' in page.text
    data = designer.get(f"{BASE}/source").json
    assert data["source"]["bpmn"] == XML and data["source"]["draft"] is None
    choices = data["choices"]
    assert {"key": "acceptance", "title": "受理审查"} in choices["forms"]
    assert any(r["code"] == "village" and "村（居）委会" in r["names"] and r["name"] for r in choices["roles"])
    assert "deadline" in choices["properties"]["task"] and "dueDate" in choices["unhonoured_camunda"]
    assert any(d["kind"] == "acceptance_notice" for d in choices["documents"])
    assert {d["id"] for d in choices["decisions"]} >= {"temporary_assistance_approver"}


@pytest.mark.parametrize("username", ["admin", "township_xs", "supervisor", "village_sy"])
def test_only_designers_open_the_workbench(login, username, db):
    user = login(username)
    before = counts(db)
    for url in (BASE, f"{BASE}/source", f"{BASE}/history", f"{BASE}/diff", f"{BASE}/versions/1/bpmn"):
        assert user.get(url).status_code == 403, url
    for url in (f"{BASE}/draft", f"{BASE}/validate", f"{BASE}/deploy", f"{BASE}/draft/discard"):
        assert post(user, url, {"bpmn": XML, "note": "x"}).status_code == 403, url
    assert counts(db) == before


def test_every_post_needs_the_csrf_token(designer, db):
    before = counts(db)
    for url in (f"{BASE}/draft", f"{BASE}/validate", f"{BASE}/deploy", f"{BASE}/draft/discard"):
        assert designer.client.post(url, json={"bpmn": XML, "note": "x"}).status_code == 400, url
    assert counts(db) == before


def test_validate_names_the_element_of_each_problem_and_keeps_the_draft(designer, db):
    broken = XML.replace('camunda:formKey="supplement"', 'camunda:formKey="neighbour_visit"')
    response = post(designer, f"{BASE}/validate", {"bpmn": broken})
    assert response.status_code == 200 and response.json["ok"] is False
    [problem] = response.json["problems"]
    assert problem["element_id"] == "supplement" and "表单「neighbour_visit」在 forms/ 目录中不存在" in problem["message"]
    source = designer.get(f"{BASE}/source").json["source"]
    assert source["bpmn"] == broken and source["draft"]["outdated"] is False
    fixed = post(designer, f"{BASE}/validate", {"bpmn": XML})
    assert fixed.json == {"ok": True, "problems": [], "message": "校验通过，可以部署"}
    assert post(designer, f"{BASE}/draft/discard", {}).json["discarded"] is True
    assert designer.get(f"{BASE}/source").json["source"]["draft"] is None


def test_a_refused_deploy_stores_nothing(designer, db):
    before = counts(db)
    changed = with_deadline("6wd")
    no_note = post(designer, f"{BASE}/deploy", {"bpmn": changed, "note": "  "})
    assert no_note.status_code == 422 and "请填写变更说明" in no_note.json["problems"][0]["message"]
    bad = post(designer, f"{BASE}/deploy", {"bpmn": with_deadline("3 weeks"), "note": "试一试"})
    assert bad.status_code == 422 and bad.json["problems"][0]["element_id"] == "acceptance"
    assert "期限「3 weeks」格式应为" in bad.json["problems"][0]["message"]
    assert counts(db) == before


def test_deploy_with_a_note_makes_a_version_the_history_lists_and_downloads(designer, db):
    same = post(designer, f"{BASE}/deploy", {"bpmn": XML, "note": "无改动"})
    assert same.status_code == 200 and same.json["created"] is False and "未产生新版本" in same.json["message"]
    changed = with_deadline("6wd")
    response = post(designer, f"{BASE}/deploy", {"bpmn": changed, "note": "受理期限按新规定延长为 6 个工作日"})
    assert response.status_code == 200 and response.json["created"] is True
    version_id = response.json["version_id"]
    with db.unit_of_work() as uow:
        row = uow.session.get(ProcessVersion, version_id)
        assert (row.process_id, row.note, row.bpmn_xml) == (ROUTE, "受理期限按新规定延长为 6 个工作日", changed)
        assert row.deployed_by_id is not None and row.source_path == "minimum_living/xiangshui.bpmn"
    again = post(designer, f"{BASE}/deploy", {"bpmn": changed, "note": "再部署一次"})
    assert again.json["created"] is False and again.json["version_id"] == version_id
    history = designer.get(f"{BASE}/history").text
    assert "受理期限按新规定延长为 6 个工作日" in history and "流程设计 陈工" in history
    assert history.index(f'data-version="{version_id}"') < history.index("jiuzhu deploy")
    download = designer.get(f"{BASE}/versions/{version_id}/bpmn")
    assert download.status_code == 200 and download.text == changed
    assert "attachment" in download.headers["Content-Disposition"]
    assert designer.get(f"/designer/processes/extreme_poverty_xiangshui/versions/{version_id}/bpmn").status_code == 404
    diff = designer.get(f"{BASE}/diff")
    assert diff.status_code == 200 and "vendor/designer/diff.js" in diff.text
    assert f"/versions/{version_id}/bpmn" in diff.text


XXE = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
          '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</bpmn:definitions>')
# On the path to the 补正 step (an element on no path is not in the parsed spec, so it could never run).
SCRIPT = XML.replace('<bpmn:userTask id="supplement"',
                     '<bpmn:scriptTask id="evil" scriptFormat="python"><bpmn:script>import os\nos.system("id")'
                     '</bpmn:script></bpmn:scriptTask>\n    <bpmn:sequenceFlow id="f_evil" sourceRef="evil" '
                     'targetRef="supplement" />\n    <bpmn:userTask id="supplement"').replace(
    'sourceRef="gw_acceptance" targetRef="supplement"', 'sourceRef="gw_acceptance" targetRef="evil"')


@pytest.mark.parametrize("bpmn, message", [
    (XXE, "不允许 DOCTYPE"), (LAUGHS, "不允许 DOCTYPE"), ("这不是 XML", "XML 格式错误"),
    ('{"bpmn": 1}', "XML 格式错误"), ("<svg xmlns='http://www.w3.org/2000/svg'/>", "不是 BPMN 2.0 文件"),
    (XML + "<!--" + "x" * 1_100_000 + "-->", "BPMN 文件过大"), (None, "未提交 BPMN 内容"), (12, "未提交 BPMN 内容"),
    (XML.replace("受理审查", "受理\x00审查", 1), "控制字符"), (XML.replace("受理审查", "受理\ud800审查", 1), "无效字符"),
])
def test_hostile_bpmn_is_refused_everywhere_with_a_message(designer, db, bpmn, message):
    before = counts(db)
    for url in (f"{BASE}/draft", f"{BASE}/validate", f"{BASE}/deploy"):
        response = post(designer, url, {"bpmn": bpmn, "note": "恶意文件"})
        assert response.status_code == 422, url
        assert message in response.json["problems"][0]["message"], (url, response.json)
    assert counts(db) == before


def test_a_script_task_reaching_the_system_is_refused_at_validate_and_deploy(designer, db):
    before = counts(db)
    response = post(designer, f"{BASE}/deploy", {"bpmn": SCRIPT, "note": "恶意脚本"})
    assert response.status_code == 422
    assert any(p["element_id"] == "evil" and "表达式不安全" in p["message"] for p in response.json["problems"])
    assert counts(db) == before
    assert post(designer, f"{BASE}/validate", {"bpmn": SCRIPT}).json["ok"] is False


def test_bad_requests_get_a_4xx(designer, db):
    before = counts(db)
    assert designer.client.post(f"{BASE}/validate", data="bpmn=1", headers={"X-CSRFToken": designer.csrf},
                                content_type="application/x-www-form-urlencoded").status_code == 415
    assert post(designer, f"{BASE}/validate", ["not", "an", "object"]).status_code == 400
    assert designer.client.post(f"{BASE}/deploy", data="x" * 3_000_000, content_type="application/json",
                                headers={"X-CSRFToken": designer.csrf}).status_code == 413
    assert post(designer, "/designer/processes/no_such_route/validate", {"bpmn": XML}).status_code == 404
    assert designer.get("/designer/processes/no_such_route").status_code == 404
    assert designer.get(f"{BASE}/diff?from=abc").status_code == 400
    assert designer.get(f"{BASE}/diff?from=999999").status_code == 404
    other = XML.replace('id="minimum_living_xiangshui"', 'id="minimum_living_siping"')
    wrong = post(designer, f"{BASE}/deploy", {"bpmn": other, "note": "换个流程"})
    assert wrong.status_code == 422 and "草稿只能定义流程" in wrong.json["problems"][-1]["message"]
    assert counts(db) == before


def test_a_change_note_is_text_both_stores_keep(designer, db):
    before = counts(db)
    for note in ("原因\ud800", "原因\x07", "长" * 2001):
        response = post(designer, f"{BASE}/deploy", {"bpmn": with_deadline("6wd"), "note": note})
        assert response.status_code == 422 and "变更说明" in response.json["problems"][0]["message"]
    assert post(designer, f"{BASE}/draft", {"bpmn": XML, "forms": {"../evil": {}}}).status_code == 422
    assert counts(db) == before


NEW_FORM = {"title": "邻里访问", "type": "object", "additionalProperties": False, "required": ["notes"],
            "properties": {"notes": {"type": "string", "title": "情况记录", "maxLength": 1000, "x-widget": "textarea"}}}


def test_a_new_form_is_previewed_and_deployed_with_the_draft(designer, db):
    assert designer.get("/designer/forms/acceptance").json["schema"]["title"] == "受理审查"
    assert designer.get("/designer/forms/no_such_form").status_code == 404
    preview = post(designer, "/designer/forms/preview", {"form_key": "neighbour_visit", "schema": NEW_FORM})
    assert preview.json["ok"] is True and "情况记录" in preview.json["html"] and 'name="notes"' in preview.json["html"]
    bad = post(designer, "/designer/forms/preview", {"form_key": "neighbour_visit",
                                                      "schema": {**NEW_FORM, "properties": {"x": {"type": "strin"}}}})
    assert bad.json["ok"] is False and bad.json["problems"]
    assert post(designer, "/designer/forms/preview", {"form_key": "../x", "schema": NEW_FORM}).status_code == 422
    with_form = XML.replace('camunda:formKey="supplement"', 'camunda:formKey="neighbour_visit"')
    assert "表单「neighbour_visit」在 forms/ 目录中不存在" in post(
        designer, f"{BASE}/validate", {"bpmn": with_form}).json["problems"][0]["message"]
    assert post(designer, f"{BASE}/validate", {"bpmn": with_form, "forms": {"neighbour_visit": NEW_FORM}}).json["ok"]
    assert designer.get(f"{BASE}/source").json["source"]["forms"] == {"neighbour_visit": NEW_FORM}
    response = post(designer, f"{BASE}/deploy", {"bpmn": with_form, "note": "补正改用新表单",
                                                  "forms": {"neighbour_visit": NEW_FORM}})
    assert response.json["created"] is True
    with db.unit_of_work() as uow:
        version = uow.session.get(ProcessVersion, response.json["version_id"])
        assert version.forms["neighbour_visit"] == NEW_FORM and version.tasks["supplement"]["form_key"] == "neighbour_visit"
    assert not (PROCESSES_DIR.parent / "forms" / "neighbour_visit.json").exists()  # forms/ is never written
