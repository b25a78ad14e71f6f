"""Bad input of any kind gets a clear message (a 4xx, never a 500) and changes nothing.

The endpoints come from the Flask url_map and the fields from the pages themselves (every
``<form>`` a demo user of each role is shown), so a new endpoint or field is covered without
editing this module; each kind of bad input is sent to each, and the row count of every table
(and the rows a refused write could update) is compared before and after.
"""
from __future__ import annotations

import json
import tomllib
from datetime import date
from io import BytesIO
from urllib.parse import parse_qsl, urlsplit

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, insert, select

from engine.catalogue.rules import counties
from engine.installation import DEMO_DIR
from engine.catalogue.forms import DEFAULT_MAX_LENGTH
from engine.store.models import (Attachment, Base, Case, CaseEvent, CaseFlag, CountyRuleEntry, Document, HumanTask, IdReveal, Incident,
                                 ProcessVersion, SavedFilter)
from tests.conftest import WebUser
from tests.factories import FORM_DATA, sample_application, sample_scan, start
from webapp.limits import MAX_CONTENT_LENGTH, MAX_JSON_DEPTH, body_limit


@pytest.fixture
def walk(db, clock, who, unit_id):
    return start(db, clock, who, unit_id)


def snapshot(db, case_id):
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        events = s.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).scalar()
        tasks = s.execute(select(HumanTask.id, HumanTask.status).where(HumanTask.case_id == case_id)
                          .order_by(HumanTask.id)).all()
        return case.revision, case.state, events, tasks


def case_count(db) -> int:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(func.count()).select_from(Case)).scalar()


@pytest.mark.parametrize("form, field, message", [
    ({}, "acceptance_decision", "「受理结论」为必填项"),
    ({"acceptance_decision": "accepted"}, "accepted_on", "「受理日期」为必填项"),
    ({"acceptance_decision": "maybe", "accepted_on": "2026-09-15"}, "acceptance_decision", "取值不在可选范围内"),
    ({"acceptance_decision": "accepted", "accepted_on": "15/09/2026"}, "accepted_on", "格式不正确"),
    ({"acceptance_decision": "accepted", "accepted_on": "2026-09-15", "is_admin": "1"}, "_form", "不允许的字段：is_admin"),
    ({"acceptance_decision": "incomplete", "accepted_on": "2026-09-15"}, "missing_materials", "为必填项"),
])
def test_invalid_task_form_is_refused_with_chinese_field_messages(walk, login, db, form, field, message):
    before = snapshot(db, walk.case_id)
    task = walk.open_tasks()[0]
    response = login("township_xs").post_form(f"/tasks/{task.id}", form)
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.text and message in response.text
    assert snapshot(db, walk.case_id) == before


def test_mistyped_json_fields_are_refused_by_the_api(walk, login, db):
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    task = walk.open_tasks()[0]
    response = user.client.post(f"/api/v1/tasks/{task.id}/complete", headers={"X-CSRFToken": user.csrf},
                                json={"data": {"acceptance_decision": 7, "accepted_on": True, "extra": 1}})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["acceptance_decision"] == "「受理结论」应为文字"
    assert "不允许的字段" in errors["_form"]
    assert user.client.post(f"/api/v1/tasks/{task.id}/complete", headers={"X-CSRFToken": user.csrf},
                            json={"nodata": 1}).status_code == 422
    assert snapshot(db, walk.case_id) == before


def test_mistyped_number_in_application_is_refused(login, unit_id, db):
    user = login("village_sy")
    form = {"assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")),
            "applicant_name": "王小明", "applicant_id_number": "320921197001011236", "address": "双园村3组",
            "channel": "village_proxy", "near_relative": "false", "authorises_check": "true",
            "members-0-name": "王小明", "members-0-id_number": "320921197001011235",
            "members-0-relation": "self", "members-0-monthly_income": "三百"}
    response = user.post_form("/cases/new", form)
    assert response.status_code == 422
    assert "「月收入（元）」应为数字" in response.text
    assert "公民身份号码校验位不正确" in response.text
    assert case_count(db) == 0


