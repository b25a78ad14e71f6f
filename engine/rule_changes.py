"""County rules as an administrator changes them in the browser: a dated entry (a delegation model, or the
parameters) for a county or one township, laid over processes/counties.toml in ``county_rule_entry``; an
entry retired from a date, never deleted.

An entry is read from the posted form into the shape counties.toml gives an entry and checked by the file's
own checks (``rules.entry_schema`` and ``rules.entry_problems``: one validation). Every value that differs
from the entry it supersedes needs its source (a document and its 文号) or an assumption with the reason.
The change must leave every deployed route inside its time budget in every place and era
(``budgets.check_budget`` over the newest version of each route, under the county data with the change) and
must leave no place without rules or a model on any day from today. A change applies from its date to new
cases only: a case copies the values in force on the day it is lodged (``rules.case_parameters``). Every
change is recorded in the security audit trail with the values before and after. The caller commits.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping

from jsonschema import Draft202012Validator
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.catalogue.budgets import check_budget
from engine.catalogue.deployment import NS
from engine.catalogue.rules import (APPEAL, BOOK_LISTS, ENTRY_KINDS, MONTHLY_BY_TYPE, appeal_of, appeal_schema, catalog,
                                    entry_problems, entry_schema, in_force_among, model_among, rule_book,
                                    rule_entries_of, stored_entry)
from engine.errors import FormInvalid, Message, NotFound
from engine.people.accounts import Principal
from engine.people.security_events import record_event
from engine.people.users import require_admin
from engine.store.models import CountyRuleEntry, ProcessVersion, Unit, User

MAX_NOTE_CHARS = 2000
MAX_SOURCE_CHARS = 500          # as counties.toml allows a source or an assumption
MAX_YEARS_AHEAD = 10
NOTES = ("sources", "assumptions")
# What an entry says about itself rather than a value of the county's rules.
PLACE_KEYS = ("effective_from", "township", *NOTES)

# The name of each value in messages and on the pages: (Chinese, English).
FIELD_NAMES = {
    "model": ("审批模式", "Delegation model"), "overrides": ("按救助类别另定的模式", "Model of a type"),
    "minimum_living_standard": ("低保标准（元/月）", "低保 standard (yuan a month)"),
    "publicity_days": ("公示期", "Publicity length"), "publicity_unit": ("公示期计算单位", "Publicity counted in"),
    "democratic_appraisal": ("民主评议", "Democratic appraisal"),
    "time_limit_wd": ("办结时限（工作日）", "Overall time limit (working days)"),
    "extension_limit_wd": ("延长办结时限至（工作日）", "Extension up to (working days)"),
    "publicity_excluded_from_limit": ("公示期不计入办结时限", "Publicity outside the time limit"),
    "small_temporary_multiple": ("小额临时救助：不超过低保标准的倍数", "Small temporary assistance: up to × the 低保 standard"),
    "review_interval_months_a": ("A类复核间隔（月）", "Review interval, class A (months)"),
    "review_interval_months_b": ("B类复核间隔（月）", "Review interval, class B (months)"),
    "review_interval_months_c": ("C类复核间隔（月）", "Review interval, class C (months)"),
    "review_interval_months_by_type": ("按类别的复核间隔（月）", "Review interval by type (months)"),
    "death_review_months_by_type": ("家庭成员死亡后复核期限（月），按类别", "Review after a member's death, by type (months)"),
    "time_limit_wd_by_type": ("按类别的办结时限（工作日）", "Overall time limit by type (working days)"),
    "disability_living_subsidy": ("困难残疾人生活补贴（元/月）", "Living subsidy for the disabled (yuan a month)"),
    "disability_nursing_subsidy_severe": ("重度残疾人护理补贴，一级（元/月）", "Nursing subsidy, level 1 (yuan a month)"),
    "disability_nursing_subsidy": ("重度残疾人护理补贴，其他等级（元/月）", "Nursing subsidy, other levels (yuan a month)"),
    "old_age_min_age": ("尊老金起始年龄", "Old-age allowance from the age of"),
    "old_age_allowance_80_89": ("尊老金，80—89 周岁（元/月）", "Old-age allowance, 80–89 (yuan a month)"),
    "old_age_allowance_90_99": ("尊老金，90—99 周岁（元/月）", "Old-age allowance, 90–99 (yuan a month)"),
    "old_age_allowance_100_plus": ("尊老金，100 周岁及以上（元/月）", "Old-age allowance, 100 and over (yuan a month)"),
    "extreme_poverty_basic_multiple": ("特困基本生活标准：低保标准的倍数", "特困 basic living: × the 低保 standard"),
    "extreme_poverty_care_ratio_self_care": ("特困照料护理标准，完全自理：低保标准的倍数",
                                             "特困 care allowance, self-care: × the 低保 standard"),
    "extreme_poverty_care_ratio_partial": ("特困照料护理标准，部分失能：低保标准的倍数",
                                           "特困 care allowance, partly dependent: × the 低保 standard"),
    "extreme_poverty_care_ratio_total": ("特困照料护理标准，完全失能：低保标准的倍数",
                                         "特困 care allowance, fully dependent: × the 低保 standard"),
    "orphan_basic_allowance": ("特困人员（孤儿）基本生活费，分散供养（元/月）",
                               "特困 orphan: basic living allowance, dispersed (yuan a month)"),
    "orphan_basic_allowance_centralised": ("特困人员（孤儿）基本生活费，集中供养（元/月）",
                                           "特困 orphan: basic living allowance, in an institution (yuan a month)"),
    "orphan_review_lead_days": ("孤儿年满18周岁前发起复核的天数", "Days before an orphan's 18th birthday its review starts"),
    "low_income_income_multiple": ("低收入：人均收入低于低保标准的倍数", "Low income: income under × the 低保 standard"),
    "low_income_asset_months": ("低收入：财产不超过低保标准的月数", "Low income: assets up to months of the standard"),
    "low_income_valid_months": ("低收入：认定有效期（月）", "Low income: recognition valid for (months)"),
    "rigid_income_limit": ("刚性支出：上年度当地居民人均可支配收入（元/年）",
                           "Rigid expenses: last year's local disposable income a head (yuan a year)"),
    "rigid_expense_share": ("刚性支出：超过家庭年收入的比例", "Rigid expenses: share of the yearly income they must exceed"),
    "rigid_valid_months": ("刚性支出：认定有效期（月）", "Rigid expenses: recognition valid for (months)"),
    "sampling_share": ("县级抽查乡镇审核确认的比例", "Share of township approvals the county samples"),
    "publicity_min_workdays": ("公示期不少于（工作日）", "Publicity at least (working days)"),
    "effective_from": ("生效日期", "In force from"), "township": ("乡镇（街道）", "Township / street"),
    "note": ("变更说明", "Change note"), "retired_from": ("停止生效日期", "Retired from"),
    # what every refusal names (kind appeal)
    "authority": ("行政复议机关", "Administrative review authority"), "court": ("管辖法院", "Court"),
    "review_days": ("申请行政复议期限（日）", "Administrative review within (days)"),
    "litigation_months": ("提起行政诉讼期限（月）", "Litigation within (months)"),
    "complaints_phone": ("监督投诉电话", "Complaints telephone"),
    "complaints_phone_note": ("投诉电话说明", "About the telephone"),
    "source": ("依据（文件名称及文号）", "Source (document and 文号)"), "assumption": ("假设及理由", "Assumption and reason"),
}
APPEAL_FIELDS = ("authority", "court", "review_days", "litigation_months", "complaints_phone",
                 "complaints_phone_note", "source", "assumption")
APPEAL_REQUIRED = tuple(appeal_schema()["required"])


def field_name(name: str, zh: bool = True) -> str:
    """A value's name for a person (``time_limit_wd_by_type.low_income`` → its field and the type's name)."""
    field, _, key = name.partition(".")
    names = FIELD_NAMES.get(field)
    text = (names[0] if zh else names[1]) if names else field
    if key:
        kind = catalog().get(key)
        text += f" · {(kind['name_zh'] if zh else kind['name_en']) if kind else key}"
    return text


def value_fields(kind: str) -> dict[str, dict[str, Any]]:
    """The values an entry of ``kind`` (models, rules) holds, by name, with their schemas, in the file's order:
    what the edit form asks for."""
    return {name: schema for name, schema in entry_schema(kind)["properties"].items() if name not in PLACE_KEYS}


def by_type_choices(field: str) -> list[str]:
    """The assistance types a per-type value may name (review intervals: the types paid monthly)."""
    types = catalog()
    if field in MONTHLY_BY_TYPE:
        return [k for k, t in types.items() if (t.get("benefit") or {}).get("payment") == "monthly"]
    if field == "overrides":
        return [k for k, t in types.items() if len(t.get("variants", {})) > 1]
    return list(types)


def note_names(entry: dict[str, Any], kind: str) -> list[str]:
    """Every name a source or an assumption of the entry may be given under: each value, and each key of a
    per-type value."""
    names = []
    for field in value_fields(kind):
        value = entry.get(field)
        if isinstance(value, dict):
            names.extend(f"{field}.{key}" for key in value)
        elif value is not None:
            names.append(field)
    return names


def _value_of(entry: dict[str, Any] | None, name: str) -> Any:
    if entry is None:
        return None
    field, _, key = name.partition(".")
    value = entry.get(field)
    return (value or {}).get(key) if key else value


def _note_of(entry: dict[str, Any] | None, name: str) -> tuple[str, str]:
    """(kind of note, its text) the entry gives a value (or, for a per-type value, its whole field)."""
    for candidate in (name, name.partition(".")[0]):
        for notes in NOTES:
            text = ((entry or {}).get(notes) or {}).get(candidate)
            if text:
                return notes, text
    return "", ""


def _place(session: Session, county_code: str, township_code: str,
           lock: bool = False) -> tuple[dict[str, Any], str | None]:
    """The county's data (file and stored entries) and the township's code, both checked. ``lock`` holds the
    county's unit row (PostgreSQL ``FOR UPDATE``; SQLite's writing unit of work holds the whole store) so two
    admins' changes to one county are checked one after the other, each against the other's."""
    if lock:
        session.execute(select(Unit.id).where(Unit.code == county_code, Unit.level == "county").with_for_update())
    county = rule_book(session, county_code).get(county_code)
    if county is None:
        raise FormInvalid.of({"county": Message(f"县（区）{county_code} 还没有救助规则：请先在「县（区）救助规则」页为其设立规则",
                                                f"County (district) {county_code} has no assistance rules yet: set "
                                                "them up first on the “County rules” page")})
    if not township_code:
        return county, None
    parent = select(Unit.id).where(Unit.code == county_code, Unit.level == "county").scalar_subquery()
    found = session.execute(select(Unit.id).where(Unit.code == township_code, Unit.level == "township",
                                                  Unit.parent_id == parent)).first()
    if found is None:
        raise FormInvalid.of({"township": Message(f"乡镇（街道）{township_code} 不是 {county['name']} 的乡镇（街道）",
                                                  f"Township (street) {township_code} is not one of {county['name']}")})
    return county, township_code


def entry_in_force(county: dict[str, Any], kind: str, township: str | None, on: date) -> dict[str, Any] | None:
    """The entry of ``kind`` a new case of the place would find on a date (the one a new entry supersedes)."""
    if kind == "models":
        return model_among(county["models"], township, on)
    return in_force_among(rule_entries_of(county, township), on)


def rule_edit_form(session: Session, today: date, county_code: str, township_code: str, kind: str,
              on: date | None = None) -> dict[str, Any]:
    """What the edit form opens with: the place, and the entry in force there on ``on`` (today when None),
    whose values and notes fill the form."""
    if kind not in ENTRY_KINDS:
        raise NotFound(f"no kind of entry {kind!r}", "没有这一类规则", message_en="No such kind of rule")
    county, township = _place(session, county_code, township_code)
    base = entry_in_force(county, kind, township, on or today)
    townships = session.execute(select(Unit.code, Unit.name).where(
        Unit.level == "township", Unit.parent_id == select(Unit.id).where(
            Unit.code == county["code"], Unit.level == "county").scalar_subquery()).order_by(Unit.code)).all()
    return {"county": county, "township": township, "kind": kind, "base": base, "values": form_of_entry(kind, base),
            "townships": [tuple(t) for t in townships], "models": sorted(
                {v for t in catalog().values() for v in t["variants"]}),
            "variants": {k: [(v, d["name_zh"], d["name_en"]) for v, d in t["variants"].items()]
                         for k, t in catalog().items()},
            "fields": value_fields(kind), "choices": {f: by_type_choices(f) for f, s in value_fields(kind).items()
                                                      if s.get("type") == "object"}}


def form_of_entry(kind: str, entry: dict[str, Any] | None) -> dict[str, str]:
    """An entry as the edit form's fields hold it (``entry_from_form`` read back): the values and their notes."""
    values: dict[str, str] = {}
    if entry is None:
        return values
    for field in value_fields(kind):
        value = entry.get(field)
        if isinstance(value, dict):
            values.update({f"{field}.{key}": str(v) for key, v in value.items()})
        elif isinstance(value, bool):
            values[field] = "true" if value else "false"
        elif value is not None:
            values[field] = str(value)
    for notes, prefix in (("sources", "source."), ("assumptions", "assumption.")):
        values.update({prefix + name: text for name, text in (entry.get(notes) or {}).items()})
    return values


