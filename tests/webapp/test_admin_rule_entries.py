"""County rules changed in the browser (role admin): a dated entry for a county or a township, with the source of
each changed value, checked by the file's own checks and against the time budget of every deployed route;
effective for cases lodged from its date while running cases keep their rules; audited before and after;
retired from a date, never deleted; refused with a Chinese message naming the field and nothing written."""
from __future__ import annotations

import json

import pytest
from lxml import html
from sqlalchemy import func, select

from engine.catalogue.rules import process_for, rules_in_force
from engine.store.models import Case, CountyRuleEntry, Document, SecurityEvent, Unit
from tests.factories import SANTIDIKOU, SHUANGYUAN, start
from tests.webapp.test_admin_places import fresh_codes  # noqa: F401  (a fixture)

STREET = "340603004"      # 三堤口街道: publicity is outside its time limit, so its length may change
XIANGSHUI_TOWN = "320921100"
TODAY = "2026-09-15"      # the test clock's day


def form_of(page_text: str) -> dict[str, str]:
    """The edit form's fields as the browser would post them (prefilled values, selected options)."""
    form = html.fromstring(page_text).xpath("//form[contains(@class, 'rule-edit')]")[0]
    fields = {}
    for element in form.xpath(".//input[@name] | .//textarea[@name]"):
        fields[element.get("name")] = element.get("value") if element.tag == "input" else (element.text or "")
    for select_ in form.xpath(".//select[@name]"):
        chosen = select_.xpath("./option[@selected]/@value")
        fields[select_.get("name")] = chosen[0] if chosen else ""
    return fields


def edit(admin, county: str, township: str = "", kind: str = "rules", on: str = TODAY, **changes) -> tuple:
    """Open the form for a place, change some values (``source.<name>`` etc. too) and post it."""
    page = admin.get(f"/admin/rules/edit?county={county}&township={township}&kind={kind}&from={on}")
    assert page.status_code == 200, page.text
    fields = {**form_of(page.text), "effective_from": on, "note": "测试：调整公示期"}
    fields.update({k.replace("__", "."): v for k, v in changes.items()})
    fields.pop("csrf_token", None)
    return admin.post_form("/admin/rules/edit", fields), fields


def entries(db) -> list[CountyRuleEntry]:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(CountyRuleEntry).order_by(CountyRuleEntry.id)).scalars().all()


def events(db, kind: str) -> list[SecurityEvent]:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(SecurityEvent).where(SecurityEvent.kind == kind)).scalars().all()


def carried(db, case_id: int, name: str):
    """A rule value a case carries in its workflow data."""
    with db.unit_of_work() as uow:
        state = json.loads(uow.session.get(Case, case_id).state)

    def find(node):
        if isinstance(node, dict):
            if name in node:
                return node[name]
            for value in node.values():
                if (found := find(value)) is not None:
                    return found
        if isinstance(node, list):
            for value in node:
                if (found := find(value)) is not None:
                    return found
        return None
    return find(state)


def test_a_township_entry_applies_to_new_cases_only_and_is_audited(login, db, clock, who, unit_id):
    running = start(db, clock, who, unit_id, village=SANTIDIKOU, process_id="minimum_living_santidikou")
    admin = login("admin")
    response, _fields = edit(admin, "340603", STREET, publicity_days="10",
                             **{"source__publicity_days": "淮相民〔2026〕12号：公示期延长至10天"})
    assert response.status_code == 302, response.text
    assert response.location.endswith(f"/admin/rules?on={TODAY}#county-340603")
    [row] = entries(db)
    assert (row.county_code, row.township_code, row.kind, row.effective_from.isoformat()) == (
        "340603", STREET, "rules", TODAY)
    assert row.entry["publicity_days"] == 10 and row.entry["sources"]["publicity_days"].startswith("淮相民")
    lodged = start(db, clock, who, unit_id, village=SANTIDIKOU, process_id="minimum_living_santidikou")
    assert carried(db, lodged.case_id, "publicity_days") == 10
    assert carried(db, running.case_id, "publicity_days") == 7     # the rules it started with
    with db.unit_of_work() as uow:   # the district's other streets keep the district's entry
        assert rules_in_force("340603", clock.today(), "340603001", session=uow.session)["publicity_days"] == 7
    [event] = events(db, "rule_entry_added")
    assert event.actor_id == who("admin").user_id and event.at == clock.now()
    assert event.detail["before"]["publicity_days"] == 7 and event.detail["after"]["publicity_days"] == 10
    assert event.detail["township"] == STREET and event.detail["note"] == "测试：调整公示期"
    page = html.fromstring(admin.get("/admin/rules").text)
    header = page.xpath(f"//section[@data-county='340603']//th[@data-entry='{row.id}']")[0].text_content()
    assert "三堤口街道" in header and "现行" in header and "管理员" in header


