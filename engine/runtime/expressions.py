"""The one whitelist for Python written inside BPMN diagrams, and the one way it is run.

SpiffWorkflow eval()s gateway conditions and timer expressions and exec()s script
tasks; a designer's diagram must never reach the operating system or starve the
server. Every piece of designer text goes through ``compiled``: ``check_expression``
refuses anything outside a small syntax whitelist (at deploy, and again before every
evaluation through the same cached function), the checked tree is rewritten so that
loops and size-building operators draw on a Budget (engine.runtime.budget), and the code runs
with no builtins (``safe_globals``), so even a bypassed check finds no ``open`` or
``__import__``. ``evaluate`` and ``execute`` are the only entry points that run it.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from types import CodeType
from typing import Any, Mapping

# The approved functions live in their own module; re-exported here, where callers look for them.
from engine.runtime.approved_functions import (MAX_RANGE, SAFE_FUNCTIONS, days_duration, first_of_next_month,  # noqa: F401
                                 iso_date, money, publicity_period, safe_globals)
from engine.runtime.budget import Budget, OverBudget, check_data_size, current_budget
from engine.errors import RouteFailed
from engine.runtime.timer_rules import InvalidTimer

MAX_SOURCE_CHARS = 10_000
MAX_NODES = 2_000
MAX_EXPONENT = 64
MAX_REPEAT = 10_000

# Methods and attributes of plain data (str, dict, list, date) that neither reach
# interpreter internals nor run code chosen by the designer. Everything else is
# refused because it is absent, notably format/format_map ("{0.__class__}".format(x)
# walks attributes from inside a string), mro, gi_frame and f_globals.
ALLOWED_ATTRIBUTES = frozenset({
    "get", "keys", "values", "items",                                  # dict
    "strip", "lstrip", "rstrip", "upper", "lower", "startswith",       # str
    "endswith", "split", "join", "replace", "isdigit",
    "count", "index",                                                  # str, list, tuple
    "year", "month", "day", "isoformat",                               # date, datetime
})

# Refused even when merely named: passing one around (say as a sorted() key)
# would be a call the whitelist never saw.
FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "open", "compile", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "type", "object", "__import__", "input", "breakpoint", "help",
    "memoryview", "super", "classmethod", "staticmethod", "property",
})


class UnsafeExpression(ValueError):
    """Raised when an expression is refused.

    Attributes: reason (str, English), reason_zh (str, Chinese), lineno (int|None,
    1-based line inside the expression), col (int|None, 1-based character column).
    """

    def __init__(self, reason: str, reason_zh: str, lineno: int | None = None, col: int | None = None):
        self.reason, self.reason_zh, self.lineno, self.col = reason, reason_zh, lineno, col
        where = f" (line {lineno}, column {col})" if lineno is not None else ""
        super().__init__(reason + where)

    def __reduce__(self):
        # The default pickling would re-call __init__ with the message only.
        return type(self), (self.reason, self.reason_zh, self.lineno, self.col)


# --- the whitelist -------------------------------------------------------------
_EXPR_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare,
    ast.boolop, ast.operator, ast.unaryop, ast.cmpop, ast.Load, ast.Store,
    ast.Constant, ast.Name, ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.JoinedStr, ast.FormattedValue, ast.IfExp, ast.ListComp, ast.SetComp, ast.DictComp,
    ast.GeneratorExp, ast.comprehension, ast.Call, ast.keyword, ast.Attribute, ast.Starred,
)
# AnnAssign is left out on purpose: at module level it stores the annotation in
# __annotations__ inside the task data, which then no longer serializes.
_STMT_NODES = (ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.For,
               ast.Pass, ast.Break, ast.Continue)

_REFUSED_MESSAGES = {
    ast.Import: ("import is not allowed", "不允许导入模块"),
    ast.ImportFrom: ("import is not allowed", "不允许导入模块"),
    ast.Lambda: ("lambda is not allowed", "不允许使用 lambda 表达式"),
    ast.FunctionDef: ("defining functions is not allowed", "不允许定义函数"),
    ast.AsyncFunctionDef: ("defining functions is not allowed", "不允许定义函数"),
    ast.ClassDef: ("defining classes is not allowed", "不允许定义类"),
    ast.While: ("while loops are not allowed", "不允许使用 while 循环"),
    ast.NamedExpr: ("assignment expressions (:=) are not allowed", "不允许使用赋值表达式 (:=)"),
    ast.AnnAssign: ("annotated assignments are not allowed; write 'name = value'",
                    "不允许使用带类型注解的赋值，请写成 'name = value'"),
}

_BIG = 10**18  # stand-in for "too large to matter" while folding constants


def _fold_int(node: ast.AST) -> int | None:
    """Value of a constant integer expression, or None; never computes anything huge."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _fold_int(node.operand)
        return None if v is None else -v
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Pow))):
        return None
    a, b = _fold_int(node.left), _fold_int(node.right)
    if a is None or b is None:
        return None
    if isinstance(node.op, ast.Pow) and not 0 <= b <= MAX_EXPONENT:
        return None  # a float, or refused by the ** rule anyway
    if isinstance(node.op, ast.Pow) and abs(a) > 1 and abs(a).bit_length() * b > 256:
        return _BIG
    ops = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__, ast.Pow: int.__pow__}
    return max(-_BIG, min(_BIG, ops[type(node.op)](a, b)))


