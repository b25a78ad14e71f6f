"""The dossier archive (档案): one ZIP per household with an index, every document as PDF and every
attachment, for the county's files. Built from the same read model as the dossier page."""
from __future__ import annotations

import html
import io
import zipfile
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.oversight.files import HouseholdFile, household_file
from engine.people.accounts import Principal
from engine.people.security_events import record_event
from engine.store.models import Document

DOCUMENT = Document.__table__
PDF_STYLE = """@page { size: A4; margin: 2cm; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei", serif; font-size: 12pt; line-height: 1.6; }
h1, h2 { text-align: center; } table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #444; padding: 2pt 4pt; font-size: 10pt; }"""
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def to_pdf(body_html: str, title: str) -> bytes:
    """A document (its stored HTML, which Jiuzhu rendered from a template with escaping) as PDF."""
    from PIL import ImageFile
    from weasyprint import HTML  # imported when an archive is built: loading it costs ~0.5 s
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # WeasyPrint turns it on at import; uploads must stay strict
    page = (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{PDF_STYLE}</style></head><body>{body_html}</body></html>")
    # No base URL and a fetcher that refuses everything: a document can never make the server fetch a file
    # or a URL.
    return HTML(string=page, url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the archive fetches nothing ({url[:80]})")


def household_archive(session: Session, principal: Principal, household_id: int, now: datetime,
                      attachment_bytes: Callable[[str], bytes], address: str | None = None) -> tuple[str, bytes]:
    """(file name, ZIP bytes) of a household's archive; the export is recorded in the security audit trail.
    ``attachment_bytes(sha256)`` reads a stored attachment."""
    dossier = household_file(session, principal, household_id)
    buffer = io.BytesIO()
    entries: list[tuple[str, str]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for doc in dossier.documents:
            body = session.execute(select(DOCUMENT.c.body).where(DOCUMENT.c.id == doc.id)).scalar_one()
            name = f"documents/{doc.issued_at:%Y%m%d}-{_safe(doc.number)}.pdf"
            archive.writestr(name, to_pdf(body, doc.title))
            void = f"（已作废：{doc.voided_reason}）" if doc.voided_at else ""  # kept in the file, marked
            entries.append((name, f"{doc.title} {doc.number}（案件 {doc.case_number}）{void}"))
        for a in dossier.attachments:
            name = f"attachments/{a['id']:06d}-{_safe(a['material'])}.{EXTENSIONS.get(a['media_type'], 'bin')}"
            archive.writestr(name, attachment_bytes(a["sha256"]))
            entries.append((name, f"{a['material_name']}：{a['filename']}"))
        archive.writestr("index.html", _index(dossier, entries, now))
    record_event(session, now, "dossier_exported", actor=principal, username=principal.username, address=address,
                 household=dossier.household.number, files=len(entries))
    return f"household-{_safe(dossier.household.number)}.zip", buffer.getvalue()


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60] or "file"


def _index(dossier: HouseholdFile, entries: list[tuple[str, str]], now: datetime) -> str:
    h = dossier.household
    esc = html.escape
    members = "".join(f"<tr><td>{esc(m['name'])}</td><td>{esc(m['id_number'])}</td><td>{esc(m['relation'])}</td>"
                      f"<td>{esc(str(m['birth_date'] or ''))}</td></tr>" for m in h.members)
    cases = "".join(f"<tr><td>{esc(c.number)}</td><td>{esc(c.type_name)}</td><td>{esc(c.status)}</td>"
                    f"<td>{esc(c.outcome_label or c.current_step or '')}</td></tr>" for c in dossier.cases)
    benefits = "".join(f"<tr><td>{esc(b['type_name'])}</td><td>{b['monthly_amount']:.2f}</td>"
                       f"<td>{b['payment_from']}</td><td>{esc(b['status_zh'])}</td></tr>" for b in dossier.benefits)
    files = "".join(f"<li><a href='{esc(name)}'>{esc(name)}</a> — {esc(what)}</li>" for name, what in entries)
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{esc(h.number)} 一户一档</title>"
            f"</head><body><h1>家庭档案（一户一档） {esc(h.number)}</h1><p>{esc(h.place)} {esc(h.address or '')}</p>"
            f"<p>导出时间 {now:%Y-%m-%d %H:%M} UTC</p><h2>家庭成员</h2><table>{members}</table>"
            f"<h2>申请</h2><table>{cases}</table><h2>救助</h2><table>{benefits}</table>"
            f"<h2>文件</h2><ul>{files}</ul></body></html>")