def _typed(raw: str, schema: dict[str, Any]) -> Any:
    """A form's text as the schema's type; left as text when it is not one (the schema then names it)."""
    raw = raw.strip()
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            number = float(raw)
            return int(number) if number.is_integer() else number
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def entry_from_form(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The values and notes of a posted entry, as counties.toml writes them (dates left as text)."""
    entry: dict[str, Any] = {}
    for field, schema in value_fields(kind).items():
        if schema.get("type") == "object":
            inner = schema.get("additionalProperties") or {"type": "string"}
            values = {key: _typed(form.get(f"{field}.{key}", ""), inner) for key in by_type_choices(field)
                      if (form.get(f"{field}.{key}") or "").strip()}
            if values or field in entry_schema(kind).get("required", ()):
                entry[field] = values
        elif (form.get(field) or "").strip():
            entry[field] = _typed(form[field], schema)
    for name in note_names(entry, kind):
        for notes, prefix in (("sources", "source."), ("assumptions", "assumption.")):
            text = (form.get(prefix + name) or "").strip()
            if text:
                entry.setdefault(notes, {})[name] = text
    return entry


_WHAT = {"integer": ("整数", "a whole number"), "number": ("数字", "a number"), "boolean": ("是或否", "yes or no"),
         "string": ("文字", "text"), "object": ("按类别的取值", "values by type")}


def _schema_message(error, label: str) -> Message:
    """The message of a schema error of the value named ``label``."""
    schema, kind = error.schema, error.validator
    zh, en = f"「{field_name(label)}」", f"“{field_name(label, zh=False)}”"
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return Message(f"{zh}请填写「{field_name(missing)}」", f"{en}: enter “{field_name(missing, zh=False)}”")
    if kind == "enum":
        return Message(f"{zh}只能选择：" + "、".join(str(v) for v in schema["enum"]),
                       f"{en} can only be one of: " + ", ".join(str(v) for v in schema["enum"]))
    if kind == "additionalProperties":
        return Message(f"{zh}含有不认识的取值", f"{en} has values that are not known")
    if kind == "maxLength":
        return Message(f"{zh}不能超过 {schema['maxLength']} 字", f"{en} may have at most {schema['maxLength']} characters")
    if kind == "minLength":
        return Message(f"{zh}不能为空", f"{en} cannot be empty")
    bounds = [(f"{word_zh} {schema[key]}", f"{word_en} {schema[key]}") for key, word_zh, word_en in (
        ("minimum", "不小于", "at least"), ("exclusiveMinimum", "大于", "more than"), ("maximum", "不大于", "at most"))
        if key in schema]
    what = _WHAT.get(schema.get("type"), ("有效取值", "a valid value"))
    return Message(f"{zh}应为{what[0]}" + (f"（{'，'.join(b[0] for b in bounds)}）" if bounds else ""),
                   f"{en} must be {what[1]}" + (f" ({', '.join(b[1] for b in bounds)})" if bounds else ""))


def _check(kind: str, county_code: str, entry: dict[str, Any]) -> dict[str, Message]:
    """The file's checks of an entry (schema, then ``entry_problems``): field name → message."""
    errors: dict[str, Message] = {}
    plain = {**entry, "effective_from": entry["effective_from"].isoformat()}
    for error in Draft202012Validator(entry_schema(kind)).iter_errors(plain):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            name = label = error.message.split("'")[1]
        elif path and path[0] in NOTES:
            name, label = f"source.{'.'.join(path[1:2])}", ".".join(path[1:2])
        else:
            name = label = ".".join(path[:2]) or "entry"
        errors.setdefault(name, _schema_message(error, label))
    if not errors:
        for path, message, message_zh in entry_problems(kind, county_code, entry):
            errors.setdefault(".".join(map(str, path)), Message(message_zh, message[:1].upper() + message[1:]))
    return errors


def _notes_problems(entry: dict[str, Any], base: dict[str, Any] | None, kind: str) -> dict[str, Message]:
    """Every value changed from the entry it supersedes must say where it comes from, in words of its own."""
    errors: dict[str, Message] = {}
    for name in note_names(entry, kind):
        if base is not None and _value_of(base, name) == _value_of(entry, name):
            continue
        given = _note_of(entry, name)[1]
        if not given:
            errors[f"source.{name}"] = Message(
                f"「{field_name(name)}」已修改：请填写依据（文件名称及文号），或写明所作假设及其理由",
                f"“{field_name(name, zh=False)}” was changed: give its source (the document's title and number), "
                "or the assumption made and why")
        elif base is not None and given == _note_of(base, name)[1]:
            errors[f"source.{name}"] = Message(
                f"「{field_name(name)}」已修改：依据仍是原取值的依据，请写明新取值的依据或假设",
                f"“{field_name(name, zh=False)}” was changed but its source is still that of the old value: give the "
                "new value's source or assumption")
    for notes in NOTES:
        for name, text in (entry.get(notes) or {}).items():
            if len(text) > MAX_SOURCE_CHARS:
                errors[f"source.{name}"] = Message(
                    f"「{field_name(name)}」的依据不能超过 {MAX_SOURCE_CHARS} 字",
                    f"The source of “{field_name(name, zh=False)}” may have at most {MAX_SOURCE_CHARS} characters")
    return errors


def _checked_date(raw: Any, today: date, field: str) -> date:
    try:
        value = date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise FormInvalid.of({field: Message(f"「{field_name(field)}」应为日期，格式如 2027-01-01",
                                             f"“{field_name(field, zh=False)}” must be a date, written like 2027-01-01"
                                             )}) from None
    if value < today:
        raise FormInvalid.of({field: Message(
            f"「{field_name(field)}」不能早于今天（{today}）：已受理的案件沿用受理当日的规则，规则只能从今天或以后生效",
            f"“{field_name(field, zh=False)}” cannot be before today ({today}): an accepted case keeps the rules of the "
            "day it was accepted, so rules take effect from today or later")})
    if value > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise FormInvalid.of({field: Message(f"「{field_name(field)}」不能晚于 {MAX_YEARS_AHEAD} 年以后",
                                             f"“{field_name(field, zh=False)}” cannot be more than {MAX_YEARS_AHEAD} "
                                             "years ahead")})
    return value


def _checked_note(raw: Any, field: str = "note") -> str:
    note = raw.strip() if isinstance(raw, str) else ""
    if not note:
        raise FormInvalid.of({field: Message("请填写变更说明（为什么修改）", "Give a note on the change (why it is made)")})
    if len(note) > MAX_NOTE_CHARS:
        raise FormInvalid.of({field: Message(f"变更说明不能超过 {MAX_NOTE_CHARS} 字",
                                             f"The note may have at most {MAX_NOTE_CHARS} characters")})
    return note


def _budget_problems(session: Session, book: dict[str, dict]) -> list[Message]:
    """The newest version of every deployed route whose time budget ``book`` breaks, each naming the route
    and its longest ordinary path (``budgets.check_budget``, as deploy runs it)."""
    newest = select(func.max(ProcessVersion.id)).group_by(ProcessVersion.process_id)
    found: list[Message] = []
    for name, process_id, xml in session.execute(select(ProcessVersion.name, ProcessVersion.process_id,
                                                        ProcessVersion.bpmn_xml)
                                                 .where(ProcessVersion.id.in_(newest))
                                                 .order_by(ProcessVersion.process_id)):
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
        for process in root.iterfind("bpmn:process", NS):
            if process.get("id") != process_id:
                continue
            check_budget(process, lambda node, message, message_zh, line=None, n=name, p=process_id:
                         found.append(Message(f"流程「{n}」（{p}）：{message_zh}", f"Route “{n}” ({p}): {message}")), book)
    return found


def _gaps(county: dict[str, Any], today: date) -> list[Message]:
    """Places of the county that would have no model or no rules on some day from today."""
    entries = county["models"] + county["rules"]
    # from today, or from the first rules of a county set up here (before them it had none, and runs no case)
    start = max(today, min(e["effective_from"] for e in entries)) if entries else today
    dates = sorted({start} | {d for e in entries for d in (e["effective_from"], e.get("retired_from")) if d and d >= start})
    gaps = []
    for township in [None] + sorted({e["township"] for e in entries if e.get("township")}):
        for on in dates:
            for kind in ENTRY_KINDS:
                if entry_in_force(county, kind, township, on) is None:
                    where = (county.get("township_names") or {}).get(township, township) or county["name"]
                    gaps.append(Message(f"{where} 自 {on} 起将没有生效的{'审批模式' if kind == 'models' else '规则'}",
                                        f"{where} would have no {'approval model' if kind == 'models' else 'rules'} "
                                        f"in force from {on}"))
                    break
            else:
                continue
            break
    return gaps


def _refuse_if_unsafe(session: Session, county: dict[str, Any], today: date) -> None:
    """Refuse a change after which a deployed route misses its time budget or a place has no rules (a
    township named as the places table names it)."""
    parent = select(Unit.id).where(Unit.code == county["code"], Unit.level == "county").scalar_subquery()
    county["township_names"] = dict(session.execute(select(Unit.code, Unit.name).where(
        Unit.level == "township", Unit.parent_id == parent)).all())
    errors: dict[str, Message] = {}
    if gaps := _gaps(county, today):
        errors["coverage"] = Message("；".join(g.zh for g in gaps), "; ".join(g.en for g in gaps))
    if over := _budget_problems(session, {county["code"]: county}):
        errors["budget"] = Message("办结时限与已部署的流程不符，未保存：" + "；".join(o.zh for o in over),
                                   "The time limits do not fit the deployed routes; nothing was saved: "
                                   + "; ".join(o.en for o in over))
    if errors:
        raise FormInvalid.of(errors)


def _plain(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """An entry as the audit trail keeps it (JSON: dates as text)."""
    if entry is None:
        return None
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in entry.items()}


def add_rule_entry(session: Session, actor: Principal | None, now: datetime, today: date,
                   form: Mapping[str, str]) -> int:
    """Add an entry from the posted form (county, township, kind, effective_from, note, the values and their
    sources or assumptions); returns its id. Refused (FormInvalid, field → Chinese message, nothing written)
    when anything is wrong."""
    require_admin(actor)
    kind = form.get("kind") or ""
    if kind not in ENTRY_KINDS:
        raise FormInvalid.of({"kind": Message("请选择要修改的是审批模式还是规则参数",
                                              "Choose whether to change the approval model or the rule values")})
    county, township = _place(session, (form.get("county") or "").strip(), (form.get("township") or "").strip(),
                              lock=True)
    effective_from = _checked_date(form.get("effective_from"), today, "effective_from")
    note = _checked_note(form.get("note"))
    entry = entry_from_form(kind, form)
    candidate = {**entry, "effective_from": effective_from, **({"township": township} if township else {})}
    errors = _check(kind, county["code"], candidate)
    base = entry_in_force(county, kind, township, effective_from)
    if not errors:
        errors = _notes_problems(entry, base, kind)
    if errors:
        raise FormInvalid.of(errors)
    county[kind].append(candidate)
    _refuse_if_unsafe(session, county, today)
    return _store_entry(session, actor, now, county["code"], township, kind, effective_from, entry, note,
                        _plain({k: v for k, v in (base or {}).items() if k not in ("entry_id", "retired_from")}) or None,
                        _plain(candidate))


def _store_entry(session: Session, actor: Principal | None, now: datetime, county_code: str, township: str | None,
                 kind: str, effective_from: date, entry: dict[str, Any], note: str, before: Any, after: Any) -> int:
    """Write an admin's entry and its audit event (the values before and after); returns its id."""
    row = CountyRuleEntry(county_code=county_code, township_code=township, kind=kind, effective_from=effective_from,
                          entry=entry, note=note, created_by_id=actor.user_id if actor else None, created_at=now)
    session.add(row)
    session.flush()
    record_event(session, now, "rule_entry_added", actor=actor, entry_id=row.id, county=county_code,
                 township=township, entry_kind=kind, effective_from=effective_from.isoformat(), note=note,
                 before=before, after=after)
    return row.id


def retire_rule_entry(session: Session, actor: Principal | None, now: datetime, today: date, entry_id: int,
                      retired_from: Any, note: Any) -> None:
    """Retire an admin's entry from a date (today or later; the entry before it is in force again from then).
    Refused when the entry is already retired, or when the rules that come back would break a deployed
    route's time budget or leave a place without rules."""
    require_admin(actor)
    row = session.execute(select(CountyRuleEntry).where(CountyRuleEntry.id == entry_id)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"rule entry {entry_id}", "没有这条规则", message_en="No such rule")
    _place(session, row.county_code, "", lock=True)
    if row.retired_from is not None:
        raise FormInvalid.of({"retired_from": Message(f"这条规则已自 {row.retired_from} 起停止生效",
                                                      f"This rule was already retired from {row.retired_from}")})
    when = _checked_date(retired_from, today, "retired_from")
    note = _checked_note(note)
    county = rule_book(session, row.county_code)[row.county_code]
    for entry in county[BOOK_LISTS[row.kind]]:
        if entry.get("entry_id") == row.id:
            entry["retired_from"] = when
    _refuse_if_unsafe(session, county, today)
    row.retired_from, row.retired_by_id, row.retired_at, row.retire_note = (
        when, actor.user_id if actor else None, now, note)
    session.flush()
    record_event(session, now, "rule_entry_retired", actor=actor, entry_id=row.id, county=row.county_code,
                 township=row.township_code, entry_kind=row.kind, effective_from=row.effective_from.isoformat(), note=note,
                 before={"retired_from": None}, after={"retired_from": when.isoformat()})


def appeal_edit_form(session: Session, today: date, county_code: str) -> dict[str, Any]:
    """What the form of a county's 复议/诉讼 data opens with: the county and the data in force today."""
    county, _township = _place(session, county_code, "")
    current = appeal_of(county["code"], session, today)
    return {"county": county, "values": {k: str(current[k]) for k in APPEAL_FIELDS if current.get(k) is not None},
            "fields": APPEAL_FIELDS, "required": APPEAL_REQUIRED}


def _appeal_from_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Message]]:
    """The posted 复议/诉讼 data as the file writes ``[county.appeal]``, and what its schema finds wrong."""
    properties = appeal_schema()["properties"]
    entry = {name: _typed(form[name], properties[name]) for name in APPEAL_FIELDS if (form.get(name) or "").strip()}
    errors: dict[str, Message] = {}
    for error in Draft202012Validator(appeal_schema()).iter_errors(entry):
        name = error.message.split("'")[1] if error.validator == "required" else ".".join(
            map(str, error.absolute_path)) or "entry"
        errors.setdefault(name, _schema_message(error, name))
    return entry, errors