def _is_sequence(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        return _is_sequence(node.left) or _is_sequence(node.right)
    return isinstance(node, (ast.List, ast.Tuple, ast.ListComp, ast.JoinedStr))


def _repetition(node: ast.AST) -> int | None:
    """Total static repetition count of a sequence built with *, or None if unknown."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for seq, count in ((node.left, node.right), (node.right, node.left)):
            n = _fold_int(count) if _is_sequence(seq) else None
            if n is not None:
                return n * (_repetition(seq) or 1)
    return None


def _contains_pow(node: ast.AST) -> bool:
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node))


def _problem(node: ast.AST, parent: ast.AST | None, allowed: tuple) -> tuple[str, str] | None:
    """Why this single node is refused, as (English, Chinese), or None if it is fine."""
    if not isinstance(node, allowed):
        name = type(node).__name__
        return _REFUSED_MESSAGES.get(type(node), (f"'{name}' is not allowed", f"不允许使用 '{name}' 语法"))
    if isinstance(node, ast.Name):
        if node.id.startswith("_") or node.id in FORBIDDEN_NAMES:
            return f"name '{node.id}' is not allowed", f"不允许使用名称 '{node.id}'"
        if isinstance(node.ctx, ast.Store) and node.id in SAFE_FUNCTIONS:
            return (f"name '{node.id}' is reserved for an approved function",
                    f"名称 '{node.id}' 已被内置函数占用，不能赋值")
    elif isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTES:
        return f"attribute '{node.attr}' is not allowed", f"不允许访问属性 '{node.attr}'"
    elif isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id not in SAFE_FUNCTIONS:
            return f"function '{func.id}' is not approved", f"不允许调用函数 '{func.id}'"
        if not isinstance(func, (ast.Name, ast.Attribute)):
            # Name a refused callee (a lambda, say) rather than the call itself.
            return (_problem(func, node, allowed)
                    or ("only approved functions and data methods may be called", "只能调用经批准的函数或数据方法"))
    elif isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
        return f"keyword argument '{node.arg}' is not allowed", f"不允许使用关键字参数 '{node.arg}'"
    elif isinstance(node, ast.Starred) and not isinstance(parent, (ast.Call, ast.List, ast.Tuple, ast.Set)):
        return "starred expression is not allowed here", "此处不允许使用星号表达式"
    elif isinstance(node, ast.comprehension) and node.is_async:
        return "async comprehensions are not allowed", "不允许使用异步推导式"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _fold_int(node.right)
        if (exponent is not None and abs(exponent) > MAX_EXPONENT) or _contains_pow(node.left):
            return (f"exponent must not exceed {MAX_EXPONENT} and powers must not be nested",
                    f"乘方的指数不能超过 {MAX_EXPONENT}，且不能嵌套乘方")
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        times = _repetition(node)
        if times is not None and times > MAX_REPEAT:
            return f"repeating a sequence more than {MAX_REPEAT} times is not allowed", f"序列重复次数不能超过 {MAX_REPEAT}"
    return None


def _column(source: str, lineno: int, col_offset: int) -> int:
    """1-based character column from ast's byte offset (identifiers may be Chinese)."""
    lines = re.split(r"\r\n|\r|\n", source)
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    return len(line.encode("utf-8")[:col_offset].decode("utf-8", "replace")) + 1


def check_expression(source: str, mode: str = "eval") -> None:
    """Refuse ``source`` unless every node is on the whitelist.

    mode 'eval' for conditions/timer expressions, 'exec' for script-task bodies.
    Raises UnsafeExpression (also for syntax errors, with their line) or returns None.
    """
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if not isinstance(source, str):
        raise TypeError("expression source must be a str")
    if len(source) > MAX_SOURCE_CHARS:
        raise UnsafeExpression(f"expression is longer than {MAX_SOURCE_CHARS} characters",
                               f"表达式长度超过 {MAX_SOURCE_CHARS} 个字符")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise UnsafeExpression(f"syntax error: {exc.msg}", "表达式语法错误", exc.lineno, exc.offset or None) from None
    except ValueError as exc:  # e.g. null bytes in the source
        raise UnsafeExpression(f"syntax error: {exc}", "表达式语法错误") from None
    except (MemoryError, RecursionError):  # the parser gives up on very deep nesting
        raise UnsafeExpression("expression is nested too deeply", "表达式嵌套过深") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise UnsafeExpression(f"expression is too complex (more than {MAX_NODES} nodes)",
                               f"表达式过于复杂（超过 {MAX_NODES} 个节点）")
    allowed = _EXPR_NODES + (_STMT_NODES if mode == "exec" else ())
    # Depth-first in source order, so the first problem reported is the earliest one.
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while stack:
        node, parent = stack.pop()
        try:
            problem = _problem(node, parent, allowed)
        except RecursionError:
            problem = ("expression is nested too deeply", "表达式嵌套过深")
        if problem:
            lineno = getattr(node, "lineno", None)
            col = _column(source, lineno, node.col_offset) if lineno is not None else None
            raise UnsafeExpression(problem[0], problem[1], lineno, col)
        stack.extend((child, node) for child in reversed(list(ast.iter_child_nodes(node))))


# --- instrumentation: the checked tree, rewritten to draw on the budget ---------------
_GUARDED_OPERATORS = {ast.Mult: "_j_mul", ast.Pow: "_j_pow", ast.LShift: "_j_lshift", ast.Mod: "_j_mod",
                      ast.Add: "_j_add"}
_GUARDED_METHODS = {"replace": "_j_replace", "join": "_j_join"}


def _helper_call(name: str, args: list, node: ast.AST, keywords: list | None = None) -> ast.Call:
    return ast.copy_location(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=keywords or []),
                             node)


