"""The CPU-time and memory budget under which designer text runs.

A diagram's Python is checked against a whitelist (engine.runtime.expressions), but a
whitelisted loop or format can still hang or exhaust a worker. So the checked
code is rewritten before it is compiled: every loop and comprehension draws its
items through ``Budget.iterate`` (an operation counter that also watches the
thread's CPU time), and the operators that can build huge values in one step
(``*``, ``**``, ``<<``, ``%``, ``+`` on sequences, f-string format specs,
``str.replace``/``str.join``) go through guards that refuse a result larger than
a bound *before* computing it. One Budget covers one engine call (a task
completion, a timer firing) or one stand-alone evaluation; over budget raises
OverBudget, which the engine turns into a refused step with the case unchanged.

What this cannot bound: a single C-level operation on data whose shared
structure expands exponentially (``x == y`` on two lists built by repeated
``a = [a, a]``). Loops that build such data are themselves bounded, and the
task data a script leaves behind is measured (``check_data_size``).
"""
from __future__ import annotations

import contextvars
import re
import time
from contextlib import contextmanager
from datetime import date, datetime, time as clock_time
from typing import Any, Iterable, Iterator

CPU_SECONDS = 1.0                # thread CPU time per engine call
MAX_OPERATIONS = 1_000_000       # loop iterations and guarded operations per engine call
MAX_SEQUENCE = 1_000_000         # characters or items in one value built by designer code
MAX_ALLOCATION = 20_000_000      # characters or items built in total per engine call
MAX_INT_BITS = 8_192             # an integer built by *, ** or << (a 2,466-digit number)
MAX_FORMAT_WIDTH = 1_000         # width or precision in a % format or an f-string format spec
MAX_DATA_NODES = 100_000         # values (counted as a tree) in the task data a script leaves
MAX_INSTANCES = 100              # instances of one multi-instance or loop task
MAX_STATE_CHARS = 2_000_000      # a case's stored workflow state (typically 10-50 thousand)
_TIME_CHECK_EVERY = 64           # thread_time() costs ~1 µs: look at the clock every 64 operations

_SEQUENCES = (str, bytes, list, tuple)


class OverBudget(Exception):
    """Designer text needed more CPU time or memory than its budget.

    Attributes: reason (English), reason_zh (Chinese).
    """

    def __init__(self, reason: str, reason_zh: str) -> None:
        self.reason, self.reason_zh = reason, reason_zh
        super().__init__(reason)

    def __reduce__(self):
        return type(self), (self.reason, self.reason_zh)


