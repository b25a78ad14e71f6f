"""Issuing a step's documents (文书) for a case: which conditions hold, the number (文号), the stored row.

A user task issues document KIND when its ``camunda:properties`` has ``document:KIND`` whose value is a
condition on the case data: designer text evaluated only through engine.runtime.expressions (the whitelist again,
no builtins, under a budget).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.runtime.budget import budget
from engine.clock import CHINA_TZ
from engine.catalogue.documents import KINDS, case_facts_used, kinds_for, render
from engine.runtime.expressions import evaluate, route_failure
from engine.store.models import Document
from engine.store.sequences import next_number
from engine.people.places import Place

_INSERT_DOCUMENT = insert(Document)


def issue_documents(session: Session, case: dict[str, Any], place: Place, county_name: str,
                    properties: dict[str, str], data: dict[str, Any], now: datetime,
                    element_id: str | None = None, case_extra: Callable[[], dict[str, Any]] | None = None,
                    appeal: dict[str, Any] | None = None, task_id: str | None = None) -> list[str]:
    """Issue every document whose condition holds for ``data``; returns their numbers. ``task_id``: the
    completion issuing them (undoing it voids them, engine.cases.voiding).

    A condition that is refused, over budget or fails raises RouteFailed naming ``element_id``.
    ``case_extra`` gives more facts of the case for the templates, asked for only when a chosen document's
    template reads a fact ``case`` does not have. ``appeal``: the county's 复议机关, court and periods, which
    every refusal names.
    """
    numbers = []
    try:
        with budget():
            chosen = [(kind, KINDS[kind]) for kind, condition in kinds_for(properties).items()
                      if evaluate(condition, data)]
    except Exception as exc:
        raise route_failure(exc, element_id) from exc
    if case_extra is not None and any(case_facts_used(kind) - case.keys() for kind, _ in chosen):
        case = {**case, **case_extra()}
    for kind, _kind in chosen:
        numbers.append(issue_document(session, case, place, county_name, kind, data, now, appeal, task_id))
    return numbers


def issue_document(session: Session, case: dict[str, Any], place: Place, county_name: str, kind: str,
                   data: dict[str, Any], now: datetime, appeal: dict[str, Any] | None = None,
                   task_id: str | None = None) -> str:
    """Number, render and store one document of ``kind`` for a case (``appeal``: as for ``issue_documents``);
    returns its number (文号)."""
    title, code = KINDS[kind]
    year = now.astimezone(CHINA_TZ).year
    number = next_number(session, f"{county_name[:1]}民{code}", year)
    _title, _code, body = render(kind, number=number, case=case, data=data, county=county_name, appeal=appeal,
                                 issued_on=now.astimezone(CHINA_TZ).date(), today=date.today)
    session.execute(_INSERT_DOCUMENT, {"case_id": case["id"], "kind": kind, "number": number, "title": title,
                                       "body": body, "issued_at": now, "task_id": task_id})
    return number