def _as_load(target: ast.expr) -> ast.expr:
    """The expression that reads what an augmented assignment writes (``a[k]`` in ``a[k] *= 2``)."""
    if isinstance(target, ast.Name):
        return ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
    if isinstance(target, ast.Subscript):
        return ast.copy_location(ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), target)
    return ast.copy_location(ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load()), target)


class _Instrument(ast.NodeTransformer):
    """Routes loops and size-building operations of checked code through engine.runtime.budget's guards."""

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _helper_call("_j_iter", [node.iter], node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _helper_call("_j_iter", [node.iter], node.iter)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        helper = _GUARDED_OPERATORS.get(type(node.op))
        return _helper_call(helper, [node.left, node.right], node) if helper else node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        helper = _GUARDED_OPERATORS.get(type(node.op))
        if helper is None:
            return node
        # a[k] *= n becomes a[k] = _j_mul(a[k], n); the whitelisted subscripts have no side effects.
        value = _helper_call(helper, [_as_load(node.target), node.value], node)
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant(value="")
        call = _helper_call("_j_format", [node.value, ast.Constant(value=node.conversion), spec], node)
        return ast.copy_location(ast.FormattedValue(value=call, conversion=-1, format_spec=None), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _GUARDED_METHODS:
            return _helper_call(_GUARDED_METHODS[func.attr], [func.value, *node.args], node, node.keywords)
        return node


@lru_cache(maxsize=8192)
def compiled(source: str, mode: str = "eval") -> CodeType:
    """Check ``source`` against the whitelist and compile it, rewritten to run under the budget.

    The one function through which designer text reaches ``eval``/``exec``; cached per
    source text, so the check and the rewrite cost nothing after the first use.
    Raises UnsafeExpression.
    """
    if mode == "eval":
        source = source.strip()  # as eval() does, and XML text often carries the indentation around it
    check_expression(source, mode)
    tree = ast.fix_missing_locations(_Instrument().visit(ast.parse(source, mode=mode)))
    return compile(tree, "<designer text>", mode)


def _in_budget() -> Budget:
    budget = current_budget()
    if budget is None:
        # Every evaluation runs under a budget: one of its own when no engine call opened one.
        budget = Budget()
    budget.check_time()
    budget.tick()
    return budget


def evaluate(source: str, names: Mapping[str, Any], external: Mapping[str, Any] | None = None) -> Any:
    """Value of the expression ``source`` over ``names`` (task data), under the current budget.

    ``external`` adds names (data objects, a DMN input) that the data may not shadow.
    Raises UnsafeExpression, OverBudget, or what the expression raises.
    """
    code = compiled(source, "eval")
    budget = _in_budget()
    scope = {**safe_globals(), **(external or {}), **names, **budget.helpers}
    return eval(code, scope)  # noqa: S307 - whitelisted, rewritten, no builtins


def execute(source: str, context: dict[str, Any], external: Mapping[str, Any] | None = None) -> None:
    """Run the script ``source`` on ``context`` (task data, updated in place), under the current budget.

    Raises UnsafeExpression, OverBudget, ValueError (task data shadowing an approved
    function, as SpiffWorkflow refuses), or what the script raises.
    """
    code = compiled(source, "exec")
    external = external or {}
    shadowed = (SAFE_FUNCTIONS.keys() | external.keys()) & context.keys()
    if shadowed:
        raise ValueError(f"task data overwrites approved function names: {sorted(shadowed)}")
    budget = _in_budget()
    added = {**safe_globals(), **external, **budget.helpers}
    context.update(added)
    try:
        exec(code, context)  # noqa: S102 - whitelisted, rewritten, no builtins
    finally:
        for key in list(context):
            if key in added or callable(context[key]):
                del context[key]
    check_data_size(context)


# Functions whose result depends on the clock or the calendar: never tried at deploy.
_TIME_DEPENDENT = frozenset({"publicity_period"})


def _names(source: str, mode: str) -> tuple[set[str], set[str]]:
    tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    loaded, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
    return loaded, stored


def data_names(source: str, mode: str = "eval") -> frozenset[str]:
    """The task data names ``source`` (already checked) reads: neither approved functions nor its own names."""
    loaded, stored = _names(source, mode)
    return frozenset(loaded - stored - SAFE_FUNCTIONS.keys())


def data_free(source: str, mode: str = "eval") -> bool:
    """True when ``source`` (already checked) reads no task data and asks no clock, so it can be
    tried at deploy: its every run will do the same."""
    loaded, stored = _names(source, mode)
    return not (loaded & _TIME_DEPENDENT) and not (loaded - stored - SAFE_FUNCTIONS.keys())


def route_failure(exc: BaseException, element_id: str | None = None) -> RouteFailed:
    """The RouteFailed for an exception raised while designer text of a case's route ran.

    Refusals and budget overruns are found even when SpiffWorkflow wrapped them; the
    element is the innermost one known (``element_id`` attributes, SpiffWorkflow's task).
    """
    cause, element = exc, None
    while cause is not None:
        element = element or getattr(cause, "element_id", None)
        task = getattr(cause, "task", None)
        element = element or getattr(getattr(task, "task_spec", None), "bpmn_id", None)
        if isinstance(cause, (UnsafeExpression, InvalidTimer)):
            return RouteFailed("refused", element or element_id, cause.reason, cause.reason_zh)
        if isinstance(cause, OverBudget):
            return RouteFailed("over_budget", element or element_id, cause.reason, cause.reason_zh)
        if isinstance(cause, (RecursionError, MemoryError)):
            return RouteFailed("over_budget", element or element_id, type(cause).__name__, "运行资源超出限制")
        cause = cause.__cause__ or cause.__context__
    message = str(exc)[:300]
    return RouteFailed("failed", element or element_id, message, f"表达式或脚本运行出错（{message}）")
