"""Deploy-time checks of what a designer wrote: every evaluated text and every engine property.

The texts come from the parsed spec (engine.runtime.workflow_texts), never from XPaths. Each is
checked by the one whitelist (``expressions.compiled``, the function every run-time
evaluation goes through too); a text that reads no task data is also tried once under
the run-time budget, so a constant that would hang (``'%*d' % (4000000000, 0)``) or a
timer or cardinality over its cap is refused here rather than met by a case. Problems
are returned as (element id, detail, English, Chinese) for deployment to place in the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from engine.catalogue.dialect import MILESTONE
from engine.catalogue.rules import parameter_names
from engine.runtime.budget import MAX_INSTANCES, OverBudget, budget
from engine.catalogue.declarations import ECONOMIC_PREFIX, PROCESS_DECLARATIONS, REGISTER_PREFIX, TASK_DECLARATIONS
from engine.catalogue.documents import ROUTE_KINDS as DOCUMENT_KINDS, PREFIX as DOCUMENT_PREFIX, TEMPLATES_DIR as DOCUMENT_TEMPLATES
from engine.runtime.expressions import UnsafeExpression, compiled, data_free, data_names, evaluate, execute
from engine.runtime.timer_rules import TIMER_KINDS, InvalidTimer, check_value
from engine.workdays import parse_period

# The camunda:properties the engine reads, by where they may stand (the one list deploy refuses others by).
# Read at run time: deadline (cases.writer.task_row, cases.due_dates), publicity (cases.writer.exclude_publicity),
# document:KIND (cases.documents), recipient (the register, on end events). clock=paused marks a step that waits
# on the applicant (补正, before the overall limit starts); it is checked, and nothing reads it yet. cosign=N (会签:
# N co-signers must sign before completion) is read by cases.cosigning; at_most:FIELD=NAME (the form's amount FIELD
# capped by the county rule value NAME in force on the day of the decision) by cases.amount_limits.
# The route declarations (engine.catalogue.declarations reads and checks them): TASK_DECLARATIONS,
# PROCESS_DECLARATIONS and register.COLUMN on end events.
AT_MOST = "at_most:"
RUNTIME_TASK_PROPERTIES = ("deadline", "publicity", f"{DOCUMENT_PREFIX}KIND", "clock", "cosign", f"{AT_MOST}FIELD")
MAX_COSIGN = 9  # more sign-offs than a unit has colleagues would block the step for good
# Read at deploy only: a step's own limit from 受理, which the time budget checks (catalogue.budgets).
DEPLOY_TASK_PROPERTIES = (MILESTONE,)
HUMAN_TASK_PROPERTIES = RUNTIME_TASK_PROPERTIES + DEPLOY_TASK_PROPERTIES + TASK_DECLARATIONS
END_EVENT_PROPERTIES = ("recipient", f"{REGISTER_PREFIX}COLUMN")
PROCESS_PROPERTIES = PROCESS_DECLARATIONS
RECIPIENT_EFFECTS = ("register", "update", "continue", "stop")
CLOCK_VALUES = ("paused",)
_TIMER_EXAMPLES = {"timeDuration": "P7D, PT1H", "timeDate": "2027-01-05T09:00+08:00", "timeCycle": "R3/PT1H"}


@dataclass(frozen=True)
class TextProblem:
    """A refused designer text or property: the element, where inside it, and why (with a line in the text)."""

    element_id: str
    kind: str
    detail: str
    message: str
    message_zh: str
    line_in_text: int | None = None
    source: str = ""


def check_texts(texts) -> Iterator[TextProblem]:
    """Problems of the designer texts of one spec (or decision table)."""
    for text in texts:
        problem = _check_text(text)
        if problem is not None:
            yield problem


def _check_text(text) -> TextProblem | None:
    def refuse(message: str, message_zh: str, line: int | None = None) -> TextProblem:
        return TextProblem(text.element_id, text.kind, text.detail, message, message_zh, line, text.source)

    source = text.source
    if not source.strip():
        if text.kind == "dmn_input":
            return refuse("a DMN input needs an input expression (without one SpiffWorkflow evaluates task data)",
                          "决策表的输入必须填写输入表达式")
        return refuse("empty expression", "表达式为空")
    try:
        compiled(source, text.mode)
    except UnsafeExpression as exc:
        if text.kind in TIMER_KINDS:
            example = _TIMER_EXAMPLES[text.kind]
            return refuse(f"{text.kind} '{source.strip()[:60]}' is not an ISO 8601 literal ({example}), and as "
                          f"an expression it is unsafe or invalid: {exc.reason}", f"定时器 {text.kind}「{source.strip()[:60]}」"
                          f"不是 ISO 8601 值（如 {example}），作为表达式不安全或有误：{exc.reason_zh}", exc.lineno)
        return refuse(f"unsafe or invalid expression: {exc.reason}", f"表达式不安全或有误：{exc.reason_zh}", exc.lineno)
    if text.kind == "loop_maximum":
        return _over_instances(refuse, int(source.strip()))
    if not data_free(source, text.mode):
        return None
    try:
        value = _trial(source, text.mode)
        if text.kind in TIMER_KINDS:
            check_value(text.kind, value)
        elif text.kind == "cardinality":
            return _over_instances(refuse, value if isinstance(value, int) else len(value))
    except OverBudget as exc:
        return refuse(f"over the run-time budget: {exc.reason}", f"超出运行限制：{exc.reason_zh}")
    except InvalidTimer as exc:
        return refuse(exc.reason, exc.reason_zh)
    except Exception as exc:  # it reads no data, so every run would fail the same way
        return refuse(f"fails whenever it runs: {type(exc).__name__}: {exc}"[:300],
                      f"运行时必然出错：{type(exc).__name__}: {exc}"[:300])
    return None


def check_timer_data(texts, known: frozenset[str]) -> Iterator[TextProblem]:
    """Timer texts that are neither an ISO 8601 literal nor an expression over data the route holds.

    A mistyped literal (``P7DT``, ``p7d``) parses as a Python name and would fail with NameError when a
    case reaches the timer; ``known`` is every data name the route's forms, scripts, decisions and county
    rules provide (engine.catalogue.declarations.route_data_names).
    """
    for text in texts:
        if text.kind not in TIMER_KINDS:
            continue
        try:
            compiled(text.source, text.mode)
        except UnsafeExpression:
            continue  # check_texts reports it
        unknown = sorted(data_names(text.source, text.mode) - known)
        if unknown:
            names = ", ".join(unknown)
            example = _TIMER_EXAMPLES[text.kind]
            yield TextProblem(
                text.element_id, text.kind, text.detail,
                f"{text.kind} '{text.source.strip()[:60]}' is neither an ISO 8601 literal ({example}) nor an "
                f"expression over the route's data: no form, script, decision or county rule provides {names}",
                f"定时器 {text.kind}「{text.source.strip()[:60]}」既不是 ISO 8601 值（如 {example}），也不是基于流程数据的"
                f"表达式：没有表单、脚本、决策表或县级规则提供「{names}」", None, text.source)


def _trial(source: str, mode: str) -> Any:
    with budget():
        if mode == "exec":
            execute(source, {})
            return None
        return evaluate(source, {})


def _over_instances(refuse, count: int) -> TextProblem | None:
    if count > MAX_INSTANCES:
        return refuse(f"at most {MAX_INSTANCES} instances of a multi-instance or loop task, not {count}",
                      f"多实例或循环任务最多 {MAX_INSTANCES} 个实例（此处为 {count} 个）")
    return None


def check_task_properties(element_id: str, properties: dict[str, str]) -> Iterator[TextProblem]:
    """Problems of a human task's camunda:properties (names known, values well formed)."""
    known = ", ".join(HUMAN_TASK_PROPERTIES)
    for name, value in properties.items():
        name = name or ""

        def refuse(message: str, message_zh: str) -> TextProblem:
            return TextProblem(element_id, "property", name, message, message_zh)

        if name.startswith(DOCUMENT_PREFIX):
            kind = name[len(DOCUMENT_PREFIX):]
            if kind not in DOCUMENT_KINDS or not (DOCUMENT_TEMPLATES / f"{kind}.html").exists():
                yield refuse(f"unknown document kind '{kind}'", f"文书类型「{kind}」不存在（documents/ 中无模板）")
        elif name == "deadline":
            try:
                parse_period(value or "")
            except ValueError:
                yield refuse(f"deadline '{value}' must look like 10wd, 7d or dom26",
                             f"期限「{value}」格式应为 10wd（工作日）、7d（天）或 dom26（每月 26 日）")
        elif name == MILESTONE:
            try:
                unit = parse_period(value or "")[1]
            except ValueError:
                unit = None
            if unit != "wd":
                yield refuse(f"limit_from_acceptance '{value}' must be working days such as 15wd",
                             f"limit_from_acceptance「{value}」应为工作日数（如 15wd）")
        elif name == "clock":
            if value not in CLOCK_VALUES:
                yield refuse(f"clock '{value}' must be one of {', '.join(CLOCK_VALUES)}",
                             f"clock 属性「{value}」应为 {'、'.join(CLOCK_VALUES)}")
        elif name == "cosign":
            if not (value or "").strip().isdigit() or not 1 <= int(value) <= MAX_COSIGN:
                yield refuse(f"cosign '{value}' must be a number of co-signers from 1 to {MAX_COSIGN}",
                             f"cosign（会签人数）「{value}」应为 1 至 {MAX_COSIGN} 的整数")
        elif name.startswith(AT_MOST):
            if not name[len(AT_MOST):] or (value or "").strip() not in parameter_names():
                yield refuse(f"{name} needs a form field after '{AT_MOST}' and a county rule value such as "
                             f"small_temporary_limit, not '{value}'",
                             f"{name}：「{AT_MOST}」后须写表单字段，取值须为县（区）规则参数（如 small_temporary_limit），"
                             f"而非「{value}」")
        elif name in TASK_DECLARATIONS or name.startswith(ECONOMIC_PREFIX):
            pass  # a declaration: its field and value are checked against the step's form (declarations)
        elif name == "publicity":
            if not (value or "").strip():
                yield refuse("publicity needs a value naming the 公示 (e.g. preliminary)", "publicity 属性需要填写公示名称")
        else:
            yield refuse(f"unknown property '{name}' (known: {known})",
                         f"未知的属性「{name}」（可用的属性：{known}）")


