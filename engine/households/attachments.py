"""Scans of application materials (申请材料): what a file is, where its bytes live, and who may see it.

A scan is accepted only as PDF, JPEG or PNG, the type sniffed from its bytes (never its name or the
browser's word) and confirmed by decoding it: an image is decoded whole (Pillow), a PDF must start with
``%PDF-`` and its page tree parse (pypdf). The bytes are stored once per content, by SHA-256, under a
directory outside the static root (``BlobStore``); the ``attachment`` row carries the place of its
household or case, and every read is confined to the reader's place in its SQL. An attachment filed on a
case belongs to it; one filed on the household (case_id empty) serves every application of the household.
Uploading, which writes a case event, is engine.cases.attachments.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

import puremagic
from PIL import Image, ImageFile
from pypdf import PdfReader
from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from engine.case_status import is_finished
from engine.catalogue.materials import Material, materials
from engine.errors import FormInvalid, Message, NotFound
from engine.people.accounts import Principal
from engine.people.reveals import record_reveal
from engine.people.scope import STAFF_ROLES, TASK_ROLES, case_scope, household_scope, place_scope
from engine.store.models import Attachment, Case, Household, HumanTask, Person, User

ATTACHMENT, CASE, HOUSEHOLD, PERSON = Attachment.__table__, Case.__table__, Household.__table__, Person.__table__
TASK = HumanTask.__table__
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000  # an A4 page scanned at 600 dpi is 35 million
# The types accepted, the name Pillow gives each image format, and the file extensions each may keep.
MEDIA_TYPES = {"application/pdf": None, "image/jpeg": "JPEG", "image/png": "PNG"}
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}
FILENAME_MAX = Attachment.__table__.c.filename.type.length
NO_DISABILITY = ("", "none")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobStore:
    """Bytes by SHA-256 under ``root`` (``ab/cd/<sha256>``): each content stored once, written to a
    temporary file beside its place and renamed into it, so a reader never sees half a file."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        """Where the content with this digest lives."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> str:
        """Store ``content`` unless the same bytes are there already; returns its SHA-256."""
        sha256 = hashlib.sha256(content).hexdigest()
        path = self.path_of(sha256)
        if path.exists():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        """The stored bytes."""
        return self.path_of(sha256).read_bytes()


def _refuse(message: Message) -> FormInvalid:
    return FormInvalid.of({"file": message}, message)


def check_content(content: bytes) -> str:
    """The media type of a scan, from its bytes, once it has decoded; FormInvalid (on ``file``) otherwise."""
    if not content:
        raise _refuse(Message("文件为空，请重新选择扫描件", "The file is empty: choose the scan again"))
    if len(content) > MAX_ATTACHMENT_BYTES:
        size, most = f"{len(content) / 1024 / 1024:.1f}", MAX_ATTACHMENT_BYTES // 1024 // 1024
        raise _refuse(Message(f"文件过大（{size} MB），每个文件不能超过 {most} MB，请降低扫描分辨率或分页上传",
                              f"The file is too large ({size} MB): a file may have at most {most} MB; scan at a "
                              "lower resolution or upload the pages separately"))
    media_type = _sniff(content)
    if media_type is None:
        raise _refuse(Message("只接受 PDF、JPG、PNG 格式的扫描件（按文件内容识别，与扩展名无关）",
                              "Only PDF, JPG and PNG scans are accepted (judged by the content, whatever the "
                              "extension)"))
    if not (_pdf_parses(content) if media_type == "application/pdf" else _image_decodes(content, media_type)):
        raise _refuse(Message("文件已损坏或不完整，无法打开，请重新扫描后上传",
                              "The file is damaged or incomplete and cannot be opened: scan it again and upload it"))
    return media_type


def _sniff(content: bytes) -> str | None:
    try:
        matches = puremagic.magic_string(content)
    except (puremagic.PureError, ValueError):
        return None
    best = max((m.confidence for m in matches), default=0)
    found = {m.mime_type for m in matches if m.confidence == best} & set(MEDIA_TYPES)
    return found.pop() if len(found) == 1 else None


def _pdf_parses(content: bytes) -> bool:
    if not content.startswith(b"%PDF-"):
        return False
    try:
        return len(PdfReader(BytesIO(content)).pages) > 0
    except Exception:  # any failure of the parser on untrusted bytes means: not a usable PDF
        return False


def _image_decodes(content: bytes, media_type: str) -> bool:
    expected = MEDIA_TYPES[media_type]
    # Pillow's process-wide switch: another library (WeasyPrint sets it at import) may have turned on
    # the acceptance of truncated images; a scan must be whole.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(BytesIO(content), formats=[expected]) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return False
            image.verify()  # structure and checksums (PNG)
        with Image.open(BytesIO(content), formats=[expected]) as image:
            image.load()  # every pixel: a truncated JPEG passes verify() but not this
        return True
    except Exception:  # any failure of the decoder on untrusted bytes means: not a usable image
        return False