def test_forged_request_without_csrf_token_changes_nothing(walk, login, db):
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    task = walk.open_tasks()[0]
    response = user.client.post(f"/tasks/{task.id}", data={"acceptance_decision": "accepted",
                                                           "accepted_on": "2026-09-15"})
    assert response.status_code == 400
    assert "表单已过期或来源不明" in response.text
    response = user.client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {}})
    assert response.status_code == 400
    assert snapshot(db, walk.case_id) == before


def test_expired_session_is_sent_to_login_with_a_message(app, login, walk, clock):
    user = login("township_xs")
    clock.advance(hours=9)  # past the session's lifetime
    response = user.get("/inbox")
    assert response.status_code == 302 and "/login" in response.location
    assert "登录已过期" in user.get(response.location).text or "session has expired" in user.get("/login").text


def test_wrong_password_is_refused(app):
    from tests.conftest import CSRF_RE
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": "township_xs", "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert client.get("/inbox").status_code == 302


def test_open_redirect_after_login_is_refused(app):
    from tests.factories import DEMO_PASSWORD
    from tests.conftest import CSRF_RE
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login?next=//evil.example/x", data={"username": "township_xs",
                                                                 "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and "evil" not in response.location


# --- every endpoint, every field, every kind of bad input ------------------------------------------
# One demo user per role, from the demo data: together they see every page.
USER_PER_ROLE = list({grant["role"]: user["username"] for user in reversed(
    tomllib.loads((DEMO_DIR / "users.toml").read_text(encoding="utf-8"))["user"]) for grant in user["roles"]}.values())
NOT_DATA = {"csrf_token", "next"}  # the CSRF token has its own tests; an unsafe `next` is ignored by design


