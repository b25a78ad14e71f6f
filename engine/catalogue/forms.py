"""JSON Schema forms: loading and deploy checks, server-side validation with Chinese messages, HTML coercion.

A form schema is designer text: at deploy ``check_form_schema`` refuses what could
starve the server (a ``pattern`` outside RE2's linear-time syntax, an unbounded
rendering hint) or break the page, naming the file and the field. Every submission
is then validated with the schema *plus* generic rules no schema can forget:

- text: no NUL or other control characters, no lone surrogates (neither store keeps
  them), at most ``maxLength`` characters, ``DEFAULT_MAX_LENGTH`` when the schema sets none;
- numbers: finite (no NaN/Infinity) and within ``minimum``/``maximum``, ``NUMBER_BOUND``
  or the 32-bit integer range when the schema sets none;
- lists: at most ``maxItems`` entries, ``DEFAULT_MAX_ITEMS`` when the schema sets none;
- dates (``format: date``): a plausible window around the clock's today, chosen by
  the ``x-date`` hint (``DATE_WINDOWS``; default ``near``: a decision or visit date
  within a year either side of today);
- ID numbers (``x-id-number``): region code, birth date and check digit (GB 11643),
  the birth date not in the future nor more than 130 years back;
- household member lists (``x-members``): no ID number twice, exactly one member whose
  relation is ``self`` (本人), and that member is the applicant (same name and ID number);
- counts that must add up (``x-sums``, engine.catalogue.form_sums): votes at most the participants.
"""
from __future__ import annotations

import copy
import json
import math
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as NumberInvalid

from engine.catalogue.form_sums import HINT as SUM_HINT, check_sum_hint, sum_problems
from engine.errors import DeployRefused, FormInvalid, Message, Problem
from engine.store.models import Case

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
ID_NUMBER = re.compile(r"^[1-9]\d{16}[\dX]$", re.ASCII)

# Bounds applied where a schema is silent (they also fit the widest text column, String(500) and Text).
DEFAULT_MAX_LENGTH = 2000
DEFAULT_MAX_ITEMS = 100
NUMBER_BOUND = 1e12
INTEGER_BOUND = 2**31 - 1
# Start-form fields copied into columns of the case row: never longer than the column.
COLUMN_LENGTHS = {name: Case.__table__.c[name].type.length for name in ("applicant_name", "applicant_id_number")}
# What a deployed schema may ask for at most: each value is rendered or allocated per request.
MAX_LENGTH_LIMIT = 20000
MAX_ITEMS_LIMIT = 200
MAX_ROWS = 50
MAX_ENUM = 200
MAX_PROPERTIES = 200
MAX_SCHEMA_DEPTH = 12
MAX_HINT_TEXT = 200
# x-date hint → (days before today, days after today) a date may lie.
DATE_WINDOWS: dict[str, tuple[int, int]] = {
    "near": (366, 366),      # decisions, visits, notices: the default
    "past": (366, 0),        # something that has happened: a death, the onset of a hardship
    "birth": (130 * 366, 0),
}
DATE_WINDOW_ZH = {"near": "应在今天前后一年以内", "past": "不能晚于今天，且应在一年以内", "birth": "不能晚于今天"}
DATE_WINDOW_EN = {"near": "must be within a year of today",
                  "past": "cannot be after today, and must be within the last year", "birth": "cannot be after today"}
ID_BIRTH_WINDOW = DATE_WINDOWS["birth"]
# A C0 control character other than tab and newlines, or a UTF-16 surrogate left alone by a JSON "\ud800".
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported as a deploy problem, not on stderr