def test_an_entry_from_a_later_date_and_its_retirement(login, db, clock, who, unit_id):
    admin = login("admin")
    response, _ = edit(admin, "340603", STREET, on="2026-10-08", publicity_days="9",
                       **{"assumption__publicity_days": "假设：街道拟延长公示期，待正式文件"})
    assert response.status_code == 302, response.text
    [row] = entries(db)
    assert carried(db, start(db, clock, who, unit_id, village=SANTIDIKOU,
                             process_id="minimum_living_santidikou").case_id, "publicity_days") == 7
    page = html.fromstring(admin.get("/admin/rules?on=2026-10-08").text)
    assert "现行" in page.xpath(f"//th[@data-entry='{row.id}']")[0].text_content()
    clock.set(clock.now().replace(month=10, day=9))
    assert carried(db, start(db, clock, who, unit_id, village=SANTIDIKOU,
                             process_id="minimum_living_santidikou").case_id, "publicity_days") == 9
    admin = login("admin")   # a session from 24 days ago has ended
    assert admin.post_form(f"/admin/rules/{row.id}/retire", {"retired_from": "2026-10-08", "note": "x"}).status_code == 422
    assert admin.post_form(f"/admin/rules/{row.id}/retire", {"retired_from": "2026-10-20", "note": ""}).status_code == 422
    response = admin.post_form(f"/admin/rules/{row.id}/retire", {"retired_from": "2026-10-20", "note": "文件未下发，撤回"})
    assert response.status_code == 302
    [row] = entries(db)   # kept, with its end
    assert row.retired_from.isoformat() == "2026-10-20" and row.retire_note == "文件未下发，撤回"
    [event] = events(db, "rule_entry_retired")
    assert event.detail["before"] == {"retired_from": None} and event.detail["after"] == {"retired_from": "2026-10-20"}
    clock.set(clock.now().replace(day=20))
    admin = login("admin")
    assert carried(db, start(db, clock, who, unit_id, village=SANTIDIKOU,
                             process_id="minimum_living_santidikou").case_id, "publicity_days") == 7
    again = admin.post_form(f"/admin/rules/{row.id}/retire", {"retired_from": "2026-10-25", "note": "再次"})
    assert again.status_code == 422 and "已自 2026-10-20 起停止生效" in again.text
    page = html.fromstring(admin.get("/admin/rules").text)
    assert "停用" in page.xpath(f"//th[@data-entry='{row.id}']")[0].text_content()


def test_a_model_entry_changes_the_route_of_new_applications(login, db, clock):
    admin = login("admin")
    response, _ = edit(admin, "340603", "340603001", kind="models", model="santidikou",
                       **{"source__model": "淮相民〔2026〕13号：东街街道试行三堤口模式"})
    assert response.status_code == 302, response.text
    with db.unit_of_work() as uow:
        assert process_for("minimum_living", "340603", "340603001", clock.today(), uow.session) == \
            "minimum_living_santidikou"
        assert process_for("minimum_living", "340603", "340603002", clock.today(), uow.session) == \
            "minimum_living_national"
    assert process_for("minimum_living", "340603", "340603001", clock.today()) == "minimum_living_national"  # the file


@pytest.mark.parametrize("changes, field, message", [
    ({"publicity_days": "十天", "source__publicity_days": "某文"}, "publicity_days", "「公示期」应为整数（不小于 1，不大于 365）"),
    ({"publicity_unit": "week", "source__publicity_unit": "某文"}, "publicity_unit", "只能选择：d、wd"),
    ({"minimum_living_standard": "-5", "source__minimum_living_standard": "某文"}, "minimum_living_standard",
     "「低保标准（元/月）」应为数字（大于 0"),
    ({"publicity_days": "9"}, "source.publicity_days", "「公示期」已修改：请填写依据"),
    ({"publicity_days": "9", "source__publicity_days": ""}, "source.publicity_days", "请填写依据"),
    ({"effective_from": "2026-13-01"}, "effective_from", "「生效日期」应为日期"),
    ({"effective_from": "2026-09-01"}, "effective_from", "不能早于今天"),
    ({"note": " "}, "note", "请填写变更说明"),
    ({"time_limit_wd_by_type__nonsense": "3"}, None, None),   # a type the form does not offer is ignored
])
def test_a_bad_entry_is_refused_naming_the_field_and_nothing_is_written(login, db, changes, field, message):
    admin = login("admin")
    response, _ = edit(admin, "340603", STREET, **changes)
    if field is None:
        assert response.status_code == 302
        assert "nonsense" not in json.dumps(entries(db)[0].entry)
        return
    assert response.status_code == 422, response.text
    assert message in response.text and f'data-field="{field}"' in response.text
    assert entries(db) == [] and events(db, "rule_entry_added") == []


