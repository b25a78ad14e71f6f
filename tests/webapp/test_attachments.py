"""Scans of application materials (申请材料) through the web app: the upload form on the case and task
pages, the checklist, the one view that serves the bytes, and the refusals (4xx, nothing stored)."""
from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select

from engine import MAX_ATTACHMENT_BYTES
from engine.store.models import Attachment
from tests.factories import sample_scan, start
from webapp.attachments import UPLOAD_LIMIT

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def walk(db, clock, who, unit_id):
    return start(db, clock, who, unit_id)


def upload(user, url, content: bytes, filename: str, material="household_register", **fields):
    return user.client.post(url, content_type="multipart/form-data", data={
        "csrf_token": user.csrf, "material": material, "file": (BytesIO(content), filename), **fields})


def rows(db) -> list[Attachment]:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()


def stored(attachments_dir) -> list:
    return [p for p in attachments_dir.rglob("*") if p.is_file()] if attachments_dir.exists() else []


def test_a_png_filed_from_the_case_page_is_listed_ticked_and_served_safely(walk, login, db, attachments_dir):
    village = login("village_sy")
    page = village.get(f"/cases/{walk.case_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="material"' in page.text
    assert page.text.count('class="missing"') == 4  # 户口簿, 身份证, 收入证明, 诚信承诺和授权书
    scan = sample_scan("png")
    response = upload(village, f"/cases/{walk.case_id}/attachments", scan, "../扫描/hu\x07kou本.png")
    assert response.status_code == 303 and response.location.endswith(f"/cases/{walk.case_id}#attachments")
    [row] = rows(db)
    assert (row.media_type, row.material, row.filename) == ("image/png", "household_register", "hukou本.png")
    page = village.get(f"/cases/{walk.case_id}")
    assert page.text.count('class="missing"') == 3 and 'class="present" data-material="household_register"' in page.text
    assert f'href="/attachments/{row.id}"' in page.text and "hukou本.png" in page.text
    served = login("township_xs").get(f"/attachments/{row.id}")
    assert served.status_code == 200 and served.data == scan
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.headers["Content-Security-Policy"].startswith("sandbox;")
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "filename*=UTF-8''hukou%E6%9C%AC.png" in disposition
    assert "\r" not in disposition and "\n" not in disposition
    saved = login("township_xs").get(f"/attachments/{row.id}?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment;")
    assert len(stored(attachments_dir)) == 1


def test_a_hostile_file_name_cannot_break_the_headers(walk, login, db, who, clock, attachments_dir):
    from engine import BlobStore, store_attachment
    with db.unit_of_work(write=True) as uow:
        attachment_id = store_attachment(uow.session, who("township_xs"), clock, BlobStore(attachments_dir),
                                         case_id=walk.case_id, material="id_card", content=sample_scan("jpeg"),
                                         filename='a"; filename=evil.html\r\nX-Evil: 1\u202e.jpg')
        uow.commit()
    served = login("township_xs").get(f"/attachments/{attachment_id}")
    assert served.status_code == 200 and "X-Evil" not in served.headers
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "evil.html\"" not in disposition and "\u202e" not in disposition


def test_a_pdf_filed_from_a_step_page_belongs_to_that_step(walk, login, db):
    township = login("township_xs")
    task = walk.open_tasks()[0]
    page = township.get(f"/tasks/{task.id}")
    assert f'name="task_id" value="{task.id}"' in page.text
    response = upload(township, f"/cases/{walk.case_id}/attachments", sample_scan("pdf"), "income.pdf",
                      material="income_proof", task_id=task.id)
    assert response.status_code == 303 and response.location.endswith(f"/tasks/{task.id}")
    [row] = rows(db)
    assert (row.media_type, row.task_name) == ("application/pdf", task.task_name)
    page = township.get(f"/tasks/{task.id}")
    assert "income.pdf" in page.text and task.title in page.text.split("income.pdf")[1]
    assert [e.title for e in walk.events() if e.kind == "attachment_added"] == ["上传申请材料：收入证明（income.pdf）"]


@pytest.mark.parametrize("content, filename", [
    (b"Dear sir, this is plain text and not a scan at all.\n" * 5, "户口簿.jpg"),
    (None, "truncated.jpg"),
])
def test_a_renamed_text_file_or_a_truncated_jpeg_is_refused_and_nothing_is_stored(walk, login, db, attachments_dir,
                                                                                 content, filename):
    if content is None:
        from PIL import Image
        out = BytesIO()
        Image.effect_noise((300, 200), 60).convert("RGB").save(out, "JPEG")
        content = out.getvalue()[:-300]
    response = upload(login("township_xs"), f"/cases/{walk.case_id}/attachments", content, filename)
    assert response.status_code == 422
    assert 'data-field="file"' in response.text
    assert "只接受 PDF、JPG、PNG" in response.text or "文件已损坏或不完整" in response.text
    assert rows(db) == [] and stored(attachments_dir) == []
    assert not [e for e in walk.events() if e.kind == "attachment_added"]


def test_an_oversize_file_is_refused_with_the_limit_named(walk, login, db, attachments_dir):
    user = login("township_xs")
    # Over the file limit but within the body limit: the engine refuses it, naming the limit.
    within_body = sample_scan("png") + b"\x00" * (MAX_ATTACHMENT_BYTES + 1000)
    response = upload(user, f"/cases/{walk.case_id}/attachments", within_body, "big.png")
    assert response.status_code == 422 and "不能超过 10 MB" in response.text
    # Over the body limit: refused before the body is read.
    response = upload(user, f"/cases/{walk.case_id}/attachments", b"\x89PNG" + b"\x00" * UPLOAD_LIMIT, "huge.png")
    assert response.status_code == 413 and "每个扫描件不能超过 10 MB" in response.text
    assert rows(db) == [] and stored(attachments_dir) == []


def test_another_townships_clerk_gets_404_and_cannot_upload(walk, login, db):
    upload(login("village_sy"), f"/cases/{walk.case_id}/attachments", sample_scan("png"), "scan.png")
    [row] = rows(db)
    outsider = login("township_cjg")
    assert outsider.get(f"/attachments/{row.id}").status_code == 404
    assert outsider.get(f"/attachments/{row.id + 1000}").status_code == 404  # the same answer as no such id
    assert outsider.get(f"/cases/{walk.case_id}/attachments").status_code == 404
    assert outsider.get(f"/households/{row.household_id}/attachments").status_code == 404
    response = upload(outsider, f"/cases/{walk.case_id}/attachments", sample_scan("png", seed=9), "mine.png")
    assert response.status_code == 404
    response = upload(outsider, f"/households/{row.household_id}/attachments", sample_scan("png", seed=9), "m.png")
    assert response.status_code == 404
    assert len(rows(db)) == 1


def test_the_supervisor_sees_the_scans_but_is_offered_no_upload(walk, login, db):
    upload(login("village_sy"), f"/cases/{walk.case_id}/attachments", sample_scan("png"), "scan.png")
    supervisor = login("supervisor")
    page = supervisor.get(f"/cases/{walk.case_id}")
    assert "scan.png" in page.text and 'enctype="multipart/form-data"' not in page.text
    assert upload(supervisor, f"/cases/{walk.case_id}/attachments", sample_scan("pdf"), "s.pdf").status_code == 404


def test_a_household_scan_is_shared_by_its_applications(walk, login, db, attachments_dir):
    household_id = walk.case().household_id
    user = login("village_sy")
    response = upload(user, f"/households/{household_id}/attachments", sample_scan("pdf"), "户口簿.pdf")
    assert response.status_code == 303
    [row] = rows(db)
    assert row.case_id is None and row.household_id == household_id
    page = user.get(f"/cases/{walk.case_id}")
    assert "户口簿.pdf" in page.text and 'class="present" data-material="household_register"' in page.text
    # The same content filed again, on the case: one file on disk.
    upload(user, f"/cases/{walk.case_id}/attachments", sample_scan("pdf"), "again.pdf")
    assert len(rows(db)) == 2 and len(stored(attachments_dir)) == 1


def test_the_panel_reads_in_english(walk, login):
    user = login("township_xs")
    user.post_form("/lang/en", {"next": "/"})
    page = user.get(f"/cases/{walk.case_id}")
    assert "Application materials" in page.text and "Household register (hukou booklet)" in page.text
    assert "missing" in page.text and "PDF, JPEG or PNG, at most 10 MB each." in page.text
    response = upload(user, f"/cases/{walk.case_id}/attachments", b"plain text", "a.jpg")
    assert response.status_code == 422 and "Only PDF, JPG and PNG scans are accepted (judged by the content" in response.text
    assert "details in Chinese" not in response.text
