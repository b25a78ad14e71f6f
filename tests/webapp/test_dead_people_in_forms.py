"""The web forms refuse a person recorded as dead with the Chinese message beside the field and 422, and write
nothing: the new-application form (a member listed) and the window's registration (the applicant). The household
file's death form says what recording a death does."""
from __future__ import annotations

import re

from tests.factories import SHUANGYUAN, fresh_id_number, sample_application
from tests.integration.test_dead_people_refused import counts, dead  # noqa: F401  (the fixture)
from tests.integration.test_death_review import household  # noqa: F401  (the fixture)
from tests.webapp.test_bad_input import _flatten


def test_the_application_form_refuses_a_dead_member(login, unit_id, db, dead):
    _household_id, died = dead
    data = sample_application("赵大勇", fresh_id_number(), [300, 0])
    data["members"][1].update(name=died.name, id_number=died.id_number)
    form = {"assistance_type": "minimum_living", "village_id": str(unit_id(SHUANGYUAN)), **_flatten(data)}
    before = counts(db)
    response = login("village_sy").post_form("/cases/new", form)
    assert response.status_code == 422
    assert f"{died.name}（身份证号 {died.id_number[:6]}" in response.text and "登记死亡" in response.text
    assert counts(db) == before


def test_the_window_refuses_to_register_a_dead_applicant(login, unit_id, db, dead):
    _household_id, died = dead
    form = {"village_id": str(unit_id(SHUANGYUAN)), "applicant_name": died.name,
            "applicant_id_number": died.id_number, "address": "响水县响水镇双园村3组", "phone": "13900000000",
            "difficulty": "家中困难", "items": ["minimum_living", "medical_aid"]}
    before = counts(db)
    response = login("township_xs").post_form("/window/new", form)
    assert response.status_code == 422 and "登记死亡，不能为其申请救助" in response.text
    assert counts(db) == before


def test_the_death_form_says_what_recording_a_death_does(login, db, dead):
    household_id, _died = dead
    page = login("township_xs").get(f"/households/{household_id}").text
    form = re.search(r'<form class="death-report".*?</form>', page, re.S).group(0)
    assert "低保复核" in form and "特困人员救助供养、残疾人两项补贴、尊老金" in form and "次月起停发" in form
    assert "复核和申请一并终止" in form
