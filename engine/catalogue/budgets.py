"""Time budgets: do a route's step deadlines fit inside the legal limit of every place that runs it?

A case's overall limit (办结时限) runs from the step that starts the clock (``starts_clock``) and is the
route's ``overall_limit`` — a period such as ``5wd`` or a county rule such as ``time_limit_wd`` (20 working
days when 审核确认 is delegated under the 2022 notice, 30 otherwise; per type where the county data says so).
A township that uses each step's whole allowance must still finish inside it, so deploy adds up the step
deadlines of the longest *ordinary* path from the clock's start to an end event and refuses the route when
the sum exceeds the limit of any county, township and rule era that runs it. A step may also carry a
milestone of its own (``limit_from_acceptance``: 特困 15 working days from 受理 to the 初审意见, 《特困人员认定办法》
第十三条), checked the same way up to and including that step.

What is not ordinary is said in the BPMN: a sequence flow with the property ``extends_limit`` (its value
the legal ground, e.g. 公示有异议，可延长至45个工作日) leads to work the law lets run past the ordinary limit
(the extension is recorded on the case as today); loops are counted once. Calendar days count as the
working days they contain at most in an ordinary week (7 天 → 5), a 公示 step takes the county's own
publicity period, and none at all where the county excludes 公示 from the limit; a step that pauses the
clock (``clock = paused``: 补正) takes none.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterator

from engine.catalogue.declarations import BPMN, CAMUNDA, NO_LIMIT
from engine.catalogue.dialect import EXTENDS, MILESTONE
from engine.catalogue.rules import (assistance_type_of, catalog, counties, in_force_among, model_among,
                                    rule_entries_of, variant_for)
from engine.workdays import parse_period

NS = {"bpmn": BPMN, "camunda": CAMUNDA}


@dataclass(frozen=True)
class Era:
    """A place and period that runs a route, with the county rule entry in force then."""

    county: str
    county_name: str
    township: str | None
    effective_from: date
    rules: dict[str, Any]
    township_name: str | None = None  # as the places table names it, where the county data carries the names


@dataclass(frozen=True)
class Path:
    """The longest ordinary path: (step id, step name, working days) in order, and the total."""

    steps: tuple[tuple[str, str, int], ...]

    @property
    def total(self) -> int:
        return sum(days for _, _, days in self.steps)

    def describe(self) -> str:
        return "、".join(f"{name} {days}" for _, name, days in self.steps if days)


def check_budget(process, problem: Callable, book: dict[str, dict] | None = None) -> None:
    """Refuse (through ``problem(node, message, message_zh)``) a route whose longest ordinary path does
    not fit the overall limit, or a milestone, in some place and era that runs it (under ``book``, the
    county data of ``eras_running``)."""
    graph = _Graph(process)
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        if EXTENDS in _properties(flow) and not (_properties(flow)[EXTENDS] or "").strip():
            problem(flow, f"'{EXTENDS}' must name the legal ground for running past the limit",
                    f"属性 {EXTENDS} 应写明可以超过办结时限的法规依据")
    limit = _properties(process).get("overall_limit")
    if not limit or limit == NO_LIMIT:
        return
    if graph.clock_start is None:
        return  # the declarations check names a limit without a clock
    over, late = [], {}
    for era in eras_running(process.get("id"), book):
        budget = route_budget(graph, era.rules)
        allowed = _limit_days(limit, era, assistance_type_of(process.get("id")))
        if allowed is not None and budget.total > allowed:
            over.append((era, budget, allowed))
        for node, (days, path) in graph.milestones(era.rules).items():
            if path.total > days:
                late.setdefault(node, (days, path))
    if over:  # one problem per route: the first place and era it does not fit, and how many more
        era, budget, allowed = over[0]
        township = f"{era.township_name}（{era.township}）" if era.township_name else era.township
        place = f"{era.county_name}{'（乡镇（街道）' + township + '）' if era.township else ''}"
        more = f"（另有 {len(over) - 1} 处规则同样超出）" if len(over) > 1 else ""
        problem(process, f"the longest ordinary path takes {budget.total} working days ({budget.describe()}), "
                f"over the limit of {allowed} in {era.county_name}{' ' + township if era.township else ''} "
                f"from {era.effective_from}{f' (and {len(over) - 1} more)' if len(over) > 1 else ''}; shorten "
                f"the step deadlines or mark the flows the law lets run longer with '{EXTENDS}'",
                f"办结时限超出：最长的一般路径合计 {budget.total} 个工作日（{budget.describe()}），超过{place}"
                f"{era.effective_from} 起的办结时限 {allowed} 个工作日{more}；请缩短步骤期限，或在法规允许延长的连线上"
                f"设置属性 {EXTENDS}（写明依据）")
    for node, (days, path) in late.items():
        problem(node, f"step '{node.get('name')}' may be reached only after {path.total} working days "
                f"({path.describe()}), over its {MILESTONE} of {days} working days",
                f"步骤「{node.get('name')}」最迟要在受理后 {path.total} 个工作日完成（{path.describe()}），"
                f"超过其 {MILESTONE} 规定的 {days} 个工作日")


def route_budget(graph: "_Graph", rules: dict[str, Any]) -> Path:
    """The longest ordinary path of a route under a county's rules."""
    return graph.longest(graph.clock_start, rules)


