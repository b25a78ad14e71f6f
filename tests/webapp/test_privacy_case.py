"""Jilin's privacy case (吉林: 艾滋病病人或感染者): once the street records it, the community that lodged the case
sees nothing of it or of its household on any page, download or API; the street, the district and the
district's supervisor still do; the community's other cases are untouched (engine.people.scope, in SQL)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from engine import BlobStore, store_attachment
from engine.store.models import Attachment, Case, CaseEvent, Document, Household, Notification, Unit
from tests.factories import RENXING, sample_scan, start
from tests.processes.test_minimum_living_models import PRIVACY_CHECK, SIPING, SIPING_FORMS, SIPING_ID, household


def _lodge(db, clock, who, unit_id, attachments_dir):
    walk = start(db, clock, who, unit_id, village=RENXING, process_id=SIPING, form_data=SIPING_FORMS,
                 data=household("李淑芬", SIPING_ID, "四平市铁西区仁兴街道仁兴社区5组"), fresh_applicant=True)
    with db.unit_of_work(write=True) as uow:
        attachment = store_attachment(uow.session, who("community_rx"), clock, BlobStore(attachments_dir),
                                      case_id=walk.case_id, material="household_register", filename="户口簿.png",
                                      content=sample_scan("png", (200, 120)))
        uow.commit()
    return walk, attachment


@pytest.fixture
def cases(db, clock, who, unit_id, attachments_dir):
    """A privacy case walked to its confirmation (with its scan, its notice and a note to the community),
    and an ordinary case the same community lodged."""
    private, scan = _lodge(db, clock, who, unit_id, attachments_dir)
    ordinary, ordinary_scan = _lodge(db, clock, who, unit_id, attachments_dir)
    with db.unit_of_work(write=True) as uow:  # a reminder the community got before the street's decision
        village = uow.session.execute(select(Unit.id).where(Unit.code == RENXING)).scalar_one()
        uow.session.execute(insert(Notification).values(
            role="village", unit_id=village, case_id=private.case_id, task_id=None, user_id=None, kind="due_soon",
            message=f"案件 {private.number} 即将到期", created_at=datetime(2026, 9, 15, tzinfo=timezone.utc)))
        uow.commit()
    private.do("check_request", privacy_case=True)
    private.do("county_privacy_check", **PRIVACY_CHECK)
    private.do("county_privacy_confirmation", confirmation_decision="confirmed", confirmed_on="2026-09-25")
    with db.unit_of_work() as uow:
        s = uow.session
        facts = {name: s.get(Case, walk.case_id) for name, walk in (("private", private), ("ordinary", ordinary))}
        document = s.execute(select(Document.id).where(Document.case_id == private.case_id)).scalar_one()
    return {"private": private, "ordinary": ordinary, "scan": scan, "ordinary_scan": ordinary_scan,
            "document": document, "household": facts["private"].household_id, "id_number": facts["private"].applicant_id_number,
            "ordinary_household": facts["ordinary"].household_id, "ordinary_id": facts["ordinary"].applicant_id_number}


def test_the_street_marks_the_case_and_its_household_and_says_so_in_the_history(db, cases):
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.get(Case, cases["private"].case_id).privacy and s.get(Household, cases["household"]).privacy
        assert not s.get(Case, cases["ordinary"].case_id).privacy
        assert not s.get(Household, cases["ordinary_household"]).privacy
        events = s.execute(select(CaseEvent.kind, CaseEvent.task_name).where(
            CaseEvent.case_id == cases["private"].case_id, CaseEvent.kind == "privacy_restricted")).all()
    assert events == [("privacy_restricted", "check_request")]


def test_the_community_gets_nothing_of_the_privacy_case_anywhere(cases, login):
    private, number, id_number = cases["private"].case_id, cases["private"].number, cases["id_number"]
    community = login("community_rx")
    for url in (f"/cases/{private}", f"/cases/{private}/documents/{cases['document']}",
                f"/households/{cases['household']}", f"/households/{cases['household']}/archive.zip",
                f"/attachments/{cases['scan']}", f"/cases/{private}/attachments",
                f"/households/{cases['household']}/attachments"):
        assert community.get(url).status_code in (403, 404), url
    for url in ("/inbox", "/my-cases", "/notifications", "/api/v1/my-cases", "/api/v1/tasks",
                "/api/v1/notifications"):
        response = community.get(url)
        assert response.status_code == 200 and number not in response.get_data(as_text=True), url
    for query in (id_number, id_number[-4:], id_number[-6:], number, "李淑芬", "仁兴社区5组"):
        page = community.get("/search", query_string={"q": query}).text  # the query itself is echoed in its box
        assert f'/cases/{private}"' not in page and f'/households/{cases["household"]}"' not in page, query
        api = community.get("/api/v1/search", query_string={"q": query}).json
        assert number not in [c["number"] for c in api["cases"]], query
        assert cases["household"] not in [h["id"] for h in api["households"]], query
    assert community.get("/payment-roll").status_code in (403, 404)
    assert community.get("/supervisor").status_code in (403, 404)


def test_the_community_keeps_its_other_case(cases, login):
    ordinary, number = cases["ordinary"].case_id, cases["ordinary"].number
    community = login("community_rx")
    assert community.get(f"/cases/{ordinary}").status_code == 200
    assert community.get(f"/households/{cases['ordinary_household']}").status_code == 200
    assert community.get(f"/attachments/{cases['ordinary_scan']}").status_code == 200
    assert number in community.get("/my-cases").text
    assert number in community.get("/search", query_string={"q": cases["ordinary_id"]}).text


def test_the_street_the_district_and_the_supervisor_still_see_it(cases, login):
    private, number = cases["private"].case_id, cases["private"].number
    for username in ("street_rx", "district_tx"):
        user = login(username)
        assert user.get(f"/cases/{private}").status_code == 200, username
        assert user.get(f"/cases/{private}/documents/{cases['document']}").status_code == 200, username
        assert user.get(f"/households/{cases['household']}").status_code == 200, username
        assert user.get(f"/attachments/{cases['scan']}").status_code == 200, username
        assert number in user.get("/search", query_string={"q": cases["id_number"]}).text, username
    supervisor = login("supervisor_tx")
    assert supervisor.get(f"/cases/{private}").status_code == 200
    assert number in supervisor.get("/supervisor").text
    assert number in supervisor.get("/supervisor/export", query_string={"format": "csv"}).get_data(as_text=True)
    assert login("street_yx").get(f"/cases/{private}").status_code == 404  # another street: as before


def test_lodging_the_household_again_is_refused_without_naming_the_privacy_case(db, clock, who, unit_id, cases):
    """No benefit twice — the household cannot be lodged again — but the refusal never names the case the
    community may no longer see."""
    from engine import start_case
    from engine.errors import Duplicate
    with db.unit_of_work(write=True) as uow:
        with pytest.raises(Duplicate) as refused:
            start_case(uow.session, who("community_rx"), clock, SIPING, unit_id(RENXING),
                       household("李淑芬", cases["id_number"], "四平市铁西区仁兴街道仁兴社区5组"))
    assert refused.value.case_number is None and refused.value.case_id is None
    assert cases["private"].number not in refused.value.message_zh + str(refused.value)
    assert "街道" in refused.value.message_zh


def _window_register(db, clock, who, unit_id, username, id_number):
    from engine.window.registration import Applicant, RequestedItem, register
    with db.unit_of_work(write=True) as uow:
        rid = register(uow.session, who(username), clock, unit_id(RENXING),
                       Applicant("李淑芬", id_number, "四平市铁西区仁兴街道仁兴社区5组", "13800000000", 300.0, True),
                       "生活困难", [RequestedItem("employment_aid")])
        uow.commit()
    return rid


def test_the_community_cannot_reach_the_privacy_household_through_the_window_or_a_lodging(db, clock, who, unit_id,
                                                                                         cases):
    """Neither the one-window registration at the community's service point nor lodging another type of
    application can register, find or attach a person of the household the community may no longer see; the
    refusal names neither; nothing is written. The street still registers them; the community's other
    households are untouched."""
    from engine import start_case
    from engine.errors import Forbidden
    from engine.store.models import Person, WindowRegistration
    with db.unit_of_work() as uow:
        before = uow.session.execute(select(Person.id).where(Person.household_id == cases["household"])).all()
    with pytest.raises(Forbidden) as refused:
        _window_register(db, clock, who, unit_id, "community_rx", cases["id_number"])
    assert "街道" in refused.value.message_zh and cases["private"].number not in refused.value.message_zh
    from tests.processes import test_temporary_assistance as temporary
    other_type = {**temporary.application(RENXING, 600), "applicant_id_number": cases["id_number"]}
    with db.unit_of_work(write=True) as uow, pytest.raises(Forbidden):
        start_case(uow.session, who("community_rx"), clock, temporary.SIPING, unit_id(RENXING), other_type)
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(WindowRegistration.id).where(
            WindowRegistration.applicant_id_number == cases["id_number"])).first() is None
        assert uow.session.execute(select(Person.id).where(Person.household_id == cases["household"])).all() == before
    street = _window_register(db, clock, who, unit_id, "street_rx", cases["id_number"])
    ordinary = _window_register(db, clock, who, unit_id, "community_rx", cases["ordinary_id"])
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.get(WindowRegistration, street).household_id == cases["household"]
        assert s.get(WindowRegistration, ordinary).household_id == cases["ordinary_household"]