def _flatten(data: dict, prefix: str = "") -> dict[str, str]:
    """Form data as the HTML form posts it (members-0-name …)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, list):
            for i, row in enumerate(value):
                out.update(_flatten(row, f"{prefix}{key}-{i}-"))
        elif isinstance(value, bool):
            out[f"{prefix}{key}"] = "true" if value else "false"
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


# Valid values by field name, so that each submission differs from a valid one in the mutated field only.
VALID = {**{k: v for step in FORM_DATA.values() for k, v in _flatten(step).items()},
         **_flatten(sample_application("王小明", "320921197001011236", [300, 0, 200])),
         "reason": "公示期间收到异议，需重新调查", "attendees": "张三、李四、王五",
         "ends_on": "2026-09-20"}  # a proxy's leave: the form starts it today (the test clock's 2026-09-15)


def bad_values(field) -> list[str]:
    """The bad values for one HTML field, by what the field is."""
    kind = field.get("type", "text")
    if field.tag == "select":
        return ["not-an-option", "9" * 30]
    if kind == "number":
        return ["NaN", "Infinity", "1e400", "9" * 30, "-1"]
    if kind == "date":
        return ["9999-12-31", "1900-01-01", "2026-02-30"]
    if kind in ("checkbox", "radio"):
        return ["maybe"]
    if kind == "hidden":
        return ["x" * 300, "-1"]
    return ["长" * (int(field.get("maxlength") or DEFAULT_MAX_LENGTH) + 1)]


def snapshot_all(db) -> dict:
    """Row counts of every table, and the columns of cases and tasks that a refused write could update."""
    with db.unit_of_work() as uow:
        s = uow.session
        # Log-ins are recorded (the throttle counts failures; the test logs each role in): not a change.
        tables = [t for t in Base.metadata.sorted_tables
                  if t.name not in ("login_throttle", "security_event", "login_session", "id_reveal")]
        # Opening a scan is audited (the crawler opens /attachments/<id> as each role): not a change.
        reveals = select(func.count()).select_from(IdReveal).where(IdReveal.kind != "attachment_viewed")
        # Every count in one statement: the crawl snapshots after each page, so round trips add up.
        row = s.execute(select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables),
                               reveals.scalar_subquery().label("id_reveal"))).one()
        counts = dict(row._mapping)
        cases = s.execute(select(Case.id, Case.revision, Case.due_on, Case.extension_reason, Case.status)
                          .order_by(Case.id)).all()
        tasks = s.execute(select(HumanTask.id, HumanTask.status, HumanTask.due_on).order_by(HumanTask.id)).all()
        incidents = s.execute(select(Incident.id, Incident.resolved_at).order_by(Incident.id)).all()
    return {"counts": counts, "cases": cases, "tasks": tasks, "incidents": incidents}


@pytest.fixture
def site(db, clock, who, unit_id, app):
    """A case at its first step, an accepted case (extendable, with a document) and an open incident;
    the URL of every rule of the url_map with its path filled from them."""
    fresh = start(db, clock, who, unit_id)
    accepted = start(db, clock, who, unit_id)
    accepted.do("acceptance")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(insert(Incident).values(case_id=None, kind="timer_failed", message="test incident",
                                          created_at=clock.now(), resolved_at=None))
        document_id = s.execute(select(Document.id).where(Document.case_id == accepted.case_id)).scalars().first()
        household_id = s.execute(select(Case.household_id).where(Case.id == accepted.case_id)).scalar_one()
        flag_id = s.execute(insert(CaseFlag).values(case_id=fresh.case_id, kind="repeat", rule="test", message="test flag",
                                                    raised_at=clock.now()).returning(CaseFlag.id)).scalar_one()
        filter_id = s.execute(insert(SavedFilter).values(owner_id=who("supervisor").user_id, county_id=unit_id("320921"),
                                                         name="test filter", query={"status": "running"}, shared=True,
                                                         created_at=clock.now()).returning(SavedFilter.id)).scalar_one()
        street = next(e for e in counties()["340603"]["rules"] if e.get("township"))   # an admin's entry, from 2030
        entry_id = s.execute(insert(CountyRuleEntry).values(
            county_code="340603", township_code="340603004", kind="rules", effective_from=date(2030, 1, 1),
            entry={k: v for k, v in street.items() if k not in ("effective_from", "township")}, note="test entry",
            created_at=clock.now()).returning(CountyRuleEntry.id)).scalar_one()
        uow.commit()
    clerk = WebUser(app.test_client(), "township_xs")  # a scan on the accepted case, served at /attachments/<id>
    assert clerk.client.post(f"/cases/{accepted.case_id}/attachments", content_type="multipart/form-data", data={
        "csrf_token": clerk.csrf, "material": "id_card", "file": (BytesIO(sample_scan("png")), "id.png")}).status_code == 303
    with db.unit_of_work() as uow:
        attachment_id = uow.session.execute(select(Attachment.id)).scalar_one()
        version_id = uow.session.execute(select(func.max(ProcessVersion.id))
                                         .where(ProcessVersion.process_id == "minimum_living_xiangshui")).scalar_one()
    registration_id, item_id, charity_referral_id = _window_registration(db, clock, who, unit_id)
    project_id, meeting_id = _joint_review(db, clock, who)
    path_values = {"project_id": project_id, "meeting_id": meeting_id, "registration_id": registration_id, "item_id": item_id, "charity_referral_id": charity_referral_id, "case_id": accepted.case_id, "task_id": fresh.open_tasks()[0].id, "document_id": document_id,
                   "kind": "monthly", "code": "en", "attachment_id": attachment_id, "household_id": household_id,
                   "flag_id": flag_id, "unit_id": unit_id("320921100"), "user_id": who("township_cjg").user_id,
                   "process_id": "minimum_living_xiangshui", "version_id": version_id, "form_key": "acceptance",
                   "filter_id": filter_id, "decision_id": "temporary_assistance_approver", "entry_id": entry_id}
    path_values["proxy_id"] = 1  # 代理: none of the caller's (refused 404)
    path_values["recipient_id"] = 1  # a benefit of another household, or none: refused 404 either way
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        missing = set(rule.arguments) - set(path_values)
        assert not missing, f"{rule.rule}: give the test a value for {missing}"
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **{a: path_values[a] for a in rule.arguments})
        rules.append((rule, url))
    return rules


def _joint_review(db, clock, who) -> tuple[int, int]:
    """A project decided at a joint review (会审), and that meeting, for the joint review's routes."""
    from engine.window.joint_review import hold_joint_review, initial_review, members_for, submit_project
    present = [m.code for m in members_for("320921")]
    with db.unit_of_work(write=True) as uow:
        project_id = submit_project(uow.session, who("liaison_hrss_xs"), clock,
                                    {"name": "就业援助", "budget": 1000, "description": "说明"})
        initial_review(uow.session, who("county_mz"), clock, project_id, "pass", "")
        meeting_id = hold_joint_review(uow.session, who("county_mz"), clock, clock.today().year, "参会人员", present,
                                       {project_id: {"opinions": dict.fromkeys(present, "agree"),
                                                     "decision": "approved"}})
        uow.commit()
    return project_id, meeting_id