def counties_without_rules(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the counties of the places table that have no rules yet (an admin added them)."""
    book = rule_book(session)
    return [(code, name) for code, name in session.execute(
        select(Unit.code, Unit.name).where(Unit.level == "county").order_by(Unit.code)).all() if code not in book]


def set_up_county(session: Session, actor: Principal | None, now: datetime, today: date,
                  form: Mapping[str, str]) -> None:
    """Give a county an admin added its first rules from a date: what its refusals name (the form's
    复议/诉讼 data, with its source), and the delegation model and parameters of a county chosen as the
    template, in force there on that date, each value marked as an assumption (沿用 … 的取值) until the county's
    own documents replace it with an entry of its own. Checked as every entry is (schema, checks, time
    budgets); audited; refused (FormInvalid, nothing written) when anything is wrong."""
    require_admin(actor)
    code, template_code = (form.get("county") or "").strip(), (form.get("template") or "").strip()
    if session.execute(select(Unit.id).where(Unit.code == code, Unit.level == "county").with_for_update()).first() is None:
        raise FormInvalid.of({"county": Message(f"没有代码为 {code or '（空）'} 的县（区）：请先在「区划管理」中添加",
                                                f"There is no county (district) with the code {code or '(empty)'}: "
                                                "add it first under “Places”")})
    if code in rule_book(session, code):
        raise FormInvalid.of({"county": Message(f"县（区）{code} 已有救助规则：请在规则页修改",
                                                f"County (district) {code} already has assistance rules: change them "
                                                "on its rules page")})
    template = rule_book(session, template_code).get(template_code)
    if template is None:
        raise FormInvalid.of({"template": Message("请选择沿用哪个县（区）的规则",
                                                  "Choose the county (district) whose rules to copy")})
    effective_from = _checked_date(form.get("effective_from"), today, "effective_from")
    note = _checked_note(form.get("note"))
    appeal, errors = _appeal_from_form(form)
    if errors:
        raise FormInvalid.of(errors)
    copied = []
    for kind in ENTRY_KINDS:
        base = entry_in_force(template, kind, None, effective_from)
        if base is None:
            raise FormInvalid.of({"template": Message(f"{template['name']} 自 {effective_from} 起没有生效的规则，不能沿用",
                                                      f"{template['name']} has no rules in force from "
                                                      f"{effective_from}: they cannot be copied")})
        entry = {field: base[field] for field in value_fields(kind) if base.get(field) not in (None, {})}
        why = (f"沿用{template['name']}自 {base['effective_from']} 起的取值（{template_code}），"
               f"待本县（区）文件确定后以新条目替换")
        entry["assumptions"] = {name: why for name in note_names(entry, kind)}
        problems = _check(kind, code, {**entry, "effective_from": effective_from})
        if problems:
            raise FormInvalid.of(problems)
        copied.append((kind, entry))
    _store_entry(session, actor, now, code, None, APPEAL, effective_from, appeal, note, None, appeal)
    for kind, entry in copied:
        _store_entry(session, actor, now, code, None, kind, effective_from, entry, note, None,
                     _plain({**entry, "effective_from": effective_from}))
    _refuse_if_unsafe(session, rule_book(session, code)[code], today)


def add_appeal_entry(session: Session, actor: Principal | None, now: datetime, today: date,
                     form: Mapping[str, str]) -> int:
    """Change from a date what every refusal notice of a county names (复议机关, court, periods, the complaints
    telephone), with its source (required, as in the file) and a change note; checked by the file's schema of
    ``[county.appeal]``; notices issued from that date name it, those issued before keep what they said.
    Returns the entry's id; refused (FormInvalid, field → Chinese message, nothing written) when wrong."""
    require_admin(actor)
    county, _township = _place(session, (form.get("county") or "").strip(), "", lock=True)
    effective_from = _checked_date(form.get("effective_from"), today, "effective_from")
    note = _checked_note(form.get("note"))
    entry, errors = _appeal_from_form(form)
    before = appeal_of(county["code"], session, effective_from)
    if not errors and entry.get("source") == before.get("source") and entry != before:
        errors["source"] = Message("已修改：依据仍是原来的依据，请写明新取值的依据",
                                   "Changed, but the source is still the old one: give the source of the new values")
    if errors:
        raise FormInvalid.of(errors)
    return _store_entry(session, actor, now, county["code"], None, APPEAL, effective_from, entry, note, before, entry)


def stored_rule_entries(session: Session, county_code: str | None = None) -> list[dict[str, Any]]:
    """The entries admins added (newest first), each as ``rules.stored_entry`` gives it with who added or
    retired it, when and why."""
    rows = session.execute(select(CountyRuleEntry).order_by(CountyRuleEntry.id.desc())
                           .where(*([CountyRuleEntry.county_code == county_code] if county_code else []))).scalars().all()
    people = {r.created_by_id for r in rows} | {r.retired_by_id for r in rows}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(people - {None})))
                 .all()) if rows else {}
    return [{"row": row, "entry": stored_entry(row), "created_by": names.get(row.created_by_id),
             "retired_by": names.get(row.retired_by_id)} for row in rows]
