"""Filing a scan (申请材料) on a case, one of its steps, or a household: checked, stored, recorded.

The checking, the store and the reads are engine.households.attachments; this use case adds the case
event, which only the case writer writes.
"""
from __future__ import annotations

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from engine.case_status import refuse_if_finished
from engine.cases.writer import TASK, write_event
from engine.catalogue.materials import materials
from engine.clock import Clock
from engine.errors import FormInvalid, Message, NotFound
from engine.households.attachments import (ATTACHMENT, BlobStore, case_place, check_content, clean_filename,
                                           household_place)
from engine.people.accounts import Principal
from engine.people.scope import TASK_ROLES


def store_attachment(session: Session, actor: Principal, clock: Clock, blobs: BlobStore, *,
                     case_id: int | None = None, household_id: int | None = None, task_name: str | None = None,
                     material: str, filename: str, content: bytes) -> int:
    """File a scan on a case (``task_name``: one of its steps) or on a household; returns its id.

    The actor must work on cases where the case or household is (role × place, in SQL; NotFound
    otherwise, as for a case that does not exist), and the case must still be running (CaseFinished, 409,
    on a finished one: engine.case_status). The material is one the case's type lists (or any, for a
    household); the content must be a PDF, JPEG or PNG that opens (FormInvalid naming ``material`` and
    ``file`` otherwise, nothing stored). The same bytes are stored once however often they are filed.
    """
    if (case_id is None) == (household_id is None):
        raise ValueError("file an attachment on a case or on a household")
    if case_id is not None:
        target = case_place(session, actor, case_id, TASK_ROLES, lock=True)
        assistance_type = target.assistance_type if target else None
        if target is not None:
            refuse_if_finished(target.status, target.outcome, "upload")
    else:
        target, assistance_type = household_place(session, actor, household_id, TASK_ROLES), None
    if target is None:
        raise NotFound(f"case {case_id}" if case_id is not None else f"household {household_id}")
    errors: dict[str, Message] = {}
    if target.household_id is None:
        errors["file"] = Message("该案件不涉及具体家庭，不能上传申请材料",
                                 "This case concerns no particular household: no application document is filed on it")
    chosen = next((m for m in materials().choices(assistance_type) if m.key == material), None)
    if chosen is None:
        errors["material"] = Message("请从申请材料清单中选择材料类别",
                                     "Choose the kind of document from the list of application documents")
    if task_name is not None and not session.execute(
            select(exists().where(TASK.c.case_id == case_id, TASK.c.task_name == task_name))).scalar():
        errors["task_name"] = Message("该办理环节不属于本案件", "That step is not one of this case")
    try:
        media_type = check_content(content)
    except FormInvalid as exc:
        errors.update(exc.messages())
    if errors:
        raise FormInvalid.of(errors, Message("；".join(dict.fromkeys(m.zh for m in errors.values())),
                                             "; ".join(dict.fromkeys(m.en for m in errors.values()))))
    name = clean_filename(filename, media_type)
    sha256 = blobs.put(content)
    now = clock.now()
    attachment_id = session.execute(insert(ATTACHMENT).values(
        sha256=sha256, media_type=media_type, size=len(content), filename=name, material=chosen.key,
        household_id=target.household_id, case_id=case_id, task_name=task_name, county_id=target.county_id,
        township_id=target.township_id, village_id=target.village_id, uploaded_by_id=actor.user_id,
        uploaded_at=now).returning(ATTACHMENT.c.id)).scalar_one()
    if case_id is not None:
        write_event(session, case_id, now, actor.user_id, "attachment_added", task_name,
                    f"上传申请材料：{chosen.name_zh}（{name}）",
                    {"attachment_id": attachment_id, "material": chosen.key, "filename": name,
                     "media_type": media_type, "size": len(content), "sha256": sha256})
    return attachment_id