def clean_filename(filename: str, media_type: str) -> str:
    """The uploaded name for display and download: no directories or control characters, at most the
    column's length, and an extension that matches the content."""
    name = "".join(ch for ch in re.split(r"[\\/]", filename or "")[-1] if ch.isprintable()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if f".{extension.lower()}" not in EXTENSIONS[media_type]:
        stem = name
        extension = EXTENSIONS[media_type][0][1:]
    return f"{(stem or '扫描件')[:FILENAME_MAX - len(extension) - 1]}.{extension}"


# --- reading, confined to the reader's place -------------------------------------------------
@dataclass(frozen=True)
class ChecklistItem:
    """One material an application needs, and how many scans of it are filed."""

    material: Material
    count: int

    @property
    def present(self) -> bool:
        return self.count > 0


@dataclass(frozen=True)
class AttachmentPanel:
    """What a case or household page shows of its scans: the list, the checklist (a case's), the
    materials a scan may be filed under, whether the reader may add one, and whether the case is finished
    (no scan is filed on a finished case: engine.case_status)."""

    case_id: int | None
    household_id: int | None
    attachments: list
    checklist: list[ChecklistItem]
    choices: list[Material]
    may_upload: bool
    finished: bool = False

    @property
    def missing(self) -> list[Material]:
        return [item.material for item in self.checklist if not item.present]

    def material(self, key: str) -> Material | None:
        """The material filed under ``key``."""
        return next((m for m in self.choices if m.key == key), None)


def _of_case(case_id: int, household_id: int | None):
    """A case's attachments: its own, and its household's that belong to no case."""
    return _of_case_bound(household_id is not None), {"case_id": case_id, "household_id": household_id}


@cache
def _of_case_bound(with_household: bool):
    own = ATTACHMENT.c.case_id == bindparam("case_id")
    if not with_household:
        return own
    return or_(own, and_(ATTACHMENT.c.household_id == bindparam("household_id"), ATTACHMENT.c.case_id.is_(None)))


def case_place(session: Session, actor: Principal, case_id: int, roles=STAFF_ROLES, lock: bool = False):
    """The case's household, type, place and status, if the actor holds one of ``roles`` where it is;
    ``lock``: its row locked (PostgreSQL), so it cannot finish while a scan is filed on it."""
    stmt = select(CASE.c.id, CASE.c.household_id, CASE.c.assistance_type, CASE.c.county_id, CASE.c.township_id,
                  CASE.c.village_id, CASE.c.status, CASE.c.outcome).where(CASE.c.id == case_id, case_scope(actor, roles))
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).first()


def household_place(session: Session, actor: Principal, household_id: int, roles=STAFF_ROLES):
    """The household's place, if the actor holds one of ``roles`` where it is."""
    return session.execute(select(HOUSEHOLD.c.id.label("household_id"), HOUSEHOLD.c.county_id,
                                  HOUSEHOLD.c.township_id, HOUSEHOLD.c.village_id)
                           .where(HOUSEHOLD.c.id == household_id, household_scope(actor, roles))).first()


def attachments_for(session: Session, actor: Principal, *, case_id: int | None = None,
                    household_id: int | None = None) -> list:
    """The attachments of a case (with its household's own) or of a household (all of them) that lie in
    the actor's place, oldest first; NotFound when the case or household does not."""
    if case_id is not None:
        case = case_place(session, actor, case_id)
        if case is None:
            raise NotFound(f"case {case_id}")
        return _listed(session, actor, *_of_case(case_id, case.household_id))
    if household_place(session, actor, household_id) is None:
        raise NotFound(f"household {household_id}")
    return _listed(session, actor, _of_household(), {"household_id": household_id})


@cache
def _of_household():
    return ATTACHMENT.c.household_id == bindparam("household_id")


def _listed(session: Session, actor: Principal, which, values: dict) -> list:
    """The attachments ``which`` (a clause built once, its values bound from ``values``) in the actor's place."""
    return session.execute(_listed_statement(actor, which), values).all()


# Statements built once per (actor, shape), the ids bound at execution: building one costs more than running it.
@lru_cache(maxsize=1024)
def _listed_statement(actor: Principal, which):
    step = (select(TASK.c.title).where(TASK.c.case_id == ATTACHMENT.c.case_id, TASK.c.task_name == ATTACHMENT.c.task_name)
            .limit(1).scalar_subquery())
    return (select(ATTACHMENT.c.id, ATTACHMENT.c.material, ATTACHMENT.c.filename, ATTACHMENT.c.media_type,
                   ATTACHMENT.c.size, ATTACHMENT.c.case_id, ATTACHMENT.c.task_name, step.label("step_title"),
                   ATTACHMENT.c.uploaded_at, User.display_name.label("uploaded_by"))
            .outerjoin(User, User.id == ATTACHMENT.c.uploaded_by_id)
            .where(which, place_scope(ATTACHMENT, actor)).order_by(ATTACHMENT.c.id))