def _window_registration(db, clock, who, unit_id) -> tuple[int, int, int]:
    """A window registration with one referral (to 响水县's 医保 liaison) and one 转介, for the window's routes."""
    from engine.store.models import WindowItem
    from engine.window.charities import refer_to_charity
    from engine.window.registration import Applicant, RequestedItem, register
    with db.unit_of_work(write=True) as uow:
        registration_id = register(uow.session, who("township_xs"), clock, unit_id("320921100201"),
                                   Applicant("赵大勇", "320921197001011236", "响水县响水镇双园村5组"), "因病致贫",
                                   [RequestedItem("medical_aid")])
        item_id = uow.session.execute(select(WindowItem.id).where(
            WindowItem.registration_id == registration_id)).scalar_one()
        charity_referral_id = refer_to_charity(uow.session, who("township_xs"), clock, registration_id,
                                               "charity_federation:serious_illness", "")
        uow.commit()
    return registration_id, item_id, charity_referral_id


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _send(user, method: str, url: str, **kw):
    if method == "GET":
        return user.client.get(url, **kw)
    headers = {"X-CSRFToken": user.csrf, **kw.pop("headers", {})}
    return user.client.open(url, method=method, headers=headers, **kw)


def test_every_endpoint_refuses_control_characters_in_any_field(site, login, db):
    """NUL (PostgreSQL refuses it in text) or another control character: in the query, a form field, the path."""
    user = login("township_xs")
    before = snapshot_all(db)
    for rule, url in site:
        for method in _methods(rule):
            for kw in ({"query_string": {"q": "a\x00b"}},
                       {"data": {"csrf_token": user.csrf, "reason": "理由\x00", "attendees": "x\x07"}}):
                if method == "GET" and "data" in kw:
                    continue
                response = _send(user, method, url, **kw)
                assert response.status_code == 400, (method, url, kw, response.status_code)
                assert "控制字符" in (response.json["message_zh"] if response.is_json else response.text)
    if any("<task_id>" in rule.rule for rule, _url in site):
        assert user.get("/tasks/a%00b").status_code == 400
    assert snapshot_all(db) == before


def test_every_write_refuses_an_oversized_body(site, login, db, app):
    """Over MAX_CONTENT_LENGTH, or over its own limit for a view that takes files (larger_body)."""
    user = login("township_xs")
    before = snapshot_all(db)
    larger = 0
    for rule, url in site:
        limit = body_limit(app, rule.endpoint)
        larger += limit > MAX_CONTENT_LENGTH
        for method in set(_methods(rule)) - {"GET"}:
            body = {"csrf_token": user.csrf, "reason": "x" * (limit + 1)}
            assert _send(user, method, url, data=body).status_code == 413, url
    assert larger == 2  # the upload forms of a case and of a household
    assert snapshot_all(db) == before


def test_every_api_write_refuses_hostile_json(site, login, db, app):
    """JSON 100,000 deep, NaN/Infinity literals, lone surrogates, out-of-range dates and numbers:
    generated for every field of the task's form schema, sent to every write of the API."""
    user = login("township_xs")
    writes = [(rule, url) for rule, url in site if rule.endpoint.startswith("api.") and "POST" in rule.methods]
    assert writes
    task = next(t for t in HumanTask.__table__.c if t.name == "form_key")
    with db.unit_of_work() as uow:
        s = uow.session
        form_key = s.execute(select(task).where(HumanTask.status == "open")).scalars().first()
    from engine.catalogue.forms import load_form_files
    schema = load_form_files()[form_key]
    valid = {k: v for k, v in FORM_DATA[form_key].items()}
    bodies = ['{"data": ' + "[" * 100_000 + "]" * 100_000 + "}",
              '{"data": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}",
              json.dumps({"data": valid})[:-2] + ', "x": NaN}}', json.dumps({"data": valid})[:-2] + ', "x": Infinity}}']
    for name, prop in schema["properties"].items():
        for bad in _json_bad_values(prop):
            bodies.append(json.dumps({"data": {**valid, name: bad}}, ensure_ascii=True, allow_nan=True))
    before = snapshot_all(db)
    for _rule, url in writes:
        for body in bodies:
            response = user.client.post(url, data=body, content_type="application/json",
                                        headers={"X-CSRFToken": user.csrf})
            assert 400 <= response.status_code < 500, (url, body[:120], response.status_code)
            assert response.json["message_zh"]
    assert snapshot_all(db) == before


