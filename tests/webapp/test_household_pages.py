"""The household file on the task page, the dossier page and its archive, and a refused second lodging."""
from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import select

from engine.store.models import Case, SecurityEvent
from tests.factories import fresh_id_number, sample_application, start
from tests.webapp.test_bad_input import _flatten




def test_the_task_page_shows_the_household_with_masked_ids_and_earlier_steps(db, clock, who, unit_id, login):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200]))
    w.do("acceptance")
    task = next(t for t in w.open_tasks() if t.task_name == "economic_check")
    township = login("township_xs")
    page = township.get(f"/tasks/{task.id}")
    assert page.status_code == 404  # the check is the county's step, not the township's
    county = login("county_mz")
    page = county.get(f"/tasks/{task.id}").text
    assert head in page and "核对需要，显示完整公民身份号码" in page  # the checker needs the full numbers
    assert "受理审查" in page and "材料齐全，予以受理" in page  # the acceptance, under its form's labels
    printed = county.get(f"/tasks/{task.id}/print")
    assert printed.status_code == 200 and head not in printed.text and f"{head[:6]}********{head[-4:]}" in printed.text


def test_the_dossier_is_for_its_place_only_and_its_archive_holds_the_documents(db, clock, who, unit_id, login):
    w = start(db, clock, who, unit_id)
    w.do("acceptance")
    with db.unit_of_work() as uow:
        household_id = uow.session.execute(select(Case.household_id).where(Case.id == w.case_id)).scalar_one()
    village = login("village_sy")
    page = village.get(f"/households/{household_id}")
    assert page.status_code == 200 and w.number in page.text and "受理通知书" in page.text
    assert login("village_cg").get(f"/households/{household_id}").status_code == 404
    assert login("street_rx").get(f"/households/{household_id}/archive.zip").status_code == 404
    archive = login("township_xs").get(f"/households/{household_id}/archive.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert "index.html" in names and any(n.startswith("documents/") and n.endswith(".pdf") for n in names)
    pdf = zipfile.ZipFile(io.BytesIO(archive.data)).read(next(n for n in names if n.endswith(".pdf")))
    assert pdf.startswith(b"%PDF")
    with db.unit_of_work() as uow:
        exported = uow.session.execute(select(SecurityEvent).where(SecurityEvent.kind == "dossier_exported")).scalars().all()
    assert len(exported) == 1 and exported[0].username == "township_xs"


def test_a_second_lodging_is_refused_with_the_open_case_linked(db, clock, who, unit_id, login):
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0]))
    village = login("village_sy")
    form = village.get("/cases/new?assistance_type=minimum_living").text
    token = re.search(r'name="request_token" value="([^"]+)"', form).group(1)
    response = village.post_form("/cases/new", {
        "assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")), "request_token": token,
        **_flatten(sample_application("王小明", head, [300, 0]))})
    assert response.status_code == 409
    assert w.number in response.text and f"/cases/{w.case_id}" in response.text
    with db.unit_of_work() as uow:
        assert len(uow.session.execute(select(Case).where(Case.applicant_id_number == head)).all()) == 1


def test_a_new_application_starts_from_the_household_record_and_the_prefill_is_recorded(db, clock, who, unit_id,
                                                                                        login):
    from engine.store.models import IdReveal
    head = fresh_id_number()
    w = start(db, clock, who, unit_id, data=sample_application("王小明", head, [300, 0, 200]))
    with db.unit_of_work() as uow:
        household_id = uow.session.execute(select(Case.household_id).where(Case.id == w.case_id)).scalar_one()
    page = login("village_sy").get(f"/cases/new?assistance_type=low_income&household_id={household_id}")
    assert page.status_code == 200
    assert f'value="{head}"' in page.text and 'value="300' in page.text  # the applicant and the declared income
    assert login("village_cg").get(f"/cases/new?household_id={household_id}").status_code == 404
    with db.unit_of_work() as uow:
        reveals = uow.session.execute(select(IdReveal).where(IdReveal.kind == "application_prefill")).scalars().all()
    assert len(reveals) == 1 and reveals[0].row_count == 4  # the applicant field and three members
