"""Through the real forms (CSRF): the household file's death form names the new head (户主变更) — a wrong pick is
refused with 422 and the Chinese message, nothing recorded; a right one makes them the head and the benefit's
payee — and the window's registration page shows the referral the death ended, with its reason, and refuses a
转介 for the dead applicant (422); the application form takes the 代领人 with the ID number, shown masked, and
refuses a dead or malformed one (422)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.catalogue.forms import mask_id_number
from engine.store.models import Household, HouseholdEvent, Recipient, WindowCharityReferral
from tests.factories import SHUANGYUAN, fresh_id_number, sample_application
from tests.integration.test_dead_people_refused import counts, dead  # noqa: F401  (the fixture)
from tests.integration.test_death_review import household  # noqa: F401  (the fixture)
from tests.integration.test_death_window_and_head import _people, _register
from tests.webapp.test_bad_input import _flatten


def _died(db):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).where(HouseholdEvent.kind == "died")).scalar_one()


def test_the_death_form_names_the_new_head_and_refuses_a_wrong_pick(login, db, household):
    household_id, _members = household()
    head, spouse, child = _people(db, household_id)
    township = login("township_xs")
    page = township.get(f"/households/{household_id}").text
    form = re.search(r'<form class="death-report".*?</form>', page, re.S).group(0)
    assert 'name="new_head_id"' in form and "新户主" in form and "户主" in form
    refused = township.post_form(f"/households/{household_id}/deaths",
                                 {"person_id": str(head.id), "died_on": "2026-09-10", "new_head_id": str(head.id)})
    assert refused.status_code == 422 and "新户主须为该户的在世成员" in refused.text
    assert _died(db) == 0
    bad = township.post_form(f"/households/{household_id}/deaths",
                             {"person_id": str(head.id), "died_on": "2026-09-10", "new_head_id": "x"})
    assert bad.status_code == 400 and _died(db) == 0
    done = township.post_form(f"/households/{household_id}/deaths",
                              {"person_id": str(head.id), "died_on": "2026-09-10", "new_head_id": str(child.id)})
    assert done.status_code == 302
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(Household.head_id).where(Household.id == household_id)).scalar_one() == child.id
        assert s.execute(select(Recipient.applicant_name).where(
            Recipient.household_id == household_id)).scalar_one() == child.name
    page = township.get(f"/households/{household_id}").text
    assert f"户主变更：新户主为{child.name}" in page
    members = re.search(r'<table class="list members">.*?</table>', page, re.S).group(0)
    assert re.search(rf"{child.name} <span class=\"head-mark\">（户主）</span>", members)
    assert "成为户主" in page and "户主变更，改由新户主领取" in page
    assert f"领取人 {child.name}" in page and child.id_number not in page


def test_the_window_page_shows_the_ended_referral_and_refuses_a_charity_referral(login, db, clock, who, unit_id,
                                                                                 household):
    household_id, _members = household()
    head = _people(db, household_id)[0]
    rid = _register(db, clock, who, unit_id, head, ("medical_aid", "housing_aid"))
    township = login("township_xs")
    assert township.post_form(f"/households/{household_id}/deaths",
                              {"person_id": str(head.id), "died_on": "2026-09-10"}).status_code == 302
    page = township.get(f"/window/registrations/{rid}").text
    row = re.search(r'<tr[^>]*data-item="medical_aid".*?</tr>', page, re.S).group(0)
    assert "已终止（申请人死亡）" in row and f"申请人{head.name}于2026-09-10死亡" in row
    assert "已终止" not in re.search(r'<tr[^>]*data-item="housing_aid".*?</tr>', page, re.S).group(0)
    refused = township.post_form(f"/window/registrations/{rid}/charity",
                                 {"project": "charity_federation:serious_illness", "note": ""})
    assert refused.status_code == 422 and "不能再为其转办或转介" in refused.text
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(WindowCharityReferral)).scalar_one() == 0
    ledger = township.get("/window/ledger").text
    assert "已终止（申请人死亡）" in ledger


def test_the_application_form_takes_the_collector_masked_and_refuses_a_dead_one(login, db, unit_id, dead):
    _household_id, died = dead
    village = login("village_sy")
    page = village.get("/cases/new?assistance_type=minimum_living").text
    assert 'name="collector_id_number"' in page and "代领人公民身份号码" in page

    def form(collector_id):
        data = {**sample_application("赵大勇", fresh_id_number(), [300, 0]), "collector_name": "赵小红",
                "collector_id_number": collector_id}
        return {"assistance_type": "minimum_living", "village_id": str(unit_id(SHUANGYUAN)), **_flatten(data)}
    before = counts(db)
    refused = village.post_form("/cases/new", form(died.id_number))
    assert refused.status_code == 422 and "已于 2026-09-10 登记死亡，不能代为领取救助金" in refused.text
    error = re.search(r'<div class="field-error" data-field="collector_id_number">(.*?)</div>', refused.text).group(1)
    assert mask_id_number(died.id_number) in error and died.id_number not in error   # the form keeps what was typed
    wrong = village.post_form("/cases/new", form("320921199001011230"))
    assert wrong.status_code == 422 and "公民身份号码校验位不正确" in wrong.text
    assert counts(db) == before
    collector_id = fresh_id_number()
    lodged = village.post_form("/cases/new", form(collector_id))
    assert lodged.status_code in (302, 303)
    case_page = village.get(lodged.headers["Location"]).text
    assert "赵小红" in case_page and mask_id_number(collector_id) in case_page and collector_id not in case_page