def _json_bad_values(prop: dict) -> list:
    kind = prop.get("type")
    if prop.get("format") == "date":
        return ["9999-12-31", "1900-01-01"]
    if kind == "string":
        return ["\ud800", "x" * (prop.get("maxLength", DEFAULT_MAX_LENGTH) + 1)]
    if kind in ("number", "integer"):
        return [float("inf"), 10 ** 30]
    return [{"nested": ["\ud800"]}]


def _forms(page: str, url: str):
    tree = lxml_html.fromstring(page)
    for form in tree.xpath("//form"):
        action = form.get("action") or url
        fields = [f for f in form.xpath(".//input|.//select|.//textarea") if f.get("name")]
        yield (form.get("method") or "get").lower(), action, fields


def _baseline(fields) -> dict[str, str]:
    data = {}
    for f in fields:
        name, kind = f.get("name"), f.get("type", "text")
        if kind in ("checkbox", "radio") and f.get("checked") is None:
            data.setdefault(name, None)
            continue
        if f.tag == "select":
            chosen = f.xpath("./option[@selected]") or f.xpath("./option")
            value = chosen[0].get("value", "") if chosen else ""
        else:
            value = f.get("value") if f.tag == "input" else (f.text or "")
        data[name] = value or ""
    data = {k: VALID.get(k, v) for k, v in data.items()}
    return {k: v for k, v in data.items() if v is not None}


def _pages(site, login):
    """(username, client, rule, url, response) of every page a user of each role may open."""
    for username in USER_PER_ROLE:
        user = login(username)
        for rule, url in site:
            if "GET" in rule.methods:
                page = user.get(url)
                if page.status_code == 200:
                    yield username, user, rule, url, page


def test_every_form_field_refuses_every_kind_of_bad_value(site, login, db):
    """Every POST form shown to any role, each field given each bad value for its kind, the rest valid."""
    before = snapshot_all(db)
    seen, tried = set(), 0
    for username, user, _rule, url, page in _pages(site, login):
        forms = _forms(page.text, url) if "html" in page.content_type else ()
        for method, action, fields in forms:
            key = (method, urlsplit(action).path, tuple(sorted(f.get("name") for f in fields)))
            if method != "post" or key in seen:
                continue
            seen.add(key)
            base = _baseline(fields)
            for field in fields:
                name = field.get("name")
                if name in NOT_DATA:
                    continue
                for bad in bad_values(field):
                    response = user.post_form(action, {**base, name: bad})
                    tried += 1
                    assert 400 <= response.status_code < 500, (username, action, name, bad[:40],
                                                               response.status_code)
                    if "data-field=" in response.text:  # the form says which field is wrong
                        assert f'data-field="{name.replace("-", ".")}"' in response.text, (action, name, bad[:40])
        assert snapshot_all(db) == before, (username, url)
    assert tried > 60  # task form, application form, extension, incident retry, log-in


def test_every_list_refuses_huge_or_negative_numbers_in_its_query(site, login, db):
    """Numeric query fields found on each page (filters, paging), and `page` on every page: huge or
    negative is a 400 where the page reads it, and never a 500."""
    before = snapshot_all(db)
    checked = 0
    for username, user, rule, url, page in _pages(site, login):
        numeric = set()
        if "html" in page.content_type:
            for method, action, fields in _forms(page.text, url):
                if urlsplit(action).path != urlsplit(url).path:
                    continue   # a form that opens another page (the rules page's 新增条目 opens the edit form)
                for f in fields:
                    options = [o.get("value") for o in f.xpath("./option") if o.get("value")]
                    if method == "get" and (f.get("type") == "number" or (options and all(o.isdigit() for o in options))):
                        numeric.add(f.get("name"))
            tree = lxml_html.fromstring(page.text)
            for href in tree.xpath("//a/@href"):
                parts = urlsplit(href)
                if parts.path in ("", urlsplit(url).path):
                    numeric |= {k for k, v in parse_qsl(parts.query) if v.isdigit()}
        for name in numeric | {"page"}:
            for bad in ("9" * 30, "-1"):
                response = user.get(url, query_string={name: bad})
                assert response.status_code < 500, (url, name, bad)
                if name in numeric or rule.endpoint in ("inbox.inbox", "supervision.supervisor", "api.tasks"):
                    assert response.status_code == 400, (username, url, name, bad, response.status_code)
                    checked += 1
    assert checked >= 8
    assert snapshot_all(db) == before


