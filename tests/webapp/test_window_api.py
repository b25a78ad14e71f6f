"""The one-window intake's API entries (issue 13): registration, the referral's answer (the window's feedback),
the charity referral's feedback and the ledger, in the OpenAPI document; scope, CSRF and bad bodies."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.store.models import WindowRegistration
from tests.factories import SHUANGYUAN, fresh_id_number


def _post(user, url, body):
    return user.client.post(url, json=body, headers={"X-CSRFToken": user.csrf})


def _body(unit_id, items):
    return {"village_id": unit_id(SHUANGYUAN), "difficulty": "因病致贫",
            "applicant": {"name": "冯秀梅", "id_number": fresh_id_number(), "address": "响水县响水镇双园村7组",
                          "monthly_income": 200, "authorises_check": True},
            "items": items}


def test_register_answer_and_ledger_through_the_api(login, unit_id):
    clerk = login("township_xs")
    made = _post(clerk, "/api/v1/window/registrations", _body(unit_id, [
        {"code": "minimum_living"}, {"code": "medical_aid"},
        {"code": "temporary_assistance", "data": {"household_size": 1, "temporary_kind": "medical_expense",
                                                  "temporary_occurred_on": "2026-09-10", "requested_amount": 2000,
                                                  "temporary_description": "住院自付费用高",
                                                  "temporary_existing_recipient": False}}]))
    assert made.status_code == 201, made.json
    registration = made.json
    assert "*" in registration["applicant_id_number"] and registration["open"] == 1
    status = {i["item_code"]: i["status"] for i in registration["items"]}
    assert status == {"minimum_living": "case_started", "medical_aid": "referred",
                      "temporary_assistance": "case_started"}
    item_id = next(i["id"] for i in registration["items"] if i["item_code"] == "medical_aid")
    liaison = login("liaison_yb_xs")
    assert [r["id"] for r in liaison.client.get("/api/v1/window/referrals").json["items"]] == [item_id]
    assert login("liaison_hrss_xs").client.get("/api/v1/window/referrals").json["items"] == []
    assert _post(login("liaison_hrss_xs"), f"/api/v1/window/referrals/{item_id}/answer",
                 {"answer": "eligible", "note": "已受理"}).status_code == 404  # another department
    assert _post(liaison, f"/api/v1/window/referrals/{item_id}/answer",
                 {"answer": "perhaps", "note": "x"}).status_code == 422
    answered = _post(liaison, f"/api/v1/window/referrals/{item_id}/answer",
                     {"answer": "eligible", "note": "初步核查符合医疗救助条件"})
    assert answered.status_code == 200 and answered.json["status"] == "handling"
    # Both languages, whatever the caller's: a client shows the one it needs.
    assert (answered.json["status_zh"], answered.json["status_en"]) == ("部门办理中", "Being handled by the department")
    assert answered.json["department_en"] and answered.json["department_en"] != answered.json["department_zh"]
    again = clerk.client.get(f"/api/v1/window/registrations/{registration['id']}").json
    assert next(i for i in again["items"] if i["id"] == item_id)["answer_note"] == "初步核查符合医疗救助条件"
    rows = clerk.client.get("/api/v1/window/ledger?department=medical_insurance").json["items"]
    assert [r["id"] for r in rows] == [item_id] and "*" in rows[0]["applicant_id_number"]
    assert clerk.client.get("/api/v1/window/ledger?status=nonsense").status_code == 400
    assert login("township_xs").client.get(
        f"/api/v1/window/registrations/{registration['id']}").status_code == 200
    assert login("street_rx").client.get(f"/api/v1/window/registrations/{registration['id']}").status_code == 404


def test_bad_bodies_and_missing_csrf_write_nothing(login, unit_id, db):
    clerk = login("township_xs")
    no_csrf = clerk.client.post("/api/v1/window/registrations", json=_body(unit_id, [{"code": "medical_aid"}]))
    assert no_csrf.status_code == 400
    assert _post(clerk, "/api/v1/window/registrations", {"village_id": "x"}).status_code == 422
    bad = _post(clerk, "/api/v1/window/registrations", {**_body(unit_id, [{"code": "medical_aid"}]),
                                                       "difficulty": ""})
    assert bad.status_code == 422 and "difficulty" in bad.json["errors"]
    assert _post(login("liaison_yb_xs"), "/api/v1/window/registrations",
                 _body(unit_id, [{"code": "medical_aid"}])).status_code == 403
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(WindowRegistration)).scalar_one() == 0


def test_the_openapi_document_describes_the_window_and_validates(login):
    from openapi_spec_validator import validate
    doc = login("township_xs").get("/api/v1/openapi.json").json
    validate(doc)
    assert {"/api/v1/window/registrations", "/api/v1/window/referrals/{item_id}/answer",
            "/api/v1/window/ledger", "/api/v1/window/charity-referrals/{charity_referral_id}/feedback"} <= set(
        doc["paths"])
    assert "RegistrationBody" in doc["components"]["schemas"]