def check_end_properties(element_id: str, properties: dict[str, str]) -> Iterator[TextProblem]:
    """Problems of an end event's camunda:properties."""
    for name, value in properties.items():
        if name.startswith(REGISTER_PREFIX):
            continue  # a declaration, checked against the route's data (declarations)
        if name == "recipient":
            if value not in RECIPIENT_EFFECTS:
                yield TextProblem(element_id, "property", name,
                                  f"recipient effect '{value}' must be one of {', '.join(RECIPIENT_EFFECTS)}",
                                  f"end 事件的 recipient 属性「{value}」无效（应为 {'、'.join(RECIPIENT_EFFECTS)}）")
        else:
            yield TextProblem(element_id, "property", name or "",
                              f"unknown end-event property '{name}' (known: {', '.join(END_EVENT_PROPERTIES)})",
                              f"结束事件上未知的属性「{name}」（可用的属性：{'、'.join(END_EVENT_PROPERTIES)}）")


def check_process_properties(element_id: str, properties: dict[str, str]) -> Iterator[TextProblem]:
    """Problems of a process's camunda:properties: only the route declarations belong there."""
    for name in properties:
        if name not in PROCESS_PROPERTIES:
            yield TextProblem(element_id, "property", name or "",
                              f"unknown process property '{name}' (known: {', '.join(PROCESS_PROPERTIES)})",
                              f"流程上未知的属性「{name}」（可用的属性：{'、'.join(PROCESS_PROPERTIES)}）")