def test_a_limit_a_deployed_route_cannot_meet_is_refused_naming_the_route_and_path(login, db):
    admin = login("admin")
    response, _ = edit(admin, "320921", XIANGSHUI_TOWN, publicity_days="12",
                       **{"source__publicity_days": "响民〔2026〕1号"})
    assert response.status_code == 422
    text = html.fromstring(response.text).xpath("//p[@data-field='budget']")[0].text_content()
    assert "minimum_living_xiangshui" in text and "最长的一般路径" in text and "公示" in text
    assert "响水县（乡镇（街道）响水镇（320921100））" in text       # named as the places table names it
    response, _ = edit(admin, "320921", "", time_limit_wd="15", **{"source__time_limit_wd": "响民〔2026〕2号"})
    assert response.status_code == 422 and "超过响水县" in response.text
    response, _ = edit(admin, "320921", XIANGSHUI_TOWN, kind="models", model="national",
                       **{"source__model": "响民〔2026〕3号"})
    assert response.status_code == 422 and "minimum_living_national" in response.text   # 30 days' route in 20
    assert entries(db) == []


def test_bad_places_and_kinds_are_refused(login, db):
    admin = login("admin")
    assert admin.get("/admin/rules/edit?county=999999&kind=rules").status_code == 422
    assert admin.get("/admin/rules/edit?county=320921&township=220302001&kind=rules").status_code == 422
    assert admin.get("/admin/rules/edit?county=320921&kind=nonsense").status_code == 404
    assert admin.get("/admin/rules/appeal?county=999999").status_code == 422
    assert admin.get("/admin/rules/edit?county=320921&kind=rules&from=2026-02-30").status_code == 400
    assert admin.get("/admin/rules?on=tomorrow").status_code == 400
    assert admin.post_form("/admin/rules/999/retire", {"retired_from": "2026-10-01", "note": "x"}).status_code == 404
    assert entries(db) == []


@pytest.mark.parametrize("username", ["county_mz", "supervisor", "designer", "township_xs"])
def test_only_admins_change_rules(login, db, username):
    user = login(username)
    assert user.get("/admin/rules/edit?county=340603&kind=rules").status_code == 403
    assert user.post_form("/admin/rules/edit", {"county": "340603", "kind": "rules", "effective_from": TODAY,
                                                "note": "x", "publicity_days": "9"}).status_code == 403
    assert user.post_form("/admin/rules/1/retire", {"retired_from": TODAY, "note": "x"}).status_code == 403
    assert entries(db) == []


def test_a_change_without_the_csrf_token_is_refused(login, db):
    admin = login("admin")
    _page, fields = None, form_of(admin.get(f"/admin/rules/edit?county=340603&township={STREET}&kind=rules").text)
    fields.update(effective_from=TODAY, note="无令牌", publicity_days="9", **{"source.publicity_days": "某文"})
    fields.pop("csrf_token", None)
    assert admin.client.post("/admin/rules/edit", data=fields).status_code == 400
    assert entries(db) == []


def test_the_retired_entry_cannot_leave_a_place_without_rules(db, clock, who):
    """A township's first entry of its own retired from its first day: the district's entries apply again."""
    from engine.rule_changes import add_rule_entry, retire_rule_entry
    from engine.rule_changes import form_of_entry, rule_edit_form
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        form = rule_edit_form(s, clock.today(), "340603", "340603002", "rules")
        posted = {**form_of_entry("rules", form["base"]), "county": "340603", "township": "340603002", "kind": "rules",
                  "effective_from": "2026-11-02", "note": "试行", "minimum_living_standard": "760",
                  "source.minimum_living_standard": "淮相民〔2026〕14号"}
        entry_id = add_rule_entry(s, who("admin"), clock.now(), clock.today(), posted)
        assert rules_in_force("340603", clock.today(), "340603002", session=s)["minimum_living_standard"] == 730
        retire_rule_entry(s, who("admin"), clock.now(), clock.today(), entry_id, "2026-11-02", "撤回")
        from datetime import date
        assert rules_in_force("340603", date(2026, 12, 1), "340603002", session=s)["minimum_living_standard"] == 730
        assert s.execute(select(func.count()).select_from(CountyRuleEntry)).scalar_one() == 1


