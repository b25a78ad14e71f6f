"""Scans of application materials (申请材料) through the engine, on both stores: the type read from the
bytes and confirmed by decoding, the size limit, content-addressed storage, the checklist and the
一次性告知, and role × place on every read and write."""
from __future__ import annotations

import hashlib
import shutil
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from engine import (MAX_ATTACHMENT_BYTES, BlobStore, attachment_panel, attachments_for, fetch_attachment,
                    materials_checklist, missing_materials, store_attachment)
from engine.catalogue.materials import materials
from engine.catalogue.rules import PROCESSES_DIR
from engine.errors import DataFileInvalid, FormInvalid, NotFound
from engine.store.models import Attachment, CaseEvent, Document, IdReveal, Person
from tests.factories import sample_scan, start

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def blobs(tmp_path) -> BlobStore:
    return BlobStore(tmp_path / "attachments")


def stored_files(blobs: BlobStore) -> list:
    return sorted(p for p in blobs.root.rglob("*") if p.is_file()) if blobs.root.exists() else []


def file_scan(db, clock, who, blobs, username, **kw) -> int:
    kw.setdefault("material", "household_register")
    kw.setdefault("filename", "scan.png")
    kw.setdefault("content", sample_scan("png"))
    with db.unit_of_work(write=True) as uow:
        attachment_id = store_attachment(uow.session, who(username), clock, blobs, **kw)
        uow.commit()
    return attachment_id


def rows(db) -> list[Attachment]:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()


