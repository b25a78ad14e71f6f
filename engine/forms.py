"""JSON Schema forms: loading, server-side validation with Chinese messages, HTML coercion."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from .errors import FormInvalid

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"
ID_NUMBER = re.compile(r"^[1-9]\d{16}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_checksum_ok(value: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    if not ID_NUMBER.match(value):
        return False
    return with_check_digit(value[:17]) == value


def with_check_digit(first17: str) -> str:
    """Complete 17 digits into a valid 18-character ID number (for demo and test data)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return first17 + _ID_CHECK[total % 11]


def mask_id_number(value: str | None) -> str:
    """Show only the region prefix and the last four characters: 320922********1234."""
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def load_form_files(directory: Path = FORMS_DIR) -> dict[str, dict[str, Any]]:
    """Every ``<formKey>.json`` schema in the forms directory, checked as JSON Schema."""
    forms = {}
    for path in sorted(directory.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        forms[path.stem] = schema
    return forms


class FormValidator:
    """A compiled validator for one form schema (built once per process version)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ValueError(f"invalid form schema: {exc.message}") from exc
        self.schema = schema
        self._validator = Draft202012Validator(schema, format_checker=FormatChecker())

    def validate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Return the data if valid; raise FormInvalid with a Chinese message per field."""
        errors: dict[str, str] = {}
        for error in self._validator.iter_errors(data):
            path = ".".join(str(p) for p in error.absolute_path)
            field, message = _message_zh(error, path, self.schema)
            errors.setdefault(field or "_form", message)
        self._check_id_numbers(data, "", self.schema, errors)
        if errors:
            raise FormInvalid(errors)
        return dict(data)

    def _check_id_numbers(self, data, prefix, schema, errors) -> None:
        # The check digit is beyond what a JSON Schema pattern can say.
        for name, prop in (schema.get("properties") or {}).items():
            value = data.get(name) if isinstance(data, Mapping) else None
            path = f"{prefix}{name}"
            if prop.get("x-id-number") and isinstance(value, str) and ID_NUMBER.match(value):
                if not id_number_checksum_ok(value):
                    errors.setdefault(path, "公民身份号码校验位不正确")
            if prop.get("type") == "array" and isinstance(value, list):
                for i, item in enumerate(value):
                    self._check_id_numbers(item, f"{path}.{i}.", prop.get("items", {}), errors)


_TYPE_ZH = {"string": "文字", "number": "数字", "integer": "整数", "boolean": "是/否", "array": "列表", "object": "对象"}


def _title(schema: Mapping[str, Any], path: str) -> str:
    node: Any = schema
    for part in path.split(".") if path else []:
        if part.isdigit():
            node = node.get("items", {})
        else:
            node = (node.get("properties") or {}).get(part, {})
    return node.get("title", path)


def _message_zh(error, path: str, schema) -> tuple[str, str]:
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1]
        field = f"{path}.{missing}" if path else missing
        return field, f"「{_title(schema, field)}」为必填项"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        extras = ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
        return path or "_form", f"包含不允许的字段：{extras}"
    title = _title(schema, path)
    if kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, str) else expected[0]
        return path, f"「{title}」应为{_TYPE_ZH.get(expected, expected)}"
    if kind == "enum":
        return path, f"「{title}」的取值不在可选范围内"
    if kind == "const":
        return path, f"「{title}」必须确认"
    if kind == "format":
        return path, f"「{title}」格式不正确（日期应为 YYYY-MM-DD）"
    if kind == "pattern":
        return path, f"「{title}」格式不正确"
    if kind == "minLength":
        return path, f"「{title}」不能为空" if error.validator_value <= 1 else f"「{title}」至少 {error.validator_value} 个字"
    if kind == "maxLength":
        return path, f"「{title}」不能超过 {error.validator_value} 个字"
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"「{title}」不能小于 {error.validator_value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"「{title}」不能大于 {error.validator_value}"
    if kind == "minItems":
        return path, f"「{title}」至少需要 {error.validator_value} 项"
    if kind == "maxItems":
        return path, f"「{title}」最多 {error.validator_value} 项"
    return path or "_form", f"「{title}」填写有误"


# --- HTML forms → JSON -------------------------------------------------------
def coerce_html_form(schema: Mapping[str, Any], form: Mapping[str, str], ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Turn a flat HTML form (``members-0-name`` style) into typed JSON for validation.

    Values that cannot be converted are kept as strings so the validator reports
    a type error for the field instead of guessing. Unknown keys are kept too, so
    a forged extra field is refused rather than silently dropped.
    """
    props = schema.get("properties") or {}
    out: dict[str, Any] = {}
    seen_arrays: set[str] = set()
    for key in form:
        if key in ignore:
            continue
        base = key.split("-", 1)[0]
        if base in props and props[base].get("type") == "array" and "-" in key:
            seen_arrays.add(base)
            continue
        if base in props and props[base].get("type") == "array":
            continue
        if key not in props:
            out[key] = form[key]
            continue
        value = _coerce(props[key], form[key])
        if value is not None:
            out[key] = value
    for name, prop in props.items():
        if prop.get("type") == "boolean" and name not in out and f"{name}__present" in form:
            out[name] = False
        if prop.get("type") == "array" and name in seen_arrays:
            out[name] = _coerce_rows(name, prop.get("items", {}), form)
    return out


def _coerce_rows(name: str, item_schema, form) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    item_props = item_schema.get("properties") or {}
    for key in form:
        parts = key.split("-", 2)
        if len(parts) != 3 or parts[0] != name or not parts[1].isdigit():
            continue
        index, field = int(parts[1]), parts[2]
        raw = form[key]
        value = _coerce(item_props[field], raw) if field in item_props else raw
        if value is not None:
            rows.setdefault(index, {})[field] = value
    # A row left entirely blank in the HTML table is not a row.
    return [rows[i] for i in sorted(rows) if any(v not in ("", None) for v in rows[i].values())]


def _coerce(prop: Mapping[str, Any], raw: str) -> Any:
    raw = raw.strip() if isinstance(raw, str) else raw
    kind = prop.get("type")
    if raw == "" and kind != "boolean":
        return None
    if kind == "boolean":
        return {"true": True, "on": True, "1": True, "false": False, "0": False, "": None}.get(raw, raw)
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            value = float(raw)
            return int(value) if value.is_integer() and "." not in raw else value
        except ValueError:
            return raw
    return raw