def test_huge_ids_in_urls_are_not_found(site, login):
    user = login("township_xs")
    huge = "9" * 30
    for rule, url in site:
        if "<int:" not in rule.rule:
            continue
        with_huge = "/".join(huge if part.isdigit() else part for part in url.split("/"))
        for method in _methods(rule):
            assert _send(user, method, with_huge).status_code == 404, with_huge


# --- the examples of the issue, named --------------------------------------------------------------
def test_implausible_decision_dates_are_refused(walk, login, db):
    before = snapshot(db, walk.case_id)
    task = walk.open_tasks()[0]
    user = login("township_xs")
    for day in ("9999-12-31", "1900-01-01", "2028-01-01"):
        response = user.post_form(f"/tasks/{task.id}", {"acceptance_decision": "accepted", "accepted_on": day})
        assert response.status_code == 422
        assert "「受理日期」应在今天前后一年以内" in response.text
    assert snapshot(db, walk.case_id) == before


def test_nan_income_and_a_future_birth_date_are_refused(login, unit_id, db):
    from engine.catalogue.forms import with_check_digit
    user = login("village_sy")
    form = {"assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")),
            **_flatten(sample_application("王小明", "320921197001011236", [300, 0]))}
    for income in ("NaN", "nan", "Infinity", "1e400"):
        response = user.post_form("/cases/new", {**form, "members-1-monthly_income": income})
        assert response.status_code == 422 and "「月收入（元）」应为数字" in response.text
    unborn = with_check_digit("32092120990101123")
    response = user.post_form("/cases/new", {**form, "members-1-id_number": unborn})
    assert response.status_code == 422 and "出生日期不合理" in response.text
    assert case_count(db) == 0


def test_lone_surrogate_and_nul_in_json_text_are_refused(walk, login, db):
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    task = walk.open_tasks()[0]
    for text in (r"\ud800", r"a\u0000b"):  # JSON escapes: a lone surrogate, a NUL
        body = '{"data": {"acceptance_decision": "incomplete", "accepted_on": "2026-09-15", "missing_materials": "' \
               + text + '"}}'
        response = user.client.post(f"/api/v1/tasks/{task.id}/complete", data=body, content_type="application/json",
                                    headers={"X-CSRFToken": user.csrf})
        assert response.status_code == 422
        assert "含有不允许的控制字符或无效字符" in response.json["errors"]["missing_materials"]
    assert snapshot(db, walk.case_id) == before


def test_extensions_out_of_range_or_with_a_reason_longer_than_its_column_are_refused(walk, login, db):
    walk.do("acceptance")
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    for days, reason, message in (("-5", "公示期间收到异议", "1 至 45 之间的整数"),
                                  ("999999999999", "公示期间收到异议", "1 至 45 之间的整数"),
                                  ("5", "长" * 501, "不能超过 500 个字")):
        response = user.post_form(f"/cases/{walk.case_id}/extend", {"extra_workdays": days, "reason": reason})
        assert response.status_code == 422 and message in response.text
    assert snapshot(db, walk.case_id) == before


def test_a_double_click_lodges_one_case(login, unit_id, db):
    user = login("village_sy")
    page = user.get("/cases/new?assistance_type=minimum_living").text
    token = lxml_html.fromstring(page).xpath('//input[@name="request_token"]/@value')[0]
    form = {"assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")), "request_token": token,
            **_flatten(sample_application("王小明", "320921197001011236", [300, 0]))}
    first, second = user.post_form("/cases/new", form), user.post_form("/cases/new", form)
    assert first.status_code == 302 and second.status_code == 303
    assert first.location == second.location
    assert case_count(db) == 1
    # Another form (a new token) is another application.
    other = lxml_html.fromstring(user.get("/cases/new").text).xpath('//input[@name="request_token"]/@value')[0]
    assert other != token
