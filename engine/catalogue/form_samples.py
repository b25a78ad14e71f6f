"""Valid sample data for a form from its JSON Schema alone: the designer's simulation prefills each step with
it, and the tests submit it for forms nobody wrote test data for."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

# A valid sample 公民身份号码 (Xiangshui, born 1 January 1950): old enough for every route's age rule.
_ID_BODY = "32092119500101123"


def sample_for_schema(schema: dict, today: date) -> dict:
    """Valid data for a form nobody wrote test data for: each required field from its own schema."""
    return {name: _sample_value(prop, today) for name, prop in (schema.get("properties") or {}).items()
            if name in set(schema.get("required") or ())}


def _sample_value(prop: dict, today: date) -> Any:
    if "default" in prop:
        return prop["default"]
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        if "exclusiveMinimum" in prop:
            return prop["exclusiveMinimum"] + 1
        return prop.get("minimum", 0)
    if kind == "array":
        return [_sample_value(prop.get("items") or {}, today) for _ in range(prop.get("minItems", 1))]
    if kind == "object":
        return sample_for_schema(prop, today)
    if prop.get("format") == "date":
        return (today - timedelta(days=1)).isoformat()
    text = "测试" * max(1, (prop.get("minLength", 2) + 1) // 2)
    if prop.get("x-id-number") or prop.get("pattern"):
        from engine.catalogue.forms import with_check_digit
        id_number = with_check_digit(_ID_BODY)
        # The shapes the shipped forms ask for: an ID number, a number built on one, a month.
        for candidate in (id_number, f"{id_number}11", today.strftime("%Y-%m"), text):
            if not prop.get("pattern") or re.fullmatch(prop["pattern"], candidate):
                return candidate
    return text