def test_a_value_the_file_gains_later_reaches_the_admins_entries(db, clock, who, monkeypatch):
    """An entry is stored whole; a value counties.toml gains afterwards (a new rule field) is the file's of the
    entry's day, so a case lodged under the admin's entry still carries every value a route may read."""
    import copy
    from engine.catalogue import rules
    from engine.rule_changes import add_rule_entry, form_of_entry, rule_edit_form
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        form = rule_edit_form(s, clock.today(), "340603", STREET, "rules")
        add_rule_entry(s, who("admin"), clock.now(), clock.today(), {
            **form_of_entry("rules", form["base"]), "county": "340603", "township": STREET, "kind": "rules",
            "effective_from": TODAY, "note": "试行", "publicity_days": "10", "source.publicity_days": "某文"})
        data = copy.deepcopy(rules.counties())
        for entry in data["340603"]["rules"]:
            entry["a_value_added_later"] = 3
        monkeypatch.setattr(rules, "counties", lambda directory=rules.PROCESSES_DIR: data)
        found = rules_in_force("340603", clock.today(), STREET, session=s)
        assert found["publicity_days"] == 10 and found["a_value_added_later"] == 3 and found["entry_id"]


def appeal_form(admin, county: str = "320921") -> dict[str, str]:
    page = admin.get(f"/admin/rules/appeal?county={county}")
    assert page.status_code == 200, page.text
    form = html.fromstring(page.text).xpath("//form[contains(@class, 'appeal-edit')]")[0]
    fields = {e.get("name"): (e.get("value") if e.tag == "input" else (e.text or ""))
              for e in form.xpath(".//input[@name] | .//textarea[@name]")}
    fields.pop("csrf_token", None)
    return fields


def test_what_refusals_name_changes_from_a_date_for_notices_issued_from_then(login, db, clock, who, unit_id):
    """The admin changes the county's court and telephone from today: a refusal issued before names the file's
    court, one issued after the new one; the change is audited before/after and retirable."""
    before = start(db, clock, who, unit_id)
    before.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本镇")
    admin = login("admin")
    fields = appeal_form(admin)
    assert fields["court"] == "响水县人民法院" and fields["source"] == ""   # the one in force; a new source asked
    refused = admin.post_form("/admin/rules/appeal", {**fields, "court": "盐城市响水县人民法院（新址）"})
    assert refused.status_code == 422 and 'data-field="source"' in refused.text and entries(db) == []
    response = admin.post_form("/admin/rules/appeal", {**fields, "court": "盐城市响水县人民法院（新址）",
                                                       "complaints_phone": "0515-86888888",
                                                       "source": "响水县人民法院公告〔2026〕1号", "note": "法院更名"})
    assert response.status_code == 302, response.text
    after = start(db, clock, who, unit_id)
    after.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本镇")
    with db.unit_of_work() as uow:
        bodies = {c: uow.session.execute(select(Document.body).where(Document.case_id == c)).scalars().all()
                  for c in (before.case_id, after.case_id)}
    assert any("响水县人民法院" in b for b in bodies[before.case_id])
    assert not any("新址" in b for b in bodies[before.case_id])
    assert any("盐城市响水县人民法院（新址）" in b for b in bodies[after.case_id])
    [event] = events(db, "rule_entry_added")
    assert event.detail["before"]["court"] == "响水县人民法院"
    assert event.detail["after"]["court"] == "盐城市响水县人民法院（新址）"
    page = admin.get("/admin/rules")
    assert "盐城市响水县人民法院（新址）" in page.text          # in force today, shown as the county's
    [row] = entries(db)
    assert admin.post_form(f"/admin/rules/{row.id}/retire", {"retired_from": TODAY, "note": "撤回"}).status_code == 302
    assert "新址" not in html.fromstring(admin.get("/admin/rules").text).xpath(
        "//section[@data-county='320921']//p[@class='appeal']")[0].text_content()


@pytest.mark.parametrize("field, value, message", [
    ("review_days", "5", "不小于 15"), ("court", "", "请填写"), ("complaints_phone", "电话<script>", "应为"),
    ("litigation_months", "abc", "应为整数"), ("effective_from", "2020-01-01", "不能早于今天"),
    ("note", " ", "请填写变更说明"),
])
def test_a_bad_appeal_entry_is_refused_naming_the_field(login, db, field, value, message):
    admin = login("admin")
    fields = {**appeal_form(admin), "source": "某文件〔2026〕1号", "note": "测试"}
    fields[field] = value
    response = admin.post_form("/admin/rules/appeal", fields)
    assert response.status_code == 422 and message in response.text, response.text
    assert entries(db) == []