def id_number_checksum_ok(value: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    return bool(ID_NUMBER.match(value)) and ric.calc_check_digit(value) == value[-1]


def with_check_digit(first17: str) -> str:
    """Complete 17 digits into a valid 18-character ID number (for demo and test data)."""
    return first17 + ric.calc_check_digit(first17 + "0")


def age_on(birth: date | None, today: date) -> int | None:
    """Full years on ``today``."""
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@lru_cache(maxsize=4096)  # bounded: the codes come from user input
def region_code_known(code: str) -> bool:
    """Whether python-stdnum's region table names a county with this 6-digit code (a linear search of the
    table, ~0.5 ms: remembered, there being a few thousand codes)."""
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def id_number_problem(value: str, today: date | None) -> Message | None:
    """What is wrong with a well-formed 18-character ID number (never quoting it), or None when it is valid."""
    if not id_number_checksum_ok(value):
        return Message("公民身份号码校验位不正确", "The ID number's check digit is wrong")
    # The region table of python-stdnum, without its check that the county existed in the birth
    # year: a code is that of the place of registration when the number was issued, often later.
    if not region_code_known(value[:6]):
        return Message("公民身份号码的地区代码不存在", "The ID number's region code does not exist")
    try:
        born = ric.get_birth_date(value)
    except NumberInvalid:
        return Message("公民身份号码中的出生日期不是有效日期", "The birth date in the ID number is not a valid date")
    if today is not None and not today - timedelta(days=ID_BIRTH_WINDOW[0]) <= born <= today:
        return Message("公民身份号码中的出生日期不合理", "The birth date in the ID number is not plausible")
    return None


def mask_id_number(value: str | None) -> str:
    """Show only the region prefix and the last four characters: 320922********1234."""
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def choice_titles(prop: Mapping[str, Any], english: bool) -> list | None:
    """A choice field's option titles in one language, one per ``enum`` value: the English ones
    (``x-enum-titles-en``) where the form has them, else the Chinese (``x-enum-titles``); None when it has
    neither (the values are shown as they are)."""
    chinese = prop.get("x-enum-titles")
    return prop.get("x-enum-titles-en", chinese) if english else chinese


def mask_account(value: str | None) -> str:
    """A payment account with only its last four digits: ************5678 (the bank's copy has it whole)."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


# --- deploy: loading and checking form files -------------------------------------
def load_form_files(directory: Path = FORMS_DIR) -> dict[str, dict[str, Any]]:
    """Every ``<formKey>.json`` schema in the forms directory, checked by ``check_form_schema``.

    Raises DeployRefused naming each file and field that is refused.
    """
    forms, problems = {}, []
    for path in sorted(directory.glob("*.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            problems.append(Problem(path.name, line, None, f"not valid JSON: {exc}", f"不是有效的 JSON：{exc}"))
            continue
        problems += check_form_schema(schema, path.name)
        forms[path.stem] = schema
    if problems:
        raise DeployRefused(problems)
    return forms


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
               "unevaluatedProperties", "unevaluatedItems", "additionalItems")
# x-household-signatures: a list of the household members present at a visit, each item's ``name`` one of the
# case's household members (the application's ``members``) and its ``signature`` who signed the record.
SIGNATURES_HINT = "x-household-signatures"
SIGNATURE_FIELDS = ("name", "signature")
_HINTS = {"x-title-en", "x-enum-titles", "x-enum-titles-en", "x-rows", "x-widget", "x-default", "x-id-number",
          "x-date", "x-members", SIGNATURES_HINT, SUM_HINT}
# x-members: which fields of the form hold the applicant; the member items' own fields are fixed.
MEMBER_HINT_KEYS = ("applicant_name", "applicant_id_number")
MEMBER_FIELDS = ("name", "id_number", "relation")
SELF = "self"
AUTHORISATION = "authorisation"  # a member item's 核对授权书: signed by the member (self) or the guardian
ADULT_AGE = 18


def _subschemas(node: Mapping[str, Any], path: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """(subschema, field path) of every schema nested in ``node``, with property names in the path."""
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield sub, ((f"{path}.{name}" if path else name) if key == "properties" else path)
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            for sub in node[key]:
                yield sub, path
    for key in _SCHEMA_ONE:
        if isinstance(node.get(key), dict):
            yield node[key], path


def check_form_schema(schema: Any, file_name: str) -> list[Problem]:
    """Problems that refuse a form schema at deploy, each naming ``file_name`` and the field.

    Beyond JSON Schema validity: every ``pattern`` must compile under RE2 (linear time),
    ``patternProperties`` is refused (jsonschema matches those with Python's backtracking
    ``re``), sizes are bounded, and every ``x-`` rendering hint is known and bounded.
    """
    problems: list[Problem] = []

    def problem(field: str, message: str, message_zh: str) -> None:
        problems.append(Problem(file_name, None, field or None, message, message_zh))

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        field = ".".join(str(p) for p in exc.path)
        problem(field, f"invalid JSON Schema: {exc.message}", f"不是有效的 JSON Schema：{exc.message}")
        return problems
    if not isinstance(schema, dict) or schema.get("type") != "object":
        problem("", "a form schema must be an object schema", "表单的 JSON Schema 必须是 object 类型")
        return problems

    def walk(node: Any, field: str, depth: int) -> None:
        if not isinstance(node, dict):
            return
        if depth > MAX_SCHEMA_DEPTH:
            problem(field, f"nested deeper than {MAX_SCHEMA_DEPTH} levels", f"嵌套超过 {MAX_SCHEMA_DEPTH} 层")
            return
        _check_node(node, field, problem)
        for sub, sub_field in _subschemas(node, field):
            walk(sub, sub_field, depth + 1)

    walk(schema, "", 0)
    check_sum_hint(schema, problem)
    return problems


def _check_node(node: Mapping[str, Any], field: str, problem) -> None:
    if "pattern" in node:
        try:
            re2.compile(node["pattern"], _RE2_OPTIONS)
        except re2.error as exc:
            detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            problem(field, f"pattern {node['pattern']!r} is not RE2 syntax ({detail}): back-references and "
                           "look-arounds can take exponential time",
                    f"正则表达式「{node['pattern']}」不被线性时间引擎 RE2 支持（{detail}）")
    if "patternProperties" in node:
        problem(field, "patternProperties is not supported in forms", "表单不支持 patternProperties")
    for key, limit in (("maxLength", MAX_LENGTH_LIMIT), ("maxItems", MAX_ITEMS_LIMIT),
                       ("enum", MAX_ENUM), ("properties", MAX_PROPERTIES)):
        value = node.get(key)
        size = len(value) if isinstance(value, (list, dict)) else value
        if isinstance(size, int) and size > limit:
            problem(field, f"{key} is {size}; at most {limit}", f"{key} 为 {size}，不能超过 {limit}")
    for key in sorted(k for k in node if k.startswith("x-")):
        if key == SUM_HINT and field:
            problem(field, f"{SUM_HINT} belongs at the top of the form", f"{SUM_HINT} 只能写在表单最外层")
        elif key not in _HINTS:
            problem(field, f"unknown rendering hint {key!r} (known: {', '.join(sorted(_HINTS))})",
                    f"未知的表单提示「{key}」")
    _check_hints(node, field, problem)
    _check_member_hint_fields(node, field, problem)


def _check_hints(node: Mapping[str, Any], field: str, problem) -> None:
    def text_ok(value: Any) -> bool:
        return isinstance(value, str) and len(value) <= MAX_HINT_TEXT

    if "x-title-en" in node and not text_ok(node["x-title-en"]):
        problem(field, f"x-title-en must be a text of at most {MAX_HINT_TEXT} characters",
                f"x-title-en 必须是不超过 {MAX_HINT_TEXT} 个字符的文字")
    for key in ("x-enum-titles", "x-enum-titles-en"):
        if key in node:
            titles, options = node[key], node.get("enum")
            if not (isinstance(titles, list) and isinstance(options, list) and len(titles) == len(options)
                    and all(text_ok(t) for t in titles)):
                problem(field, f"{key} must list one short text per enum value",
                        f"{key} 必须为每个可选值各给一个不超过 {MAX_HINT_TEXT} 个字符的名称")
    if "x-rows" in node:
        rows, most = node["x-rows"], min(MAX_ROWS, node.get("maxItems", MAX_ROWS))
        if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= most:
            problem(field, f"x-rows must be a whole number from 1 to {most}", f"x-rows 必须是 1 至 {most} 之间的整数")
    for key, allowed in (("x-widget", {"textarea"}), ("x-default", {"today"}), ("x-date", set(DATE_WINDOWS))):
        if key in node and node[key] not in allowed:
            problem(field, f"{key} must be one of {sorted(allowed)}", f"{key} 只能是 {'、'.join(sorted(allowed))}")
    if "x-date" in node and node.get("format") != "date":
        problem(field, "x-date applies to a field with format: date", "x-date 只能用于日期字段（format: date）")
    if "x-id-number" in node and not isinstance(node["x-id-number"], bool):
        problem(field, "x-id-number must be true or false", "x-id-number 只能是 true 或 false")
    if "x-members" in node:
        _check_member_hint(node, field, problem)
    if SIGNATURES_HINT in node:
        items = node.get("items")
        item_props = items.get("properties") if isinstance(items, dict) else None
        if node[SIGNATURES_HINT] is not True or node.get("type") != "array" or not isinstance(item_props, dict) \
                or not all(isinstance(item_props.get(name), dict) for name in SIGNATURE_FIELDS):
            problem(field, f"{SIGNATURES_HINT} is true on a list whose items have name and signature",
                    f"{SIGNATURES_HINT} 只能为 true，且只能用于每项有 name、signature 字段的列表")


def _check_member_hint(node: Mapping[str, Any], field: str, problem) -> None:
    hint, items = node["x-members"], node.get("items")
    item_props = items.get("properties") if isinstance(items, dict) else None
    if not (isinstance(hint, dict) and set(hint) == set(MEMBER_HINT_KEYS)
            and all(isinstance(target, str) for target in hint.values())):
        problem(field, f"x-members must name the form's fields {' and '.join(MEMBER_HINT_KEYS)}",
                f"x-members 必须给出表单中的 {'、'.join(MEMBER_HINT_KEYS)} 字段名")
    elif node.get("type") != "array" or not isinstance(item_props, dict) \
            or not all(isinstance(item_props.get(name), dict) for name in MEMBER_FIELDS) \
            or SELF not in (item_props["relation"].get("enum") or ()):
        problem(field, "x-members applies to a list whose items have name, id_number and relation (with 'self')",
                "x-members 只能用于成员列表：每项须有 name、id_number、relation 字段，relation 可选「self」（本人）")


def _check_member_hint_fields(node: Mapping[str, Any], field: str, problem) -> None:
    # The applicant fields an x-members hint names are fields of the same form, beside the list.
    props = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    for name, prop in props.items():
        hint = prop.get("x-members") if isinstance(prop, dict) else None
        if not isinstance(hint, dict):
            continue
        for target in hint.values():
            if isinstance(target, str) and not isinstance(props.get(target), dict):
                where = f"{field}.{name}" if field else name
                problem(where, f"x-members names {target!r}, which is not a field of this form",
                        f"x-members 指定的字段「{target}」不在本表单中")


# --- validation -----------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _re2(pattern: str):
    return re2.compile(pattern, _RE2_OPTIONS)


def _re2_pattern(validator, pattern, instance, schema):
    # Same semantics as jsonschema's `pattern` (an unanchored search), on a linear-time engine.
    if validator.is_type(instance, "string") and not _re2(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_FormSchemaValidator = validators.extend(Draft202012Validator, {"pattern": _re2_pattern})


def _with_default_bounds(node: Any) -> Any:
    """A copy of the schema where every string, number and list without a bound gets the default one."""
    if not isinstance(node, dict):
        return node
    out = {k: ([_with_default_bounds(v) for v in value] if k in _SCHEMA_LISTS else value) for k, value in node.items()}
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            out[key] = {name: _with_default_bounds(sub) for name, sub in node[key].items()}
    for key in _SCHEMA_ONE:
        if isinstance(node.get(key), dict):
            out[key] = _with_default_bounds(node[key])
    kind = node.get("type")
    if kind == "string":
        out.setdefault("maxLength", DEFAULT_MAX_LENGTH)
    elif kind in ("number", "integer"):
        bound = INTEGER_BOUND if kind == "integer" else NUMBER_BOUND
        if "maximum" not in node and "exclusiveMaximum" not in node:
            out["maximum"] = bound
        if "minimum" not in node and "exclusiveMinimum" not in node:
            out["minimum"] = -bound
    elif kind == "array":
        out.setdefault("maxItems", DEFAULT_MAX_ITEMS)
    return out


class FormValidator:
    """A compiled validator for one form schema (built once per process version)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ValueError(f"invalid form schema: {exc.message}") from exc
        self.schema = schema
        bounded = _with_default_bounds(copy.deepcopy(dict(schema)))
        for name, length in COLUMN_LENGTHS.items():
            prop = (bounded.get("properties") or {}).get(name)
            if isinstance(prop, dict) and prop.get("type") == "string":
                prop["maxLength"] = min(prop.get("maxLength", length), length)
        self._validator = _FormSchemaValidator(bounded, format_checker=FormatChecker())
        self._surely_valid = plain_object_check(bounded)

    def validate(self, data: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
        """Return the data if valid; raise FormInvalid with a Chinese message per field.

        ``today`` (the clock's) bounds dates to their plausible window; every caller taking
        input passes it.
        """
        errors: dict[str, Message] = {}
        _check_values(data, "", self.schema, errors)
        if errors:  # unstorable text or a NaN: the schema's own messages would only add noise
            raise FormInvalid.of(errors)
        # One message per field, the most basic first (a wrong type before a value out of range),
        # whatever order the stored schema's keys come in (PostgreSQL's JSONB reorders them).
        schema_errors = () if self._surely_valid is not None and self._surely_valid(data) else self._validator.iter_errors(data)
        for error in sorted(schema_errors, key=lambda e: e.validator != "type"):
            path = ".".join(str(p) for p in error.absolute_path)
            field, message = _message_zh(error, path, self.schema)
            if (field or "_form") not in errors:
                errors[field or "_form"] = Message(message, message_en(error, field, self.schema))
        _check_fields(data, "", self.schema, errors, today)
        if not errors and isinstance(data, Mapping):
            errors.update(sum_problems(self.schema, data))
        if errors:
            raise FormInvalid.of(errors)
        return dict(data)


# What a plain form's schema may say for the quick check to stand in for jsonschema (``plain_object_check``):
# annotations (no effect on validity) and a few keywords of flat objects of scalars.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment"})
_PLAIN_ROOT = _ANNOTATIONS | {"$schema", "type", "properties", "required", "additionalProperties"}
_PLAIN_PROPERTY = _ANNOTATIONS | {"type", "enum", "minLength", "maxLength", "minimum", "maximum", "pattern"}
_PLAIN_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def plain_object_check(schema: Mapping[str, Any]):
    """For a schema of a flat object of scalars — each property a string, integer, number or boolean with
    only ``enum``, lengths, bounds or a pattern (RE2, as the validator), ``required``, ``additionalProperties:
    false`` — a check that is True only for data jsonschema finds valid against it (stricter where that is
    simpler: an integer must be an ``int``, 3.0 is left to jsonschema); None for any other schema. Most
    data a form gets is valid, and the check takes a tenth of jsonschema's time; False means nothing but
    "ask jsonschema" (its messages then say what is wrong)."""
    def plain(node, allowed) -> bool:
        return isinstance(node, dict) and all(k in allowed or k.startswith("x-") for k in node)
    if not plain(schema, _PLAIN_ROOT) or schema.get("type") != "object":
        return None
    extra = schema.get("additionalProperties", True)
    properties, required = schema.get("properties", {}), schema.get("required", [])
    if extra not in (True, False) or not isinstance(properties, dict) or not isinstance(required, list):
        return None
    checks = {}
    for name, prop in properties.items():
        if not plain(prop, _PLAIN_PROPERTY) or not isinstance(prop.get("type"), str) or prop["type"] not in _PLAIN_TYPES:
            return None
        kinds = _PLAIN_TYPES[prop["type"]]
        enum = prop.get("enum")
        if enum is not None and not (isinstance(enum, list) and all(type(v) is str for v in enum)
                                     and kinds == (str,)):
            return None
        bounds = [prop.get(k) for k in ("minLength", "maxLength", "minimum", "maximum")]
        if any(b is not None and type(b) not in (int, float) for b in bounds):
            return None
        checks[name] = (kinds, frozenset(enum) if enum is not None else None, *bounds,
                        _re2(prop["pattern"]) if "pattern" in prop else None)
    wanted = frozenset(required)
    allowed = None if extra is True else frozenset(properties)

    def check(data) -> bool:
        if type(data) is not dict or not wanted <= data.keys() or (allowed is not None and not data.keys() <= allowed):
            return False
        for name, value in data.items():
            if name not in checks:
                continue
            kinds, enum, min_length, max_length, minimum, maximum, pattern = checks[name]
            if type(value) not in kinds or (enum is not None and value not in enum):
                return False
            if kinds == (str,):
                if ((min_length is not None and len(value) < min_length)
                        or (max_length is not None and len(value) > max_length)
                        or (pattern is not None and not pattern.search(value))):
                    return False
            elif kinds != (bool,) and ((minimum is not None and value < minimum)
                                       or (maximum is not None and value > maximum)):
                return False
        return True
    return check


def _check_values(value: Any, path: str, schema, errors: dict[str, Message], depth: int = 0) -> None:
    """Whatever the schema says: text a store can keep, finite numbers, bounded nesting."""
    zh, en = f"「{_title(schema, path)}」", f"“{_title(schema, path, 'x-title-en')}”"
    if depth > MAX_SCHEMA_DEPTH:
        errors.setdefault(path or "_form", Message("数据嵌套过深", "The data is nested too deeply"))
    elif isinstance(value, str):
        if _BAD_TEXT.search(value):
            errors.setdefault(path or "_form", Message(f"{zh}含有不允许的控制字符或无效字符",
                                                       f"{en} has control characters or invalid characters"))
        elif len(value) > MAX_LENGTH_LIMIT:
            errors.setdefault(path or "_form", Message(f"{zh}过长", f"{en} is too long"))
    elif isinstance(value, float) and not math.isfinite(value):
        errors.setdefault(path or "_form", Message(f"{zh}应为有效的数字", f"{en} must be a valid number"))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str) or _BAD_TEXT.search(key) or len(key) > MAX_HINT_TEXT:
                errors.setdefault("_form", Message("包含无效的字段名", "There are invalid field names"))
                continue
            _check_values(item, sub, schema, errors, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_values(item, f"{path}.{i}", schema, errors, depth + 1)


def _check_fields(data, prefix, schema, errors, today: date | None) -> None:
    # Meaning beyond what a JSON Schema keyword can say: ID numbers and plausible dates.
    for name, prop in (schema.get("properties") or {}).items():
        value = data.get(name) if isinstance(data, Mapping) else None
        path = f"{prefix}{name}"
        if not isinstance(prop, Mapping) or path in errors:
            continue
        if prop.get("x-id-number") and isinstance(value, str) and ID_NUMBER.match(value):
            if message := id_number_problem(value, today):
                errors[path] = message
        if prop.get("format") == "date" and isinstance(value, str) and today is not None:
            if message := _date_problem(prop, value, today):
                errors[path] = message
        if prop.get("type") == "array" and isinstance(value, list):
            for i, item in enumerate(value):
                _check_fields(item, f"{path}.{i}.", prop.get("items", {}), errors, today)
            if isinstance(prop.get("x-members"), Mapping):
                _check_members(value, path, data, prefix, prop["x-members"], errors)
                _check_authorisations(value, path, errors, today)


def _check_authorisations(members: list, path: str, errors: dict[str, Message], today: date | None) -> None:
    """Every member signs the authorisation to check (57号 Art. 9); a minor's guardian signs for them."""
    for i, member in enumerate(members):
        number = member.get("id_number") if isinstance(member, Mapping) else None
        if (today is None or member.get(AUTHORISATION) != SELF or f"{path}.{i}.id_number" in errors
                or not isinstance(number, str) or id_number_problem(number, today)):
            continue
        if age_on(ric.get_birth_date(number), today) < ADULT_AGE:
            errors.setdefault(f"{path}.{i}.{AUTHORISATION}", Message(
                "未满十八周岁的成员，核对授权书由其监护人代签",
                "A member under eighteen does not sign the authorisation: their guardian signs it for them"))


def _check_members(members: list, path: str, form: Mapping[str, Any], prefix: str, hint: Mapping[str, str],
                   errors: dict[str, Message]) -> None:
    """A household list: each ID number once, one 本人, and that 本人 is the applicant."""
    rows = [(i, m) for i, m in enumerate(members) if isinstance(m, Mapping)]
    by_number: dict[str, list[int]] = {}
    for i, member in rows:
        if isinstance(member.get("id_number"), str):
            by_number.setdefault(member["id_number"], []).append(i)
    for numbers in by_number.values():
        for i in numbers[1:]:
            errors.setdefault(f"{path}.{i}.id_number", Message(
                "公民身份号码与前面一名成员相同：每人只能登记一次",
                "The ID number is that of a member above: each person is listed only once"))
    selves = [i for i, member in rows if member.get("relation") == SELF]
    if not selves:
        if not any(key.startswith(f"{path}.") and key.endswith(".relation") for key in errors):
            errors.setdefault(path, Message(
                "家庭成员中须有申请人本人：请将申请人列为成员，与申请人关系选「本人」",
                "The applicant must be one of the household members: list them with the relation “self”"))
        return
    for i in selves[1:]:
        errors.setdefault(f"{path}.{i}.relation", Message("只能有一名成员的与申请人关系为「本人」",
                                                          "Only one member can have the relation “self”"))
    applicant, checks = members[selves[0]], (("id_number", "applicant_id_number", "公民身份号码", "ID number"),
                                             ("name", "applicant_name", "姓名", "name"))
    for field, hint_key, label, label_en in checks:
        wanted = form.get(hint[hint_key])
        if f"{prefix}{hint[hint_key]}" not in errors and isinstance(wanted, str) and applicant.get(field) != wanted:
            errors.setdefault(f"{path}.{selves[0]}.{field}", Message(
                f"「本人」的{label}应与申请人{label}一致", f"The {label_en} of “self” must be the applicant's {label_en}"))


def _date_problem(prop: Mapping[str, Any], value: str, today: date) -> Message | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None  # the format check already said so
    window = prop.get("x-date", "near")
    before, after = DATE_WINDOWS[window]
    if today - timedelta(days=before) <= day <= today + timedelta(days=after):
        return None
    return Message(f"「{prop.get('title', '日期')}」{DATE_WINDOW_ZH[window]}（{day.isoformat()} 不合理）",
                   f"“{prop.get('x-title-en', prop.get('title', 'The date'))}” {DATE_WINDOW_EN[window]} "
                   f"({day.isoformat()} is not plausible)")


_TYPE_ZH = {"string": "文字", "number": "数字", "integer": "整数", "boolean": "是/否", "array": "列表", "object": "对象"}


def _title(schema: Mapping[str, Any], path: str, key: str = "title") -> str:
    node: Any = schema
    for part in path.split(".") if path else []:
        if not isinstance(node, Mapping):
            return path
        if part.isdigit():
            node = node.get("items", {})
        else:
            node = (node.get("properties") or {}).get(part, {})
    return node.get(key, node.get("title", path)) if isinstance(node, Mapping) else path


_TYPE_EN = {"string": "text", "number": "a number", "integer": "a whole number", "boolean": "yes or no",
            "array": "a list", "object": "an object"}


def message_en(error, field: str, schema) -> str:
    """The English message of a schema error on ``field`` (the form's English titles, ``x-title-en``), for the
    English UI beside ``_message_zh``'s Chinese one."""
    kind, limit = error.validator, error.validator_value
    title = _title(schema, field, "x-title-en")
    if kind in ("additionalProperties", "unevaluatedProperties"):
        return "Fields that are not in the form: " + ", ".join(
            sorted(set(error.instance) - set(error.schema.get("properties", {}))))
    messages = {
        "required": f"“{title}” is required", "enum": f"“{title}” is not one of the choices",
        "const": f"“{title}” must be confirmed", "format": f"“{title}” is not valid (a date is YYYY-MM-DD)",
        "pattern": f"“{title}” is not in the right form",
        "minLength": f"“{title}” must not be empty" if kind == "minLength" and limit <= 1
        else f"“{title}” needs at least {limit} characters",
        "maxLength": f"“{title}” may have at most {limit} characters",
        "minimum": f"“{title}” must be at least {_number_text(limit)}",
        "exclusiveMinimum": f"“{title}” must be more than {_number_text(limit)}",
        "maximum": f"“{title}” must be at most {_number_text(limit)}",
        "exclusiveMaximum": f"“{title}” must be less than {_number_text(limit)}",
        "minItems": f"“{title}” needs at least {limit} rows", "maxItems": f"“{title}” may have at most {limit} rows",
    }
    if kind == "contains":
        return f"“{title}” needs at least one row with {limit.get('x-title-en', 'what the form asks')}"
    if kind == "type":
        expected = limit if isinstance(limit, str) else limit[0]
        return f"“{title}” must be {_TYPE_EN.get(expected, expected)}"
    return messages.get(kind, f"“{title}” is not valid")


def _number_text(value) -> str:
    # 1e12 reads as 1000000000000, 0.5 as 0.5
    return str(int(value)) if isinstance(value, (int, float)) and float(value).is_integer() else str(value)


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
        return path, f"「{title}」不能小于 {_number_text(error.validator_value)}"
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"「{title}」不能大于 {_number_text(error.validator_value)}"
    if kind == "minItems":
        return path, f"「{title}」至少需要 {error.validator_value} 项"
    if kind == "contains":
        return path, f"「{title}」须至少有一项：{error.validator_value.get('title', '符合要求')}"
    if kind == "maxItems":
        return path, f"「{title}」最多 {error.validator_value} 项"
    return path or "_form", f"「{title}」填写有误"


def household_signature_problems(schema: Mapping[str, Any], data: Mapping[str, Any], members: Any) -> FormInvalid | None:
    """Each person a visit record lists as present (``x-household-signatures``) is a member of the case's
    household (the application's ``members``, by name), as the 核对授权书 is signed by members (57号 Art. 16);
    None when they all are (or the case has no member list)."""
    names = {m.get("name") for m in members if isinstance(m, Mapping)} if isinstance(members, list) else None
    errors: dict[str, Message] = {}
    for field, prop in (schema.get("properties") or {}).items():
        rows = data.get(field)
        if not names or not isinstance(prop, Mapping) or prop.get(SIGNATURES_HINT) is not True \
                or not isinstance(rows, list):
            continue
        for i, row in enumerate(rows):
            if isinstance(row, Mapping) and row.get("name") not in names:
                name = row.get("name")
                errors[f"{field}.{i}.name"] = Message(f"「{name}」不是申请登记的共同生活家庭成员",
                                                      f"“{name}” is not a household member of the application")
    return FormInvalid.of(errors) if errors else None


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
            out[name] = [row for _index, row in _html_rows(name, prop.get("items", {}), form)]
    return out


def errors_for_html_form(schema: Mapping[str, Any], form: Mapping[str, str], errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by the HTML table's row numbers: blank rows are left out of the JSON list, so
    ``members.3.name`` of the list may be row ``members-4-name`` of the form."""
    rows = {name: [index for index, _row in _html_rows(name, prop.get("items", {}), form)]
            for name, prop in (schema.get("properties") or {}).items() if prop.get("type") == "array"}
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] in rows and parts[1].isdigit() and int(parts[1]) < len(rows[parts[0]]):
            parts[1] = str(rows[parts[0]][int(parts[1])])
        out[".".join(parts)] = message
    return out


def _html_rows(name: str, item_schema, form) -> list[tuple[int, dict[str, Any]]]:
    rows: dict[int, dict[str, Any]] = {}
    item_props = item_schema.get("properties") or {}
    for key in form:
        cell = _row_cell(key)
        if cell is None or cell[0] != name:
            continue
        _name, index, field = cell
        raw = form[key]
        value = _coerce(item_props[field], raw) if field in item_props else raw
        if value is not None:
            rows.setdefault(index, {})[field] = value
    # A row left entirely blank in the HTML table is not a row.
    return [(i, rows[i]) for i in sorted(rows) if any(v not in ("", None) for v in rows[i].values())]


def _row_cell(key: str) -> tuple[str, int, str] | None:
    """(list, row, field) of an HTML table cell named ``members-3-name``, or None for another field."""
    parts = key.split("-", 2)
    # A row index is at most a few digits: members-99999999999-name is not a row of any rendered form.
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or len(parts[1]) > 4:
        return None
    return parts[0], int(parts[1]), parts[2]


_BROKEN_FORM = Message("表单已损坏，请刷新页面后重新填写", "The form is damaged: reload the page and fill it in again")


class HtmlRows(NamedTuple):
    shown: int  # rows the HTML table shows
    most: int   # rows the list may hold (its maxItems)


def html_row_layout(schema: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, HtmlRows]:
    """The rows each list of an HTML form shows: as many as ``values`` (a submitted form) has, ``x-rows``
    when it has none, never more than the list may hold."""
    layout = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not (isinstance(prop, Mapping) and prop.get("type") == "array"):
            continue
        most = min(prop.get("maxItems", DEFAULT_MAX_ITEMS), MAX_ITEMS_LIMIT)
        rows = [cell[1] for cell in map(_row_cell, values) if cell is not None and cell[0] == name]
        shown = max(rows) + 1 if rows else min(prop.get("x-rows", 3), MAX_ROWS)
        layout[name] = HtmlRows(max(1, min(shown, most)), most)
    return layout


def change_html_rows(schema: Mapping[str, Any], form: Mapping[str, str], action: str) -> dict[str, str]:
    """The submitted values with a row added to a list (``add:members``) or one removed (``remove:members:3``,
    the rows after it moving up): what the form's row buttons do without JavaScript. The last row removed
    leaves a blank one. Raises FormInvalid for a full list or a button no page shows."""
    verb, _, rest = action.partition(":")
    name, _, index = rest.partition(":")
    layout = html_row_layout(schema, form)
    if name not in layout:
        raise FormInvalid.of({"_form": _BROKEN_FORM})
    shown, most = layout[name]
    fields = list((schema["properties"][name].get("items") or {}).get("properties") or {})
    rows = [{field: form.get(f"{name}-{i}-{field}", "") for field in fields} for i in range(shown)]
    if verb == "add" and not index:
        if shown >= most:
            raise FormInvalid.of({name: Message(f"「{_title(schema, name)}」最多 {most} 项",
                                                f"“{_title(schema, name, 'x-title-en')}” may have at most {most} "
                                                "rows")})
        rows.append(dict.fromkeys(fields, ""))
    elif verb == "remove" and index.isascii() and index.isdigit() and len(index) <= 4 and int(index) < shown:
        del rows[int(index)]
    else:
        raise FormInvalid.of({"_form": _BROKEN_FORM})
    out = {key: value for key, value in form.items() if (_row_cell(key) or ("",))[0] != name}  # the other fields
    out.update({f"{name}-{i}-{field}": value for i, row in enumerate(rows or [dict.fromkeys(fields, "")])
                for field, value in row.items()})
    return out


def _coerce(prop: Mapping[str, Any], raw: str) -> Any:
    raw = raw.strip() if isinstance(raw, str) else raw
    kind = prop.get("type")
    if raw == "" and kind != "boolean":
        return None
    if kind == "boolean":
        return {"true": True, "on": True, "1": True, "false": False, "0": False, "": None}.get(raw, raw)
    if kind == "integer":
        try:
            return int(raw) if len(raw) <= 20 else raw
        except ValueError:
            return raw
    if kind == "number":
        try:
            value = float(raw) if len(raw) <= 40 else math.nan
        except ValueError:
            return raw
        # "nan", "inf" and 1e999 parse as floats but are no amount; kept as text, they are refused as such.
        if not math.isfinite(value):
            return raw
        return int(value) if value.is_integer() and "." not in raw else value
    return raw
