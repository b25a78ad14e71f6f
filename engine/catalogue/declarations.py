"""The data names the engine reads from a route, declared in its BPMN and checked at deploy.

The engine never knows a route's field names. What starts the overall time limit, which
fields the case list shows, who the applicant is and what each outcome writes to the
register are ``camunda:properties`` that a designer edits in any modeler:

on the process (select the pool in Camunda Modeler)
    ``overall_limit``     ``none`` (the law sets no overall limit), a period such as ``5wd`` or
                          ``30d``, or the data name holding a number of working days
                          (``time_limit_wd``, the county's rule)
    ``summary``           comma-separated data names the case list and case page show
    ``applicant.name``, ``applicant.id_number``   the start-form fields naming the applicant
    ``applicant.members``, ``applicant.address``, ``applicant.phone``, ``applicant.assets``  (optional)
                          the start-form fields the household registry (一户一档) takes
    ``applicant.proxy_id_number``  (optional) the start-form field with the ID number of the person entrusted
                          to apply (受委托人): nobody recorded as dead may be (engine.households.registry)
    ``applicant.collector_name``, ``applicant.collector_id_number``  (optional) the start-form fields naming
                          who collects the benefit on the recipient's behalf (代领人): kept on the benefit
                          with its account; nobody recorded as dead may be. A version deployed before
                          declares neither: its cases register no collector
on a user task
    ``starts_clock``      ``True``, ``field == 'value'`` or ``field in ('a', 'b')`` over the
                          task's own form: completing the task this way starts the overall limit
on a user task that may record a privacy case (吉林: 艾滋病病人或感染者)
    ``privacy``           a condition of the same shape over the task's form: completing the task this
                          way hides the case and its household from the village (engine.people.scope)
on a user task that checks the household's economic situation (核对, 入户调查)
    ``economic.source``   where the finding comes from: 省核对平台, 区社会救助中心, 入户调查, 邻里访问, 信函索证
    ``economic.result``, ``economic.report_number``, ``economic.findings``   fields of the task's form
                          holding the conclusion, the report number and the findings (each optional)
    ``economic.valid_months``   how long the finding stands (default 6): the next application of any
                          type starts from it (the household's economic-status record)
on an end event with ``recipient`` = register | update | continue | stop
    ``register.<column>`` the data name holding that register column (see ``REGISTER_FIELDS``)

Deploy refuses, with file, line and element, a missing declaration and every name that no
form, script task, decision table or county rule of the route provides. The checked result is
stored with the version (``tasks['@process']``) and read at run time as ``RouteDeclarations``:
no parsing on a request. Conditions are matched, never evaluated.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from lxml import etree

from engine.catalogue.rules import parameter_names
from engine.workdays import parse_period

PROCESS_KEY = "@process"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_NS = {"bpmn": BPMN, "camunda": CAMUNDA}
_PROPERTIES = "bpmn:extensionElements/camunda:properties/camunda:property"
_DMN_OUTPUT = "{*}decision/{*}decisionTable/{*}output"
NO_LIMIT = "none"
MAX_CONDITION_CHARS = 500  # a field and a few choices; parsing a longer text is never needed
REGISTER_PREFIX = "register."
ECONOMIC_PREFIX = "economic."
ECONOMIC_FIELDS = ("result", "report_number", "findings")
ECONOMIC_SOURCES = ("省核对平台", "区社会救助中心", "入户调查", "邻里访问", "信函索证")
DEFAULT_VALID_MONTHS = 6
APPLICANT_FIELDS = ("name", "id_number")
# Optional start-form fields for the household registry: the member list (items: id_number, name,
# relation, monthly_income, disability_level), the address and phone, the declared assets.
APPLICANT_OPTIONAL = ("members", "address", "phone", "assets", "payment_account", "account_keeper", "proxy_id_number",
                      "collector_name", "collector_id_number")
# The declarations' property names, as the checks below read them (designer_checks' known lists use these).
TASK_DECLARATIONS = ("starts_clock", "privacy", *(ECONOMIC_PREFIX + part for part in ("source", *ECONOMIC_FIELDS, "valid_months")))
PROCESS_DECLARATIONS = ("overall_limit", "summary", *(f"applicant.{part}" for part in APPLICANT_FIELDS + APPLICANT_OPTIONAL))
# register column → (required, optional) per outcome; every required column must be declared. An
# undeclared household_size keeps its register value (on ``register``: the household's members, one for a
# personal benefit); an undeclared next_review_on is counted by the county's rules — the type's own cadence,
# else the review class's interval — from the decision day (on ``register``: from payment_from). A one-off
# payment (catalogue ``payment = "once"``) is registered ``paid`` on payment_from and never reviewed.
REGISTER_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "register": (("monthly_amount", "payment_from"),
                 ("household_size", "review_class", "care_level", "category", "next_review_on")),
    "update": (("monthly_amount", "review_class", "recipient_case_number"), ("household_size", "next_review_on",
                                                                             "care_level")),
    "continue": (("review_class", "recipient_case_number"), ("household_size", "next_review_on")),
    "stop": (("stopped_from", "recipient_case_number"), ()),
}
REGISTER_FIELDS_ZH = {"monthly_amount": "月救助金额", "payment_from": "发放起始日期", "household_size": "保障人数",
                      "review_class": "分类管理类别", "next_review_on": "下次复核日期", "stopped_from": "停发日期",
                      "recipient_case_number": "救助对象原案件编号", "care_level": "供养（护理）等级",
                      "category": "救助对象类别"}

Problem = Callable[..., None]  # problem(node, message, message_zh, line=None), as in deployment.validate_file


# --- what the engine reads at run time ------------------------------------------
@dataclass(frozen=True)
class ClockStart:
    """Completing a task with ``field`` in ``values`` starts the overall limit (``field`` None: always)."""

    field: str | None
    values: tuple[Any, ...] = ()

    def met(self, data: Mapping[str, Any]) -> bool:
        """True when the submitted data starts the clock."""
        return self.field is None or data.get(self.field) in self.values


@dataclass(frozen=True)
class OverallLimit:
    """The overall limit (办结时限): a period, the data name of a working-day count, or none."""

    period: str | None = None
    field: str | None = None

    def period_for(self, data: Mapping[str, Any]) -> str | None:
        """The period to count from the clock start, e.g. '20wd', or None when there is none."""
        if self.period:
            return self.period
        value = data.get(self.field) if self.field else None
        return f"{int(value)}wd" if value else None


@dataclass(frozen=True)
class Outcome:
    """What an end event does to the register, and which data holds each column it writes."""

    effect: str
    fields: Mapping[str, str]

    def value(self, column: str, data: Mapping[str, Any]) -> Any:
        """The case's value for a register column (None when the route leaves the column alone)."""
        name = self.fields.get(column)
        return data.get(name) if name else None

    def declares(self, column: str) -> bool:
        """True when the route writes this column on this outcome."""
        return column in self.fields


