"""Documents (文书) issued by the Xiangshui 低保 route render in Chinese with the case's data."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import Document
from tests.factories import start

pytestmark = pytest.mark.usefixtures("db")


def documents(db, case_id) -> dict[str, Document]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {d.kind: d for d in s.execute(select(Document).where(Document.case_id == case_id)).scalars()}


def test_confirmed_case_documents(db, clock, who, unit_id, login):
    w = start(db, clock, who, unit_id, incomes=(300, 0, 200))
    w.drive_to("publicity")
    clock.advance(days=7, minutes=1)
    w.fire_timers()
    w.do("confirmation")
    docs = documents(db, w.case_id)
    assert set(docs) == {"acceptance_notice", "publicity_list", "confirmation_notice", "minimum_living_announcement"}
    announcement = docs["minimum_living_announcement"]  # 57号第二十四条: the 公布, with its terms
    assert "响水镇人民政府于" in announcement.body and "现予公布" in announcement.body
    assert "公布期：自 " in announcement.body and "监督电话 12345" in announcement.body
    acceptance = docs["acceptance_notice"]
    assert acceptance.number == "响民低受〔2026〕1号" and acceptance.title == "受理通知书"
    assert "王小明" in acceptance.body and "现予受理" in acceptance.body and w.number in acceptance.body
    assert "响水镇人民政府" in acceptance.body and "2026年9月15日" in acceptance.body
    publicity = docs["publicity_list"]
    full = w.case().applicant_id_number
    assert "双园村" in publicity.body and f"{full[:6]}********{full[-4:]}" in publicity.body
    assert full not in publicity.body and "166.67" in publicity.body
    confirmation = docs["confirmation_notice"]
    assert "1840.00 元" in confirmation.body and "2026-11 起按月发放" in confirmation.body
    page = login("township_xs").get(f"/cases/{w.case_id}")
    assert "最低生活保障确认通知书" in page.text and confirmation.number in page.text
    shown = login("supervisor").get(f"/cases/{w.case_id}/documents/{confirmation.id}")
    assert shown.status_code == 200 and "1840.00" in shown.text
    assert login("township_cjg").get(f"/cases/{w.case_id}/documents/{confirmation.id}").status_code == 404


def test_refusals_carry_their_reasons(db, clock, who, unit_id):
    incomplete = start(db, clock, who, unit_id)
    incomplete.do("acceptance", acceptance_decision="incomplete", missing_materials="户口簿、近三个月收入证明")
    notice = documents(db, incomplete.case_id)["supplement_notice"]
    assert "一次性告知" in notice.body and "户口簿、近三个月收入证明" in notice.body

    refused = start(db, clock, who, unit_id)
    refused.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本镇")
    notice = documents(db, refused.case_id)["rejection_notice"]
    assert "不予受理" in notice.body and "户籍不在本镇" in notice.body and "行政复议" in notice.body

    not_confirmed = start(db, clock, who, unit_id)
    not_confirmed.drive_to("preliminary_opinion")
    not_confirmed.do("preliminary_opinion", opinion="ineligible", opinion_reasons="收入超标")
    not_confirmed.do("confirmation", confirmation_decision="not_confirmed", confirmation_reasons="人均收入高于标准")
    docs = documents(db, not_confirmed.case_id)
    assert "publicity_list" not in docs
    assert "人均收入高于标准" in docs["non_confirmation_notice"].body
    assert docs["non_confirmation_notice"].number.startswith("响民低不确〔2026〕")


def test_documents_are_issued_in_the_order_the_diagram_lists_them_on_every_store(db):
    """PostgreSQL's JSONB keeps keys sorted by length: a version loaded from it must still list a step's
    documents as the diagram does (the approval notice before the 公布 announcement)."""
    from engine.catalogue import versions
    from engine.catalogue.documents import kinds_for
    with db.unit_of_work() as uow:
        s = uow.session
        version_id = versions.latest_version_id(s, "minimum_living_siping")
        versions._cache.pop(version_id, None)  # loaded from this store, not from another one's deploy
        loaded = versions.get_version(s, version_id)
    kinds = list(kinds_for(loaded.tasks["approval"]["properties"]))
    assert kinds.index("minimum_living_approval_notice") < kinds.index("minimum_living_announcement")


def test_two_counties_whose_names_begin_alike_never_issue_one_number(db, clock, who, unit_id):
    """文号 read <county's first character>民<code>〔year〕n号: a county an admin adds whose name begins like
    another's (响水县, 响山区) counts on the same counter, so the numbers stay unique."""
    from engine.cases.documents import issue_document
    from engine.catalogue.rules import appeal_of
    from engine.people.places import Place
    from engine.store.models import Unit
    w = start(db, clock, who, unit_id)
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本镇")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        xiangshui, xiangshan = (s.execute(select(Unit.id).where(Unit.code == code)).scalar_one()
                                for code in ("320921", "340603"))
        case = {"id": w.case_id, "number": w.number, "applicant_name": "王小明", "applicant_id_number": "",
                "township": "响水镇", "village": "双园村"}
        data = {"acceptance_reasons": "户籍不在本镇"}
        numbers = [issue_document(s, case, Place(county, None, None), name, "rejection_notice", data, clock.now(),
                                  appeal_of("320921"))
                   for county, name in ((xiangshui, "响水县"), (xiangshan, "响山区"), (xiangshui, "响水县"))]
        uow.commit()
    assert len(set(numbers)) == 3 and all(n.startswith("响民") for n in numbers)
    assert [d.number for d in documents(db, w.case_id).values()]   # all stored: the unique column held