def noisy_jpeg() -> bytes:
    out = BytesIO()
    Image.effect_noise((320, 240), 60).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_png_and_a_pdf_are_filed_by_their_content_with_the_place_and_an_event(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    png = sample_scan("png")
    file_scan(db, clock, who, blobs, "village_sy", case_id=walk.case_id, filename="户口簿.jpg", content=png)
    pdf = sample_scan("pdf")
    file_scan(db, clock, who, blobs, "township_xs", case_id=walk.case_id, task_name="acceptance",
              material="income_proof", filename="../../etc/收入\x07证明.pdf", content=pdf)
    first, second = rows(db)
    assert (first.media_type, first.size, first.sha256) == ("image/png", len(png), hashlib.sha256(png).hexdigest())
    assert first.filename == "户口簿.jpg.png"  # the extension follows the content, never the other way
    assert (second.media_type, second.filename, second.task_name) == ("application/pdf", "收入证明.pdf", "acceptance")
    case = walk.case()
    assert (first.household_id, first.county_id, first.township_id, first.village_id) == (
        case.household_id, case.county_id, case.township_id, case.village_id)
    assert blobs.path_of(first.sha256).read_bytes() == png
    assert blobs.path_of(first.sha256).relative_to(blobs.root).parts[:2] == (first.sha256[:2], first.sha256[2:4])
    events = [e for e in walk.events() if e.kind == "attachment_added"]
    assert [e.title for e in events] == ["上传申请材料：户口簿（户口簿.jpg.png）", "上传申请材料：收入证明（收入证明.pdf）"]
    assert events[1].task_name == "acceptance" and events[1].data["sha256"] == second.sha256


@pytest.mark.parametrize("content, filename", [
    (b"this is a plain text file, renamed\n" * 20, "户口簿.jpg"),
    (b"<html><script>alert(document.cookie)</script></html>", "scan.png"),
    (b"GIF89a" + b"\x00" * 64, "scan.pdf"),
    (b"", "empty.pdf"),
])
def test_anything_but_a_pdf_jpeg_or_png_is_refused_and_nothing_is_stored(db, clock, who, unit_id, blobs,
                                                                         content, filename):
    walk = start(db, clock, who, unit_id)
    with pytest.raises(FormInvalid) as refused:
        file_scan(db, clock, who, blobs, "township_xs", case_id=walk.case_id, filename=filename, content=content)
    assert "file" in refused.value.errors and ("PDF、JPG、PNG" in refused.value.message_zh or "为空" in refused.value.message_zh)
    assert rows(db) == [] and stored_files(blobs) == []
    assert not [e for e in walk.events() if e.kind == "attachment_added"]


def test_damaged_scans_that_look_right_are_refused(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    jpeg, png, pdf = noisy_jpeg(), sample_scan("png", (400, 300)), sample_scan("pdf")
    for content in (jpeg[: len(jpeg) // 2], jpeg[:-2], png[: len(png) // 2], b"%PDF-1.7\n" + b"garbage " * 100,
                    pdf.replace(b"%PDF", b"%PDX")):
        with pytest.raises(FormInvalid) as refused:
            file_scan(db, clock, who, blobs, "township_xs", case_id=walk.case_id, content=content)
        assert refused.value.errors["file"]
    assert rows(db) == [] and stored_files(blobs) == []
    file_scan(db, clock, who, blobs, "township_xs", case_id=walk.case_id, content=jpeg)  # whole, it is fine
    assert rows(db)[0].media_type == "image/jpeg"


def test_an_oversize_file_is_refused_with_the_limit_named(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    big = sample_scan("png") + b"\x00" * (MAX_ATTACHMENT_BYTES)
    with pytest.raises(FormInvalid) as refused:
        file_scan(db, clock, who, blobs, "township_xs", case_id=walk.case_id, content=big)
    assert "不能超过 10 MB" in refused.value.errors["file"]
    assert rows(db) == [] and stored_files(blobs) == []


def test_the_same_content_is_stored_once(db, clock, who, unit_id, blobs):
    walk, other = start(db, clock, who, unit_id), start(db, clock, who, unit_id)
    scan = sample_scan("pdf")
    for case_id in (walk.case_id, walk.case_id, other.case_id):
        file_scan(db, clock, who, blobs, "township_xs", case_id=case_id, material="id_card", content=scan)
    assert len(rows(db)) == 3 and len({r.sha256 for r in rows(db)}) == 1
    assert stored_files(blobs) == [blobs.path_of(hashlib.sha256(scan).hexdigest())]


def test_only_users_whose_place_covers_the_case_file_or_see_its_scans(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    attachment_id = file_scan(db, clock, who, blobs, "village_sy", case_id=walk.case_id)
    household_id = walk.case().household_id
    for outsider in ("township_cjg", "village_cg", "street_rx", "district_tx"):
        with db.unit_of_work(write=True) as uow:
            s = uow.session
            with pytest.raises(NotFound):
                fetch_attachment(s, who(outsider), clock.now(), blobs, attachment_id)
            with pytest.raises(NotFound):
                attachments_for(s, who(outsider), case_id=walk.case_id)
            with pytest.raises(NotFound):
                attachments_for(s, who(outsider), household_id=household_id)
            with pytest.raises(NotFound):
                store_attachment(s, who(outsider), clock, blobs, case_id=walk.case_id, material="id_card",
                                 filename="x.png", content=sample_scan("png", seed=7))
            with pytest.raises(NotFound):
                store_attachment(s, who(outsider), clock, blobs, household_id=household_id, material="id_card",
                                 filename="x.png", content=sample_scan("png", seed=7))
    assert len(rows(db)) == 1
    # Village, township, county and the county's departments see it; the supervisor sees it but files nothing.
    for insider in ("village_sy", "township_xs", "county_mz", "disability_xs", "supervisor"):
        with db.unit_of_work(write=True) as uow:
            row, content = fetch_attachment(uow.session, who(insider), clock.now(), blobs, attachment_id)
            assert content == sample_scan("png") and row.id == attachment_id
            listed = attachments_for(uow.session, who(insider), case_id=walk.case_id)
            assert [a.id for a in listed] == [attachment_id]
            panel = attachment_panel(uow.session, who(insider), case_id=walk.case_id)
            assert panel.may_upload is (insider != "supervisor")
    with db.unit_of_work(write=True) as uow:
        with pytest.raises(NotFound):
            store_attachment(uow.session, who("supervisor"), clock, blobs, case_id=walk.case_id,
                             material="id_card", filename="x.png", content=sample_scan("png", seed=3))


def test_every_view_of_a_scan_is_in_the_personal_data_audit(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    attachment_id = file_scan(db, clock, who, blobs, "village_sy", case_id=walk.case_id, material="id_card",
                              filename="身份证.png")
    for _ in range(2):
        with db.unit_of_work(write=True) as uow:
            fetch_attachment(uow.session, who("township_xs"), clock.now(), blobs, attachment_id, "10.0.0.9")
            uow.commit()
    with db.unit_of_work() as uow:
        reveals = uow.session.execute(select(IdReveal)).scalars().all()
    assert [(r.kind, r.row_count, r.address) for r in reveals] == [("attachment_viewed", 1, "10.0.0.9")] * 2
    assert reveals[0].description == f"申请材料「身份证」身份证.png（{walk.number}）"
    assert reveals[0].county_id == walk.case().county_id


def test_the_checklist_shows_what_is_missing_and_household_scans_count_for_each_application(
        db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    with db.unit_of_work() as uow:
        assert [m.name_zh for m in missing_materials(uow.session, walk.case_id)] == [
            "户口簿", "身份证", "收入证明", "诚信承诺和授权书"]
    file_scan(db, clock, who, blobs, "village_sy", case_id=walk.case_id, material="income_proof")
    household_id = walk.case().household_id
    file_scan(db, clock, who, blobs, "village_sy", household_id=household_id, material="household_register",
              content=sample_scan("png", seed=5))
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        assert [(i.material.key, i.count) for i in materials_checklist(s, walk.case_id)] == [
            ("household_register", 1), ("id_card", 0), ("income_proof", 1), ("integrity_pledge", 0)]
        assert len(attachments_for(s, who("township_xs"), case_id=walk.case_id)) == 2
        # A member with a disability level: the 残疾证 is needed too.
        s.execute(update(Person).where(Person.household_id == household_id).values(disability_level="2"))
        assert [m.key for m in missing_materials(s, walk.case_id)] == ["id_card", "integrity_pledge",
                                                                       "disability_certificate"]
        uow.commit()
    events = [e.kind for e in walk.events()]
    assert events.count("attachment_added") == 1  # the household's scan belongs to no case


def test_a_material_outside_the_checklist_or_a_step_of_another_case_is_refused(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    with pytest.raises(FormInvalid) as refused:
        file_scan(db, clock, who, blobs, "township_xs", case_id=walk.case_id, material="passport",
                  task_name="no_such_step", content=b"not a scan")
    assert set(refused.value.errors) == {"material", "task_name", "file"}
    assert rows(db) == []


def test_the_supplement_notice_lists_the_checklist_materials_not_yet_filed(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    file_scan(db, clock, who, blobs, "village_sy", case_id=walk.case_id, material="household_register")
    walk.do("acceptance", acceptance_decision="incomplete", missing_materials="近三个月收入证明原件")
    with db.unit_of_work() as uow:
        notice = uow.session.execute(select(Document).where(Document.case_id == walk.case_id)).scalar_one()
    assert notice.kind == "supplement_notice" and "近三个月收入证明原件" in notice.body
    assert "以下材料尚未提交：身份证、收入证明、诚信承诺和授权书。" in notice.body
    assert "户口簿、" not in notice.body.split("尚未提交")[1]


def test_an_accepted_case_issues_no_list(db, clock, who, unit_id, blobs):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance")
    with db.unit_of_work() as uow:
        body = uow.session.execute(select(Document.body).where(Document.case_id == walk.case_id)).scalar_one()
        count = uow.session.execute(select(func.count()).select_from(CaseEvent)).scalar()
    assert "尚未提交" not in body and count


def test_the_materials_file_is_checked_with_its_lines(tmp_path):
    shutil.copy(PROCESSES_DIR / "catalog.toml", tmp_path / "catalog.toml")
    (tmp_path / "materials.toml").write_text(
        '[materials.id_card]\nname_zh = "身份证"\nname_en = "ID card"\n\n'
        '[types.minimum_living]\nrequired = ["id_card", "passport"]\n\n'
        '[types.pension]\nrequired = ["id_card"]\n', encoding="utf-8")
    with pytest.raises(DataFileInvalid) as invalid:
        materials(tmp_path)
    found = {(p.line, p.message_zh) for p in invalid.value.problems}
    assert found == {(1, "需要一项「other」（其他材料）"), (6, "未定义的材料「passport」"),
                     (8, "未知的救助类别「pension」")}
    (tmp_path / "materials.toml").write_text('[materials.Bad-Key]\nname_zh = ""\nname_en = "x"\n[types]\n',
                                             encoding="utf-8")
    materials.cache_clear()
    with pytest.raises(DataFileInvalid) as invalid:
        materials(tmp_path)
    assert all(p.message_zh.startswith("数据不符合要求") for p in invalid.value.problems)
    materials.cache_clear()


def test_every_type_of_the_catalogue_that_is_applied_for_has_a_checklist():
    from engine import assistance_types
    assert {t["type"] for t in assistance_types()} <= set(materials().checklists)