@pytest.mark.parametrize("username", ["county_mz", "supervisor", "township_xs"])
def test_only_admins_change_what_refusals_name(login, db, username):
    user = login(username)
    assert user.get("/admin/rules/appeal?county=320921").status_code == 403
    assert user.post_form("/admin/rules/appeal", {"county": "320921", "court": "x法院", "note": "x"}).status_code == 403
    assert entries(db) == []


def test_the_model_form_names_the_models(login, db):
    admin = login("admin")
    page = html.fromstring(admin.get("/admin/rules/edit?county=320921&kind=models").text)
    options = {o.get("value"): o.text_content() for o in page.xpath("//select[@id='f-model']/option")}
    assert options["xiangshui"].startswith("响水模式") and options["national"].startswith("全国通行")


def test_a_county_an_admin_added_gets_its_rules_in_the_browser_and_runs_cases(login, db, clock, who, unit_id,
                                                                              new_user, fresh_codes):
    """A county added in the places table has no rules and runs no case; the admin sets them up from another
    county's (each value taken over marked as an assumption) with what its refusals name; then a village
    clerk there lodges an application on the template's route, and a refusal names the new county's court."""
    from tests.conftest import wipe_case_data
    admin = login("admin")
    code = fresh_codes()
    assert admin.post_form("/admin/places/add", {"code": code, "name": "试点县"}).status_code == 302
    with db.unit_of_work() as uow:
        county_id = uow.session.execute(select(Unit.id).where(Unit.code == code)).scalar_one()
    assert admin.post_form("/admin/places/add", {"parent_id": county_id, "code": code + "100",
                                                 "name": "新镇"}).status_code == 302
    township_id = unit_id(code + "100")
    assert admin.post_form("/admin/places/add", {"parent_id": township_id, "code": code + "100201",
                                                 "name": "新村"}).status_code == 302
    listed = html.fromstring(admin.get("/admin/rules").text).xpath("//section[contains(@class, 'counties-without-rules')]")
    assert listed and code in listed[0].text_content()
    page = admin.get(f"/admin/rules/setup?county={code}")
    assert page.status_code == 200 and "试点县" in page.text
    appeal = {"county": code, "authority": "试点县人民政府", "court": "试点县人民法院", "review_days": "60",
              "litigation_months": "6", "complaints_phone": "12345", "effective_from": TODAY, "note": "新设试点县"}
    refused = admin.post_form("/admin/rules/setup", {**appeal, "template": "320921"})   # no source
    assert refused.status_code == 422 and 'data-field="source"' in refused.text
    refused = admin.post_form("/admin/rules/setup", {**appeal, "template": "999999", "source": "试点县政府令〔2026〕1号"})
    assert refused.status_code == 422 and 'data-field="template"' in refused.text
    assert entries(db) == []
    done = admin.post_form("/admin/rules/setup", {**appeal, "template": "320921", "source": "试点县政府令〔2026〕1号"})
    assert done.status_code == 302, done.text
    stored = entries(db)
    assert sorted(e.kind for e in stored) == ["appeal", "models", "rules"]
    rules_entry = next(e for e in stored if e.kind == "rules")
    assert rules_entry.entry["assumptions"]["minimum_living_standard"].startswith("沿用响水县")
    assert admin.get(f"/admin/rules/setup?county={code}").status_code == 422       # set up once
    section = html.fromstring(admin.get("/admin/rules").text).xpath(f"//section[@data-county='{code}']")[0]
    assert "试点县人民法院" in section.text_content() and "假设" in section.text_content()
    with db.unit_of_work() as uow:
        assert process_for("minimum_living", code, code + "100", clock.today(), uow.session) == \
            "minimum_living_xiangshui"
    clerk = new_user(("village", code + "100201"))
    w = start(db, clock, who, unit_id, village=code + "100201", username=clerk)
    from engine.cases.lifecycle import complete_task
    from tests.factories import FORM_DATA
    [task] = w.open_tasks()
    with db.unit_of_work(write=True) as uow:   # the new township's clerk refuses
        complete_task(uow.session, who(new_user(("township", code + "100"))), clock, task.id,
                      {**FORM_DATA.get("acceptance", {}), "acceptance_decision": "not_accepted",
                       "acceptance_reasons": "户籍不在本镇"})
        uow.commit()
    with db.unit_of_work() as uow:
        bodies = uow.session.execute(select(Document.body).where(Document.case_id == w.case_id)).scalars().all()
        assert any("试点县人民法院" in b for b in bodies)
        assert uow.session.get(Case, w.case_id).number.startswith(code)
    wipe_case_data(db)   # before the fixture deletes the places the case is in
