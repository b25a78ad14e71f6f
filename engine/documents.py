"""Documents (文书) issued by steps: chosen by conditions in the BPMN, rendered from
templates in documents/, numbered (文号) and kept with the case.

A user task issues document KIND when its ``camunda:properties`` has
``document:KIND`` whose value is a condition on the case data. It is designer text
like every other expression: checked at deploy, and evaluated only through
engine.expressions (the same whitelist again, no builtins, under a budget).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import insert
from sqlalchemy.orm import Session

from .clock import CHINA_TZ
from .budget import budget
from .expressions import evaluate, route_failure
from .forms import mask_id_number
from .models import Document
from .numbering import next_value
from .places import Place

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "documents"
PREFIX = "document:"
# Each template's first line names its title and 文号 code: {# title: 受理通知书; code: 低受 #}.
# The number is the county's first character + 民 + code: 响民低受〔2026〕3号.
_HEADER = re.compile(r"\{#\s*title:\s*(?P<title>[^;]+?)\s*;\s*code:\s*(?P<code>\S+?)\s*#\}")


def _read_kinds(directory: Path = TEMPLATES_DIR) -> dict[str, tuple[str, str]]:
    kinds = {}
    for path in sorted(directory.glob("[!_]*.html")):
        match = _HEADER.match(path.read_text(encoding="utf-8"))
        if match is None:
            raise ValueError(f"{path}: first line must be {{# title: …; code: … #}}")
        kinds[path.stem] = (match["title"], match["code"])
    return kinds


KINDS = _read_kinds()
_INSERT_DOCUMENT = insert(Document)
# Designers edit templates: a sandbox keeps them to data, like expressions.
_env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined)
_env.filters["mask_id"] = mask_id_number


def kinds_for(properties: dict[str, str]) -> dict[str, str]:
    """kind → condition of the documents a task may issue."""
    return {k[len(PREFIX):]: v for k, v in properties.items() if k.startswith(PREFIX)}


def issue_documents(session: Session, case: dict[str, Any], place: Place, county_name: str,
                    properties: dict[str, str], data: dict[str, Any], now: datetime,
                    element_id: str | None = None) -> list[str]:
    """Issue every document whose condition holds for ``data``; returns their numbers.

    A condition that is refused, over budget or fails raises RouteFailed naming ``element_id``.
    """
    numbers = []
    try:
        with budget():
            chosen = [(kind, KINDS[kind]) for kind, condition in kinds_for(properties).items()
                      if evaluate(condition, data)]
    except Exception as exc:
        raise route_failure(exc, element_id) from exc
    for kind, (title, code) in chosen:
        year = now.astimezone(CHINA_TZ).year
        serial = next_value(session, f"doc:{place.county_id}:{code}:{year}")
        number = f"{county_name[:1]}民{code}〔{year}〕{serial}号"
        body = _env.get_template(f"{kind}.html").render(
            number=number, title=title, case=case, data=data, county=county_name,
            issued_on=now.astimezone(CHINA_TZ).date(), today=date.today)
        session.execute(_INSERT_DOCUMENT, {"case_id": case["id"], "kind": kind, "number": number, "title": title,
                                           "body": body, "issued_at": now})
        numbers.append(number)
    return numbers
