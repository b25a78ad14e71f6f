"""The application's formalities (57号 Art. 4–9, route audit X12): every member's authorisation to check (a
minor's signed by the guardian), an application by an entrusted person with the checked power of attorney
(委托书), a single-person household (单人户) with its ground, and a residence-permit (居住证) application."""
from __future__ import annotations

import json
from datetime import date

import pytest

from engine.catalogue.forms import FORMS_DIR, FormValidator, with_check_digit
from engine.errors import FormInvalid
from tests.factories import sample_application

TODAY = date(2026, 9, 15)
HEAD = with_check_digit("32092119720405311")
MINOR = with_check_digit("32092120150601322")  # 11 years old on TODAY


def validator(name: str) -> FormValidator:
    return FormValidator(json.loads((FORMS_DIR / f"{name}.json").read_text(encoding="utf-8")))


def problems(name: str, data: dict) -> dict[str, str]:
    try:
        validator(name).validate(data, TODAY)
    except FormInvalid as refused:
        return refused.errors
    return {}


def application(**changes) -> dict:
    return {**sample_application("王小明", HEAD, [300, 0]), **changes}


def low_income(**changes) -> dict:
    members = [{"name": "王小明", "id_number": HEAD, "relation": "self", "monthly_income": 300, "authorisation": "self"}]
    return {"applicant_name": "王小明", "applicant_id_number": HEAD, "applied_on": "2026-09-15", "address": "本社区 8 号楼",
            "members": members, "household_financial_assets": 0, "household_vehicles": 0,
            "household_extra_housing": False, "authorises_check": True, **changes}


def test_a_plain_household_application_is_valid():
    assert problems("application", application()) == {}
    assert problems("low_income_application", low_income()) == {}


@pytest.mark.parametrize("form, data", [("application", application), ("low_income_application", low_income)])
def test_every_member_signs_the_authorisation(form, data):
    unsigned = data()
    del unsigned["members"][0]["authorisation"]
    assert "members.0.authorisation" in problems(form, unsigned)


def test_a_minor_member_s_authorisation_is_signed_by_the_guardian():
    data = application()
    data["members"][1].update(id_number=MINOR, relation="child", authorisation="self")
    assert problems("application", data) == {"members.1.authorisation": "未满十八周岁的成员，核对授权书由其监护人代签"}
    data["members"][1]["authorisation"] = "guardian"
    assert problems("application", data) == {}


def test_an_entrusted_application_needs_the_person_and_the_checked_power_of_attorney():
    missing = problems("application", application(channel="entrusted"))
    assert {"proxy_name", "proxy_id_number", "power_of_attorney_checked"} <= set(missing)
    unchecked = application(channel="entrusted", proxy_name="王大海", proxy_id_number=with_check_digit("32092119800101123"),
                            power_of_attorney_checked=False)
    assert set(problems("application", unchecked)) == {"power_of_attorney_checked"}
    assert problems("application", {**unchecked, "power_of_attorney_checked": True}) == {}
    valid = unchecked["proxy_id_number"]
    forged = {**unchecked, "power_of_attorney_checked": True, "proxy_id_number": valid[:-1] + ("1" if valid[-1] != "1" else "2")}
    assert set(problems("application", forged)) == {"proxy_id_number"}  # the check digit is wrong


@pytest.mark.parametrize("form, data", [("application", application), ("low_income_application", low_income)])
def test_a_single_person_household_states_its_ground_and_lists_the_applicant_alone(form, data):
    alone = data(application_basis="single_person")
    alone["members"] = alone["members"][:1]
    assert set(problems(form, alone)) == {"single_person_ground"}
    assert problems(form, {**alone, "single_person_ground": "jobless_severe_disability"}) == {}
    with_family = {**data(application_basis="single_person", single_person_ground="serious_illness")}
    with_family["members"] = with_family["members"] + [
        {"name": "王家成员", "id_number": with_check_digit("32092119750101600"), "relation": "spouse",
         "monthly_income": 0, "authorisation": "self"}]
    assert "members" in problems(form, with_family)


def test_a_residence_permit_application_names_the_permit():
    assert set(problems("application", application(residence_basis="residence_permit"))) == {"residence_permit_number"}
    assert problems("application", application(residence_basis="residence_permit",
                                               residence_permit_number="320921202400123")) == {}
    assert problems("application", application(residence_basis="hukou")) == {}