def budgets_of(process, book: dict[str, dict] | None = None) -> list[tuple[Era, Path, int | None]]:
    """Every place and era that runs the route with its longest ordinary path and limit (for reports)."""
    limit = _properties(process).get("overall_limit")
    graph = _Graph(process)
    if not limit or limit == NO_LIMIT or graph.clock_start is None:
        return []
    return [(era, route_budget(graph, era.rules), _limit_days(limit, era, assistance_type_of(process.get("id"))))
            for era in eras_running(process.get("id"), book)]


def eras_running(process_id: str, book: dict[str, dict] | None = None) -> Iterator[Era]:
    """Each county (or township with entries of its own) and period in which new cases run ``process_id``,
    with the rule entry in force then: the place's model and rules are looked up at every date one of its
    county's entries starts or is retired, as a new case would find them. ``book`` is the county data
    (``rules.rule_book``: the file with the entries admins added), the file alone when None."""
    types = catalog()
    for code, county in (counties() if book is None else book).items():
        entries = county["models"] + county["rules"]
        dates = sorted({e["effective_from"] for e in entries} | {e["retired_from"] for e in entries
                                                                 if e.get("retired_from")})
        for township in [None] + sorted({e["township"] for e in entries if e.get("township")}):
            seen = set()
            for on in dates:
                model = model_among(county["models"], township, on)
                rules = in_force_among(rule_entries_of(county, township), on)
                if model is None or rules is None or (id(model), id(rules)) in seen:
                    continue
                seen.add((id(model), id(rules)))
                if any(variant_for(kind, model) in t["variants"]
                       and t["variants"][variant_for(kind, model)]["process_id"] == process_id
                       for kind, t in types.items()):
                    yield Era(code, county["name"], township, on, rules,
                              (county.get("township_names") or {}).get(township))


def _limit_days(limit: str, era: Era, assistance_type: str | None) -> int | None:
    try:
        return _workdays(limit)
    except ValueError:
        pass
    value = era.rules.get(limit)
    if limit == "time_limit_wd":  # as case_parameters gives it to a case of this type
        value = era.rules.get("time_limit_wd_by_type", {}).get(assistance_type, value)
    return int(value) if isinstance(value, (int, float)) else None


def _workdays(period: str) -> int:
    """Working days a deadline allows at most: ``10wd`` → 10, ``7d`` → 5 (an ordinary week's share)."""
    amount, unit = parse_period(period)
    if unit == "wd":
        return amount
    if unit == "d":
        return math.ceil(amount * 5 / 7)
    raise ValueError(period)  # a day of the month (dom26) is a monthly task, not a case's step


def _properties(node) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in
            node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)}


class _Graph:
    """The route's flow nodes and ordinary flows (boundary events leave the task they are attached to)."""

    def __init__(self, process) -> None:
        self.nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and el.get("id")
                      and not el.tag.endswith(("sequenceFlow", "laneSet", "extensionElements", "documentation"))}
        self.edges: dict[str, list[str]] = {key: [] for key in self.nodes}
        for flow in process.iterfind("bpmn:sequenceFlow", NS):
            if EXTENDS not in _properties(flow) and flow.get("sourceRef") in self.edges:
                self.edges[flow.get("sourceRef")].append(flow.get("targetRef"))
        for event in process.iterfind("bpmn:boundaryEvent", NS):
            if event.get("attachedToRef") in self.edges:
                self.edges[event.get("attachedToRef")].append(event.get("id"))
        self.clock_start = next((key for key, el in self.nodes.items() if "starts_clock" in _properties(el)), None)

    def weight(self, key: str, rules: dict[str, Any]) -> int:
        props = _properties(self.nodes[key])
        if props.get("clock") == "paused":
            return 0
        if "publicity" in props:
            if rules.get("publicity_excluded_from_limit"):
                return 0
            if rules.get("publicity_days"):
                return _workdays(f"{rules['publicity_days']}{rules.get('publicity_unit', 'd')}")
        try:
            return _workdays(props["deadline"]) if props.get("deadline") else 0
        except ValueError:
            return 0

    def longest(self, start: str, rules: dict[str, Any], stop: str | None = None) -> Path:
        """The heaviest path from after ``start`` (the clock starts when it is done) to an end, or to and
        including ``stop``; a flow back to a step already on the path (a loop) is not followed."""
        best: dict[str, tuple[int, tuple] | None] = {}

        def visit(key: str, on_path: frozenset) -> tuple[int, tuple] | None:
            if key == stop:
                return self.weight(key, rules), ((key, self.nodes[key].get("name") or key, self.weight(key, rules)),)
            if key in best:
                return best[key]
            outcomes = [visit(nxt, on_path | {key}) for nxt in self.edges.get(key, []) if nxt not in on_path | {key}]
            outcomes = [o for o in outcomes if o is not None]
            if stop is not None and not outcomes:
                best[key] = None
                return None
            days = 0 if key == start else self.weight(key, rules)
            tail = max(outcomes, key=lambda o: o[0], default=(0, ()))
            result = (days + tail[0], ((key, self.nodes[key].get("name") or key, days),) + tail[1])
            best[key] = result
            return result

        found = visit(start, frozenset())
        return Path(found[1] if found else ())

    def milestones(self, rules: dict[str, Any]) -> dict[Any, tuple[int, Path]]:
        """Each step with a ``limit_from_acceptance``: its limit and the longest ordinary path up to it."""
        found = {}
        for key, node in self.nodes.items():
            value = _properties(node).get(MILESTONE)
            if value and self.clock_start is not None:
                try:
                    days, unit = parse_period(value)
                except ValueError:
                    continue  # refused by the task property check
                if unit != "wd":
                    continue  # likewise
                found[node] = (days, self.longest(self.clock_start, rules, stop=key))
        return found