def checklist(session: Session, case_id: int) -> list[ChecklistItem]:
    """The materials the case's type needs (the disabled members' too, when the household has one),
    each with the number of scans filed for it."""
    case = session.execute(_checklist_case_statement(), {"case_id": case_id}).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    return _checklist_of(session, case_id, case)


def _checklist_of(session: Session, case_id: int, case) -> list[ChecklistItem]:
    """``checklist`` of a case whose assistance_type, household_id and ``disabled`` the caller has read."""
    needed = materials().checklist(case.assistance_type).items(bool(case.disabled))
    if not needed:
        return []
    which, values = _of_case(case_id, case.household_id)
    counts = dict(session.execute(_material_counts_statement(which), values).all())
    return [ChecklistItem(m, counts.get(m.key, 0)) for m in needed]


@cache
def _disabled_member():
    """SQL: the case's household has a disabled member (the disabled members' materials are needed too)."""
    return exists().where(PERSON.c.household_id == CASE.c.household_id, PERSON.c.disability_level.is_not(None),
                          PERSON.c.disability_level.not_in(NO_DISABILITY)).label("disabled")


@cache
def _checklist_case_statement():
    return select(CASE.c.assistance_type, CASE.c.household_id, _disabled_member()).where(
        CASE.c.id == bindparam("case_id"))


@cache
def _material_counts_statement(which):
    return select(ATTACHMENT.c.material, func.count()).where(which).group_by(ATTACHMENT.c.material)


def missing_materials(session: Session, case_id: int) -> list[Material]:
    """The checklist's materials of which the case has no scan yet (for the 一次性告知)."""
    return [item.material for item in checklist(session, case_id) if not item.present]


def attachment_panel(session: Session, actor: Principal, *, case_id: int | None = None,
                     household_id: int | None = None) -> AttachmentPanel:
    """The scans of a case or household as its page shows them (see AttachmentPanel); NotFound outside the
    actor's place."""
    if case_id is None:
        listed = attachments_for(session, actor, household_id=household_id)
        return AttachmentPanel(None, household_id, listed, [], materials().choices(None),
                               household_place(session, actor, household_id, TASK_ROLES) is not None)
    # The place, whether the actor may upload there (a task role in it) and what the checklist needs of the
    # case, in one statement.
    case = session.execute(_panel_case_statement(actor), {"case_id": case_id}).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    finished = is_finished(case.status)
    may_upload = case.household_id is not None and bool(case.in_task_place) and not finished
    return AttachmentPanel(case_id, case.household_id, _listed(session, actor, *_of_case(case_id, case.household_id)),
                           _checklist_of(session, case_id, case), materials().choices(case.assistance_type),
                           may_upload, finished)


@lru_cache(maxsize=1024)
def _panel_case_statement(actor: Principal):
    return (select(CASE.c.household_id, CASE.c.assistance_type, CASE.c.status,
                   case_scope(actor, TASK_ROLES).label("in_task_place"), _disabled_member())
            .where(CASE.c.id == bindparam("case_id"), case_scope(actor)))


def fetch_attachment(session: Session, actor: Principal, now: datetime, blobs: BlobStore, attachment_id: int,
                     address: str | None = None) -> tuple:
    """An attachment in the actor's place and its bytes, the view recorded in the personal-data audit
    (id_reveal: a scan of 身份证 or 户口簿 shows full ID numbers); NotFound for any other id, so ids
    cannot be probed. Needs a writing unit of work."""
    row = session.execute(
        select(ATTACHMENT, CASE.c.number.label("case_number"), HOUSEHOLD.c.number.label("household_number"))
        .join(HOUSEHOLD, HOUSEHOLD.c.id == ATTACHMENT.c.household_id)
        .outerjoin(CASE, CASE.c.id == ATTACHMENT.c.case_id)
        .where(ATTACHMENT.c.id == attachment_id, place_scope(ATTACHMENT, actor))).first()
    if row is None:
        raise NotFound(f"attachment {attachment_id}")
    content = blobs.get(row.sha256)
    material = materials().by_key.get(row.material)
    record_reveal(session, actor, now, row.county_id, "attachment_viewed",
                  f"申请材料「{material.name_zh if material else row.material}」{row.filename}"
                  f"（{row.case_number or row.household_number}）", 1, address)
    return row, content
