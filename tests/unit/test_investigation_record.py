"""The 入户调查 record (57号 Art. 16; audit X11): signed by a household member present, the third party named,
a refusal described; the signature hint is checked at deploy and the signers against the application."""
from __future__ import annotations

import json
from datetime import date

import pytest

from engine.catalogue.forms import FORMS_DIR, FormValidator, check_form_schema, household_signature_problems
from engine.errors import FormInvalid
from tests.factories import FORM_DATA

SCHEMA = json.loads((FORMS_DIR / "home_investigation.json").read_text(encoding="utf-8"))
TODAY = date(2026, 9, 21)


def problems(**changes) -> dict[str, str]:
    try:
        FormValidator(SCHEMA).validate({**FORM_DATA["home_investigation"], **changes}, TODAY)
    except FormInvalid as exc:
        return exc.errors
    return {}


def test_a_cooperating_household_s_record_is_signed_by_at_least_one_member():
    assert problems() == {}
    assert problems(household_signatures=[{"name": "王小明", "signature": "guardian"}]) == {}
    assert set(problems(household_signatures=[{"name": "王小明", "signature": "declined"}])) == {"household_signatures"}
    assert set(problems(household_signatures=[])) == {"household_signatures"}


def test_a_refusal_is_described_and_needs_no_signature():
    refused = {"household_cooperation": "refused", "household_signatures": [{"name": "王小明", "signature": "declined"}]}
    assert set(problems(**refused)) == {"refusal_details"}
    assert problems(**refused, refusal_details="拒绝入户，拒不提供银行流水") == {}


def test_a_third_party_is_named():
    assert set(problems(investigated_by="third_party")) == {"third_party_name"}
    assert problems(investigated_by="third_party", third_party_name="响水县社会工作服务中心") == {}


def test_the_signers_are_members_of_the_application():
    members = [{"name": "王小明"}, {"name": "李秀兰"}]
    data = {"household_signatures": [{"name": "李秀兰", "signature": "self"}, {"name": "周邻居", "signature": "self"}]}
    refused = household_signature_problems(SCHEMA, data, members)
    assert refused is not None and set(refused.errors) == {"household_signatures.1.name"}
    assert "周邻居" in refused.errors["household_signatures.1.name"] and refused.errors_en
    assert household_signature_problems(SCHEMA, {"household_signatures": data["household_signatures"][:1]}, members) is None
    assert household_signature_problems(SCHEMA, data, None) is None, "a case without a member list is not checked"


@pytest.mark.parametrize("hint", [False, "yes"])
def test_the_signature_hint_is_refused_at_deploy_unless_true_on_a_signature_list(hint):
    schema = {"type": "object", "properties": {"present": {"type": "array", "x-household-signatures": hint,
                                                           "items": {"type": "object", "properties": {}}}}}
    assert [p.element_id for p in check_form_schema(schema, "probe.json")] == ["present"]
    assert check_form_schema(SCHEMA, "home_investigation.json") == []
