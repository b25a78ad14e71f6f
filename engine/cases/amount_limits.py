"""A step's amount capped by a county rule value in force on the day of the decision.

A route marks the cap on the step with ``at_most:FIELD = NAME``: the number the step's form gives in FIELD may
not exceed the rule value NAME (a name ``case_parameters`` gives, such as ``small_temporary_limit``) of the
case's county and township *on the day the step is completed* — the authority to decide is the one in force
when deciding, not when the application was lodged (三堤口: the street approves 小额临时救助 only up to the
district's limit; seed 003).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from sqlalchemy.orm import Session

from engine.catalogue.designer_checks import AT_MOST as PREFIX
from engine.catalogue.rules import case_parameters
from engine.errors import FormInvalid, Message

# How a refusal names a cap, in both languages (a name without a label is shown as it is).
LABELS = {"small_temporary_limit": ("小额临时救助审批额度（当地低保标准 × 倍数）",
                                    "the small temporary assistance limit (the local 低保 standard × the multiple)")}


def caps_of(properties: Mapping[str, str]) -> dict[str, str]:
    """The capped fields of a step and the rule value capping each (``at_most:FIELD = NAME``)."""
    return {name[len(PREFIX):]: (value or "").strip() for name, value in properties.items()
            if name.startswith(PREFIX)}


def check_amount_caps(session: Session, properties: Mapping[str, str], data: Mapping[str, Any], process_id: str,
                      county_id: int, township_id: int, today: date) -> None:
    """Refuse (FormInvalid naming the limit and its date) a capped amount above the rule value in force today."""
    caps = caps_of(properties)
    given = {field: data[field] for field in caps
             if isinstance(data.get(field), (int, float)) and not isinstance(data.get(field), bool)}
    if not given:
        return
    rules = case_parameters(session, county_id, township_id, process_id, today)
    errors: dict[str, Message] = {}
    for field, amount in given.items():
        name = caps[field]
        limit = rules[name]
        if amount > limit:
            zh, en = LABELS.get(name, (name, name))
            since = rules["rules_effective_from"]
            errors[field] = Message(
                f"金额 {amount:g} 元超过{zh} {limit:g} 元（{since} 起执行），本级不能批准；超过额度的须报县（区）民政局审批",
                f"{amount:g} yuan is above {en}, {limit:g} yuan (in force from {since}); it cannot be approved here: "
                f"an amount above the limit is for the county (district) bureau")
    if errors:
        raise FormInvalid.of(errors)
