"""Valid sample data for a form from its JSON Schema alone: the designer's simulation prefills each step with
it, and the tests submit it for forms nobody wrote test data for."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any


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
        return prop.get("minimum", 0)
    if kind == "array":
        return [_sample_value(prop.get("items") or {}, today) for _ in range(prop.get("minItems", 1))]
    if kind == "object":
        return sample_for_schema(prop, today)
    if prop.get("format") == "date":
        return (today - timedelta(days=1)).isoformat()
    return "测试" * max(1, (prop.get("minLength", 2) + 1) // 2)