@dataclass(frozen=True)
class EconomicCheck:
    """Completing this task records a finding in the household's economic-status record."""

    source: str
    fields: Mapping[str, str]
    valid_months: int = DEFAULT_VALID_MONTHS

    def values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """result / report_number / findings from the submitted data (text, bounded)."""
        return {part: str(data[name])[:2000] if data.get(name) is not None else None
                for part, name in self.fields.items()}


@dataclass(frozen=True)
class RouteDeclarations:
    """A deployed version's declarations, built once per version (see ``versions.get_version``)."""

    summary: tuple[str, ...] = ()
    overall_limit: OverallLimit = OverallLimit()
    applicant: Mapping[str, str] = field(default_factory=dict)
    clock_starts: Mapping[str, ClockStart] = field(default_factory=dict)
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    checks: Mapping[str, EconomicCheck] = field(default_factory=dict)
    privacy: Mapping[str, ClockStart] = field(default_factory=dict)  # task → the condition that restricts the case

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> "RouteDeclarations":
        """Rebuild from what deploy stored; a version deployed before declarations existed has none."""
        if not stored:
            return cls()
        return cls(
            summary=tuple(stored["summary"]),
            overall_limit=OverallLimit(**stored["overall_limit"]),
            applicant=dict(stored["applicant"]),
            clock_starts={name: ClockStart(c["field"], tuple(c["values"])) for name, c in stored["clock_starts"].items()},
            outcomes={end: Outcome(o["effect"], dict(o["fields"])) for end, o in stored["outcomes"].items()},
            checks={task: EconomicCheck(c["source"], dict(c["fields"]), c["valid_months"])
                    for task, c in stored.get("checks", {}).items()},
            privacy={name: ClockStart(c["field"], tuple(c["values"])) for name, c in stored.get("privacy", {}).items()},
        )

    def summary_of(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The declared summary fields present in the case data."""
        return {k: data[k] for k in self.summary if k in data}

    def contact_of(self, data: Mapping[str, Any]) -> dict[str, str]:
        """The household's address and phone from the start data, where the route declares them."""
        return {part: str(data[self.applicant[part]])[:200] for part in ("address", "phone")
                if self.applicant.get(part) and data.get(self.applicant[part])}

    def payment_defaults(self, data: Mapping[str, Any]) -> dict[str, str]:
        """An application that does not say who keeps the account: the applicant does (the route's
        conditions on ``account_keeper`` then always have a value to read)."""
        name = self.applicant.get("account_keeper")
        return {name: "self"} if name and not data.get(name) else {}

    def payment_of(self, data: Mapping[str, Any]) -> dict[str, str | None]:
        """The account a benefit is paid into, who keeps it and who collects it on the recipient's behalf (代领人:
        name and ID number), where the route declares them (an older version, or a case lodged before, has none)."""
        return {part: (str(data[self.applicant[part]])[:size] if self.applicant.get(part) and data.get(self.applicant[part])
                       else None) for part, size in (("payment_account", 40), ("account_keeper", 40),
                                                     ("collector_name", 50), ("collector_id_number", 18))}

    def assets_of(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The assets the application declares (as the start form holds them)."""
        value = data.get(self.applicant.get("assets", "")) if self.applicant.get("assets") else None
        return value if isinstance(value, dict) else ({"note": value} if value else {})

    def applicant_of(self, data: Mapping[str, Any]) -> tuple[str, str]:
        """(name, ID number) of the applicant, from the start data."""
        return (data.get(self.applicant.get("name", ""), "") or "",
                data.get(self.applicant.get("id_number", ""), "") or "")


# --- deploy: read and check -------------------------------------------------------
def check_process(process, forms: Mapping[str, dict], decisions: Mapping[str, Any], problem: Problem) -> dict[str, Any]:
    """Read and check the declarations of one ``bpmn:process`` element; returns what deploy stores.

    ``forms`` maps form keys to schemas; ``decisions`` maps decision ids to validated DMN files
    (with ``xml``). Every problem goes to ``problem`` with the element and the property's line.
    """
    known = route_data_names(process, forms, decisions)
    props = _properties(process)
    stored: dict[str, Any] = {
        "summary": _check_summary(process, props, known, problem),
        "overall_limit": _check_limit(process, props, known, problem),
        "applicant": _check_applicant(process, props, forms, problem),
        "clock_starts": {}, "outcomes": {}, "checks": {}, "privacy": {},
    }
    clock_tasks = []  # every element declaring starts_clock, checked or not
    for node in _elements(process):
        node_props = _properties(node)
        if "starts_clock" in node_props:
            clock_tasks.append(node.get("id"))
            clock = _check_condition(node, "starts_clock", node_props["starts_clock"], forms, problem)
            if clock is not None:
                stored["clock_starts"][node.get("id")] = clock
        if "privacy" in node_props:
            privacy = _check_condition(node, "privacy", node_props["privacy"], forms, problem)
            if privacy is not None:
                stored["privacy"][node.get("id")] = privacy
        if any(name.startswith(ECONOMIC_PREFIX) for name in node_props):
            check = _check_economic(node, node_props, forms, problem)
            if check is not None:
                stored["checks"][node.get("id")] = check
        if etree.QName(node).localname == "endEvent":
            outcome = _check_outcome(node, node_props, known, problem)
            if outcome is not None:
                stored["outcomes"][node.get("id")] = outcome
        elif any(name.startswith(REGISTER_PREFIX) for name in node_props):
            name = next(n for n in node_props if n.startswith(REGISTER_PREFIX))
            problem(node, f"'{name}' belongs on an end event with a recipient effect",
                    f"「{name}」只能写在带 recipient 属性的结束事件上", node_props[name][1])
    _check_clock_against_limit(process, props, stored["overall_limit"], clock_tasks, problem)
    return stored


def route_data_names(process, forms: Mapping[str, dict], decisions: Mapping[str, Any]) -> frozenset[str]:
    """Every data name a route can hold: its forms' fields, names its scripts assign, its decision
    tables' outputs, and the county rule values the engine puts into every case."""
    names = set(parameter_names())
    for node in _elements(process):
        key = node.get(f"{{{CAMUNDA}}}formKey")
        if key in forms:
            names.update(forms[key].get("properties", {}))
        ref = node.get(f"{{{CAMUNDA}}}decisionRef")
        if ref in decisions:
            names.update(_decision_outputs(decisions[ref].xml))
    for script in process.iter(f"{{{BPMN}}}script"):
        names.update(_assigned_names(script.text or ""))
    return frozenset(names)


def _elements(process) -> Iterable:
    return (el for el in process.iter() if isinstance(el.tag, str) and el.get("id"))


def _properties(node) -> dict[str, tuple[str, int | None]]:
    return {p.get("name") or "": ((p.get("value") or "").strip(), p.sourceline) for p in node.iterfind(_PROPERTIES, _NS)}


def _decision_outputs(xml: bytes) -> set[str]:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return {o.get("name") for o in root.iterfind(_DMN_OUTPUT) if o.get("name")}


def _assigned_names(source: str) -> set[str]:
    try:  # deployment parses the same script for its whitelist check, and reports it
        tree = ast.parse(source.strip(), mode="exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _missing(node, name: str, what_zh: str, problem: Problem) -> None:
    problem(node, f"missing declaration '{name}'", f"缺少声明「{name}」（{what_zh}）")


def _unknown(node, name: str, value: str, line, problem: Problem) -> None:
    problem(node, f"'{name}' names '{value}', which no form, script task, decision table or county rule "
            f"of this route provides", f"「{name}」引用的数据「{value}」在本流程的表单、脚本任务、决策表和县级规则中都不存在", line)


def _check_summary(process, props, known, problem) -> list[str]:
    if "summary" not in props:
        _missing(process, "summary", "案件列表显示哪些数据，逗号分隔", problem)
        return []
    value, line = props["summary"]
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        problem(process, "'summary' lists no data names", "「summary」没有列出任何数据名", line)
    for name in names:
        if name not in known:
            _unknown(process, "summary", name, line, problem)
    return names


def _check_limit(process, props, known, problem) -> dict[str, str]:
    if "overall_limit" not in props:
        _missing(process, "overall_limit", f"办结时限：{NO_LIMIT}（法规未规定）、期限如 20wd，或存放工作日数的数据名如 time_limit_wd",
                 problem)
        return {}
    value, line = props["overall_limit"]
    if value == NO_LIMIT:
        return {}
    try:
        _count, unit = parse_period(value)
        if unit != "dom":
            return {"period": value}
    except ValueError:
        if value.isidentifier():
            if value not in known:
                _unknown(process, "overall_limit", value, line, problem)
            return {"field": value}
    problem(process, f"overall_limit '{value}' must be '{NO_LIMIT}', a period such as 20wd or 30d, or a data name",
            f"办结时限「{value}」应为 {NO_LIMIT}、期限（如 20wd、30d）或数据名（如 time_limit_wd）", line)
    return {}


def _check_applicant(process, props, forms, problem) -> dict[str, str]:
    start_fields: set[str] = set()
    start_forms = [start.get(f"{{{CAMUNDA}}}formKey") for start in process.iterfind("bpmn:startEvent", _NS)]
    for key in start_forms:
        start_fields.update(forms.get(key, {}).get("properties", {}))
    applicant = {}
    for part in APPLICANT_FIELDS:
        name = f"applicant.{part}"
        if name not in props and not any(start_forms):
            continue  # no start form, no applicant: a case started by the engine itself
        if name not in props:
            _missing(process, name, "申请人姓名、身份证号取自开始表单的哪个字段", problem)
            continue
        value, line = props[name]
        if value not in start_fields:
            problem(process, f"'{name}' names '{value}', which is not a field of the start form",
                    f"「{name}」引用的「{value}」不是开始事件表单的字段", line)
        applicant[part] = value
    for part in APPLICANT_OPTIONAL:
        name = f"applicant.{part}"
        if name in props:
            value, line = props[name]
            if value not in start_fields:
                problem(process, f"'{name}' names '{value}', which is not a field of the start form",
                        f"「{name}」引用的「{value}」不是开始事件表单的字段", line)
            else:
                applicant[part] = value
    return applicant


def _check_condition(node, name: str, declared: tuple[str, int | None], forms, problem) -> dict[str, Any] | None:
    """A task condition (``starts_clock``, ``privacy``) over the task's own form, as deploy stores it."""
    source, line = declared
    if etree.QName(node).localname not in ("userTask", "manualTask"):
        problem(node, f"{name} belongs on a user task", f"{name} 只能写在用户任务上", line)
        return None
    form_key = node.get(f"{{{CAMUNDA}}}formKey")
    if form_key is not None and form_key not in forms:
        return None  # deployment reports the missing form itself
    schema = forms.get(form_key or "", {}).get("properties", {})
    try:
        clock = _parse_condition(source)
    except ValueError:
        problem(node, f"{name} '{source}' must be True, field == 'value' or field in ('a', 'b')",
                f"{name}「{source}」格式应为 True、字段 == '值' 或 字段 in ('值1', '值2')", line)
        return None
    if clock.field is None:
        return {"field": None, "values": []}
    if clock.field not in schema:
        problem(node, f"{name} names '{clock.field}', which is not a field of this task's form",
                f"{name} 引用的「{clock.field}」不是本步骤表单的字段", line)
        return None
    allowed = schema[clock.field].get("enum")
    for value in clock.values:
        if allowed is not None and value not in allowed:
            problem(node, f"{name} compares '{clock.field}' with {value!r}, which the form never gives "
                    f"(choices: {', '.join(map(str, allowed))})",
                    f"{name} 中「{clock.field}」的取值 {value!r} 不在表单选项中（{'、'.join(map(str, allowed))}）", line)
            return None
    return {"field": clock.field, "values": list(clock.values)}


def _parse_condition(source: str) -> ClockStart:
    """Match (never evaluate) ``True``, ``name == literal`` or ``name in (literals)``."""
    if len(source) > MAX_CONDITION_CHARS:
        raise ValueError(source)
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError(source) from exc
    if isinstance(tree, ast.Constant) and tree.value is True:
        return ClockStart(None)
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.left, ast.Name)):
        raise ValueError(source)
    op, right = tree.ops[0], tree.comparators[0]
    if isinstance(op, ast.Eq) and isinstance(right, ast.Constant):
        return ClockStart(tree.left.id, (right.value,))
    if isinstance(op, ast.In) and isinstance(right, (ast.Tuple, ast.List)) and right.elts \
            and all(isinstance(e, ast.Constant) for e in right.elts):
        return ClockStart(tree.left.id, tuple(e.value for e in right.elts))
    raise ValueError(source)


def _check_clock_against_limit(process, props, limit, clock_tasks, problem) -> None:
    declared_none = props.get("overall_limit", ("",))[0] == NO_LIMIT
    if limit and not clock_tasks:
        problem(process, "overall_limit is declared but no user task declares starts_clock",
                "声明了办结时限 overall_limit，但没有任何步骤声明 starts_clock（从哪一步开始计时）",
                props["overall_limit"][1])
    if declared_none and clock_tasks:
        problem(process, f"overall_limit is '{NO_LIMIT}' but tasks declare starts_clock: {', '.join(clock_tasks)}",
                f"办结时限声明为 {NO_LIMIT}，但步骤 {'、'.join(clock_tasks)} 声明了 starts_clock",
                props["overall_limit"][1])


def _check_economic(node, props, forms, problem) -> dict[str, Any] | None:
    """A checking step's declarations: a known source, fields of its own form, a sane validity."""
    if etree.QName(node).localname != "userTask":
        name = next(n for n in props if n.startswith(ECONOMIC_PREFIX))
        problem(node, f"'{name}' belongs on a user task", f"「{name}」只能写在用户任务上", props[name][1])
        return None
    schema = forms.get(node.get(f"{{{CAMUNDA}}}formKey") or "", {}).get("properties", {})
    source, line = props.get(ECONOMIC_PREFIX + "source", ("", None))
    ok = True
    if source not in ECONOMIC_SOURCES:
        problem(node, f"economic.source '{source}' must be one of {', '.join(ECONOMIC_SOURCES)}",
                f"economic.source「{source}」应为 {'、'.join(ECONOMIC_SOURCES)} 之一", line)
        ok = False
    fields = {}
    for name, (value, line) in props.items():
        if not name.startswith(ECONOMIC_PREFIX) or name[len(ECONOMIC_PREFIX):] in ("source", "valid_months"):
            continue
        part = name[len(ECONOMIC_PREFIX):]
        if part not in ECONOMIC_FIELDS:
            problem(node, f"unknown '{name}' (known: economic.source, economic.valid_months, "
                    f"{', '.join(ECONOMIC_PREFIX + f for f in ECONOMIC_FIELDS)})", f"未知的属性「{name}」", line)
            ok = False
        elif value not in schema:
            problem(node, f"'{name}' names '{value}', which is not a field of this task's form",
                    f"「{name}」引用的「{value}」不是本步骤表单的字段", line)
            ok = False
        else:
            fields[part] = value
    months, line = props.get(ECONOMIC_PREFIX + "valid_months", (str(DEFAULT_VALID_MONTHS), None))
    if not (months.isdigit() and 1 <= int(months) <= 36):
        problem(node, f"economic.valid_months '{months}' must be a whole number of months from 1 to 36",
                f"economic.valid_months「{months}」应为 1 至 36 之间的整数（月）", line)
        ok = False
    return {"source": source, "fields": fields, "valid_months": int(months)} if ok else None


def _check_outcome(end, props, known, problem) -> dict[str, Any] | None:
    effect = props.get("recipient", ("", None))[0]
    declared = {name[len(REGISTER_PREFIX):]: value for name, value in props.items() if name.startswith(REGISTER_PREFIX)}
    if effect not in REGISTER_FIELDS:  # deployment reports an unknown effect
        if declared and not effect:
            name = REGISTER_PREFIX + next(iter(declared))
            problem(end, f"'{name}' without a recipient effect", f"结束事件有「{name}」但没有 recipient 属性",
                    declared[next(iter(declared))][1])
        return None
    required, optional = REGISTER_FIELDS[effect]
    fields = {}
    for column, (value, line) in declared.items():
        if column not in required + optional:
            problem(end, f"'{REGISTER_PREFIX}{column}' is not written by recipient={effect} "
                    f"(it writes: {', '.join(required + optional)})",
                    f"recipient={effect} 不登记「{REGISTER_PREFIX}{column}」（可声明：{'、'.join(required + optional)}）", line)
        elif value not in known:
            _unknown(end, REGISTER_PREFIX + column, value, line, problem)
        else:
            fields[column] = value
    for column in required:
        if column not in declared:
            _missing(end, REGISTER_PREFIX + column, f"recipient={effect} 需登记{REGISTER_FIELDS_ZH[column]}，"
                     "写明它取自哪个数据", problem)
    return {"effect": effect, "fields": fields}