class Budget:
    """Counts operations, characters built and CPU time of designer code in one engine call."""

    __slots__ = ("operations", "allocated", "deadline", "max_operations", "max_allocation", "helpers")

    def __init__(self, cpu_seconds: float = CPU_SECONDS, max_operations: int = MAX_OPERATIONS,
                 max_allocation: int = MAX_ALLOCATION) -> None:
        self.operations = 0
        self.allocated = 0
        self.max_operations = max_operations
        self.max_allocation = max_allocation
        # Thread CPU time: other requests' work in the same process does not count against this one.
        self.deadline = time.thread_time() + cpu_seconds
        # The names the rewritten code calls (see engine.runtime.expressions._Instrument); they start
        # with '_', which the whitelist refuses in designer text, so a diagram cannot reach them.
        self.helpers = {
            "_j_iter": self.iterate, "_j_mul": self.multiply, "_j_pow": self.power, "_j_lshift": self.shift,
            "_j_mod": self.modulo, "_j_add": self.add, "_j_format": self.format_value,
            "_j_replace": self.replace, "_j_join": self.join,
        }

    # --- counting ------------------------------------------------------------------
    def tick(self, n: int = 1) -> None:
        """Count ``n`` operations; raise OverBudget past the operation count or the CPU time."""
        self.operations += n
        if self.operations > self.max_operations:
            raise OverBudget(f"more than {self.max_operations:,} operations",
                             f"运算次数超过 {self.max_operations:,} 次")
        if self.operations % _TIME_CHECK_EVERY == 0:
            self.check_time()

    def check_time(self) -> None:
        """Raise OverBudget once the CPU time is spent (called before every evaluation too)."""
        if time.thread_time() > self.deadline:
            raise OverBudget("more CPU time than allowed", "运行时间超出限制")

    def allocate(self, size: int) -> None:
        """Account for a value of ``size`` characters or items about to be built."""
        if size > MAX_SEQUENCE:
            raise OverBudget(f"a value of more than {MAX_SEQUENCE:,} characters or items",
                             f"生成的值超过 {MAX_SEQUENCE:,} 个字符或元素")
        self.allocated += size
        if self.allocated > self.max_allocation:
            raise OverBudget(f"more than {self.max_allocation:,} characters or items built",
                             f"累计生成的数据超过 {self.max_allocation:,} 个字符或元素")

    # --- the guarded operations the rewritten code calls ---------------------------------
    def iterate(self, iterable: Iterable) -> Iterator:
        """Yield the items of a loop or comprehension, one operation each."""
        for item in iterable:
            # tick() inlined: this is the hot loop of every designer loop.
            self.operations += 1
            if self.operations > self.max_operations or not self.operations % _TIME_CHECK_EVERY:
                self.tick(0)
            yield item

    def multiply(self, a: Any, b: Any) -> Any:
        """``a * b``, refusing huge repetitions and integers."""
        self.tick()
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise _too_big_int()
        elif isinstance(a, _SEQUENCES) and isinstance(b, int):
            self.allocate(len(a) * max(b, 0))
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            self.allocate(len(b) * max(a, 0))
        return a * b

    def power(self, a: Any, b: Any) -> Any:
        """``a ** b``, refusing integers past MAX_INT_BITS."""
        self.tick()
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            if (abs(a).bit_length() - 1) * b > MAX_INT_BITS:
                raise _too_big_int()
        return a ** b

    def shift(self, a: Any, b: Any) -> Any:
        """``a << b``, refusing integers past MAX_INT_BITS."""
        self.tick()
        if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > MAX_INT_BITS:
            raise _too_big_int()
        return a << b

    def modulo(self, a: Any, b: Any) -> Any:
        """``a % b``; for a format string, widths and precisions are bounded first."""
        self.tick()
        if isinstance(a, (str, bytes)):
            _check_printf(a if isinstance(a, str) else a.decode("latin-1"), b)
            result = a % b
            self.allocate(len(result))
            return result
        return a % b

    def add(self, a: Any, b: Any) -> Any:
        """``a + b``, counting the size of a sequence built."""
        self.tick()
        result = a + b
        if isinstance(result, _SEQUENCES):
            self.allocate(len(result))
        return result

    def format_value(self, value: Any, conversion: int, spec: str) -> str:
        """One f-string field ``{value!conversion:spec}``, with a bounded width and precision."""
        self.tick()
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        if spec:
            if isinstance(value, (date, datetime, clock_time)):
                # strftime: the output grows with the spec, which the width bound keeps short.
                if len(spec) > MAX_FORMAT_WIDTH:
                    raise _too_wide()
            else:
                _check_format_spec(spec)
        result = format(value, spec)
        self.allocate(len(result))
        return result

    def replace(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """``obj.replace(...)``; for strings the result size is bounded before replacing."""
        self.tick()
        if isinstance(obj, (str, bytes)) and not kwargs and 2 <= len(args) <= 3:
            old, new = args[0], args[1]
            count = args[2] if len(args) == 3 else -1
            if isinstance(old, type(obj)) and isinstance(new, type(obj)) and isinstance(count, int):
                hits = len(obj) + 1 if not old else obj.count(old)
                if count >= 0:
                    hits = min(hits, count)
                self.allocate(max(0, len(obj) + hits * (len(new) - len(old))))
        return obj.replace(*args, **kwargs)

    def join(self, sep: Any, iterable: Iterable) -> Any:
        """``sep.join(items)``, bounding the joined size before joining."""
        self.tick()
        if not isinstance(sep, (str, bytes)):
            return sep.join(iterable)
        items = list(iterable)
        self.tick(len(items))
        size = len(sep) * max(0, len(items) - 1)
        for item in items:
            if isinstance(item, (str, bytes)):
                size += len(item)
        self.allocate(size)
        return sep.join(items)


def _too_big_int() -> OverBudget:
    return OverBudget(f"an integer of more than {MAX_INT_BITS:,} bits", f"整数超过 {MAX_INT_BITS:,} 位（二进制）")


def _too_wide() -> OverBudget:
    return OverBudget(f"a format width or precision above {MAX_FORMAT_WIDTH}",
                      f"格式化宽度或精度超过 {MAX_FORMAT_WIDTH}")


# printf-style conversions: %[(key)][flags][width][.precision][length]type
_PRINTF = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?[hlL]?"
                     r"(?P<type>.?)", re.DOTALL)
# format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?[a-zA-Z%]?",
                          re.DOTALL)


def _bounded(number: str | None) -> None:
    # Compare the digits' length first: int() of a 10,000-digit width is itself costly.
    if number and (len(number) > 6 or int(number) > MAX_FORMAT_WIDTH):
        raise _too_wide()


def _check_printf(template: str, args: Any) -> None:
    positional = list(args) if isinstance(args, tuple) else [args]
    for match in _PRINTF.finditer(template):
        if match["type"] == "%" and not match["width"] and match["precision"] is None:
            continue
        for part in ("width", "precision"):
            value = match[part]
            if value == "*":
                star = positional.pop(0) if positional else None
                if isinstance(star, int) and abs(star) > MAX_FORMAT_WIDTH:
                    raise _too_wide()
            else:
                _bounded(value)
        if positional and match["key"] is None:
            positional.pop(0)


def _check_format_spec(spec: str) -> None:
    match = _FORMAT_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"invalid format specifier {spec[:40]!r}")
    _bounded(match["width"])
    _bounded(match["precision"])


def check_data_size(data: Any, limit: int = MAX_DATA_NODES) -> None:
    """Refuse task data of more than ``limit`` values counted as a tree (shared parts count each time).

    Task data is serialized as JSON, which expands shared structure: data built by
    repeating ``a = [a, a]`` would take exponential time and memory to save.
    """
    seen = 0
    stack = [data]
    while stack:
        value = stack.pop()
        seen += 1
        if seen > limit:
            raise OverBudget(f"task data of more than {limit:,} values", f"任务数据超过 {limit:,} 个值")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend(value)


# --- the budget in force --------------------------------------------------------------
_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("jiuzhu_budget", default=None)


@contextmanager
def budget(cpu_seconds: float = CPU_SECONDS, max_operations: int = MAX_OPERATIONS) -> Iterator[Budget]:
    """Run the block under one fresh Budget (an engine call, a document, a deploy-time trial)."""
    token = _current.set(Budget(cpu_seconds, max_operations))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_budget() -> Budget | None:
    """The Budget in force, or None outside any ``budget()`` block."""
    return _current.get()
