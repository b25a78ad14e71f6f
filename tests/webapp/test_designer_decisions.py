"""The workbench's decision tables: a page per table with dmn-js, an edited table kept in the route's draft
after deploy's own DMN validation, deployed with the route (the version hash and the version keep it);
a hostile table (a cell that calls os.system, a DOCTYPE with entities) refused with a message, nothing
stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.catalogue.deployment import PROCESSES_DIR
from engine.catalogue.executable import content_hash
from engine.store.models import ProcessDraft, ProcessVersion

ROUTE = "temporary_assistance_xiangshui"
BASE = f"/designer/processes/{ROUTE}"
TABLE = "temporary_assistance_approver"
PAGE = f"{BASE}/decisions/{TABLE}"
DMN = (PROCESSES_DIR / "decisions" / f"{TABLE}.dmn").read_text(encoding="utf-8")
CELL = '<outputEntry id="Rule_xiangshui_approver"><text>"township"</text></outputEntry>'


def with_cell(text: str) -> str:
    """The table with another output in its first rule (a change of executable content)."""
    assert CELL in DMN
    return DMN.replace(CELL, f'<outputEntry id="Rule_xiangshui_approver"><text>{text}</text></outputEntry>', 1)


@pytest.fixture
def designer(login, forget_new_versions):
    """The demo designer, logged in; versions deployed by the test are removed afterwards."""
    return login("designer")


def post(user, url, body):
    return user.client.post(url, json=body, headers={"X-CSRFToken": user.csrf})


def drafts(db) -> list:
    with db.unit_of_work() as uow:
        return list(uow.session.execute(select(ProcessDraft.process_id, ProcessDraft.decisions)).all())


def test_the_table_page_opens_dmn_js_on_the_deployed_table(designer):
    page = designer.get(PAGE)
    assert page.status_code == 200 and "vendor/designer/decision.js" in page.text
    assert "dmn-js-decision-table.css" in page.text and 'name="csrf-token"' in page.text
    source = designer.get(f"{PAGE}/source").json
    assert source["origin"] == "version" and source["dmn"] == DMN  # as `jiuzhu deploy` deployed it and source["used_by_route"] is True
    assert source["path"] == f"decisions/{TABLE}.dmn"
    modeler = designer.get(BASE).text
    assert PAGE in modeler and "__id__" in modeler   # the route's tables, and the panel's link to them


def test_an_edited_table_is_kept_in_the_draft_and_deployed_with_the_route(designer, db):
    edited = with_cell('"county"')
    saved = post(designer, PAGE, {"dmn": edited})
    assert saved.status_code == 200 and saved.json["ok"] is True, saved.json
    assert designer.get(f"{PAGE}/source").json["origin"] == "draft"
    [(route, tables)] = drafts(db)
    assert route == ROUTE and tables == {TABLE: edited}
    bpmn = designer.get(f"{BASE}/source").json["source"]["bpmn"]
    assert post(designer, f"{BASE}/validate", {"bpmn": bpmn}).json["ok"] is True
    deployed = post(designer, f"{BASE}/deploy", {"bpmn": bpmn, "note": "小额临时救助改由县级审批"})
    assert deployed.status_code == 200 and deployed.json["created"] is True, deployed.json
    with db.unit_of_work() as uow:
        s = uow.session
        newest, previous = s.execute(select(ProcessVersion).where(ProcessVersion.process_id == ROUTE)
                                     .order_by(ProcessVersion.id.desc()).limit(2)).scalars().all()
        # The BPMN is the same: the new version is the table's change, and the version keeps the table.
        assert newest.bpmn_xml == previous.bpmn_xml and newest.content_hash != previous.content_hash
        assert newest.decisions == {TABLE: edited}
        # The hash `jiuzhu deploy` computes for the same files: the same version either way.
        assert newest.content_hash == content_hash(newest.bpmn_xml.encode(), newest.forms, [edited.encode()])
        assert s.execute(select(func.count()).select_from(ProcessDraft)).scalar() == 0
    again = designer.get(f"{PAGE}/source").json
    assert again["origin"] == "version" and again["dmn"] == edited


HOSTILE = {
    "os.system in a cell": (with_cell("__import__('os').system('touch /tmp/jiuzhu-pwned')"), "决策表"),
    "a dunder attribute": (with_cell('"".__class__.__mro__'), "决策表"),
    "XXE": ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + DMN.split("?>", 1)[1].replace('"township"', "&x;", 1), "DOCTYPE"),
    "another decision id": (DMN.replace(f'decision id="{TABLE}"', 'decision id="other_table"'), "标识必须保持"),
    "not DMN": ("<definitions/>", "DMN 1.3"),
    "not XML": ("<definitions", "XML 格式错误"),
    "empty": ("", "未提交"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_table_is_refused_with_a_message_and_nothing_is_stored(designer, db, case):
    text, expected = HOSTILE[case]
    response = post(designer, PAGE, {"dmn": text})
    assert response.status_code == 422, response.json
    body = response.json
    assert body["ok"] is False and expected in (body["message_zh"] + " ".join(p["message_zh"] for p in body["problems"]))
    assert drafts(db) == []


@pytest.mark.parametrize("username", ["admin", "township_xs", "supervisor"])
def test_only_designers_open_or_save_a_table(login, username, db):
    user = login(username)
    assert user.get(PAGE).status_code == 403 and user.get(f"{PAGE}/source").status_code == 403
    assert post(user, PAGE, {"dmn": DMN}).status_code == 403
    assert drafts(db) == []


def test_saving_a_table_needs_the_csrf_token_and_a_known_table(designer, db):
    assert designer.client.post(PAGE, json={"dmn": DMN}).status_code == 400
    assert designer.get(f"{BASE}/decisions/no_such_table").status_code == 404
    assert post(designer, f"{BASE}/decisions/no_such_table", {"dmn": DMN}).status_code == 404
    assert designer.get(f"/designer/processes/no_such_route/decisions/{TABLE}").status_code == 404
    assert drafts(db) == []
