"""Designer text runs under a CPU-time and memory budget: what would hang or exhaust a worker stops at once
with OverBudget, and what the routes really write still runs and gives the same values."""
from __future__ import annotations

from datetime import date

import pytest

from engine.runtime.budget import MAX_OPERATIONS, OverBudget, budget, check_data_size
from engine.runtime.expressions import compiled, evaluate, execute

# (source, task data): each hangs or exhausts a worker when eval()-ed as written.
EXHAUSTING_EXPRESSIONS = {
    "printf_star_width": ("'%*d' % (4000000000, 0)", {}),
    "printf_width_from_data": ("'%*d' % (width, 0)", {"width": 4_000_000_000}),
    "printf_literal_width": ("'%04000000000d' % 1", {}),
    "printf_precision": ("'%.4000000000f' % 1.0", {}),
    "fstring_width": ("f'{0:>4000000000}'", {}),
    "fstring_width_from_data": ("f'{0:>{width}}'", {"width": 4_000_000_000}),
    "fstring_precision": ("f'{x:.4000000000f}'", {"x": 1.5}),
    "repeat_from_data": ("'a' * n", {"n": 10**10}),
    "repeat_list_from_data": ("[0] * n", {"n": 10**10}),
    "power_from_data": ("x ** n", {"x": 10, "n": 10**8}),
    "shift_from_data": ("1 << n", {"n": 10**10}),
    "multiply_huge_ints": ("x * x", {"x": 10**2000}),
    "replace_amplifies": ("s.replace('', 'x' * 10000)", {"s": "a" * 10000}),
    "join_amplifies": ("('a' * 10000).join(['b' * 10000] * 10000)", {}),
    "round_huge_digits": ("round(12345, -n)", {"n": 10**9}),
    "sum_of_lists": ("sum([[1] * 1000] * 10000, [])", {}),
    "nested_comprehension": ("len([0 for i in range(n) for j in range(n)])", {"n": 100_000}),
    "generator_in_sum": ("sum(i * j for i in range(n) for j in range(n))", {"n": 100_000}),
}


@pytest.mark.parametrize(("source", "data"), EXHAUSTING_EXPRESSIONS.values(), ids=EXHAUSTING_EXPRESSIONS.keys())
def test_exhausting_expression_is_stopped(source, data):
    with budget(), pytest.raises((OverBudget, ValueError, TypeError)) as info:
        evaluate(source, data)
    if isinstance(info.value, OverBudget):
        assert info.value.reason and info.value.reason_zh
    else:  # refused by the guarded function itself (round, sum) before any work
        assert "not allowed" in str(info.value) or "numbers only" in str(info.value)


EXHAUSTING_SCRIPTS = {
    "nested_loops": "total = 0\nfor i in range(n):\n    for j in range(n):\n        total += 1\n",
    "quadratic_string": "s = ''\nfor i in range(n):\n    s = s + 'x' * 1000\n",
    "augmented_repeat": "s = 'ab'\nfor i in range(64):\n    s *= 2\n",
    "exponential_sharing": "a = [1]\nfor i in range(60):\n    a = [a, a]\n",
}


@pytest.mark.parametrize("source", EXHAUSTING_SCRIPTS.values(), ids=EXHAUSTING_SCRIPTS.keys())
def test_exhausting_script_is_stopped(source):
    with budget(), pytest.raises(OverBudget):
        execute(source, {"n": 100_000})


def test_the_operation_count_is_deterministic():
    with budget(cpu_seconds=3600), pytest.raises(OverBudget) as info:
        execute("t = 0\nfor i in range(1000):\n    for j in range(1000):\n        t += 1\n", {})
    assert f"{MAX_OPERATIONS:,}" in info.value.reason


def test_one_budget_covers_every_evaluation_of_an_engine_call():
    with budget(max_operations=1_000), pytest.raises(OverBudget):
        for _ in range(10):
            evaluate("sum(1 for i in range(200))", {})


def test_cpu_time_is_a_budget_too():
    # A zero CPU allowance: the first look at the clock is already past the deadline.
    with budget(cpu_seconds=0.0), pytest.raises(OverBudget) as info:
        evaluate("1", {})
    assert "CPU" in info.value.reason and info.value.reason_zh == "运行时间超出限制"


ROUTE_EXPRESSIONS = [
    ("'%s 户 %d 人' % (name, n)", {"name": "王", "n": 3}, "王 户 3 人"),
    ("'%5.2f' % amount", {"amount": 3.14159}, " 3.14"),
    ("'%(a)s-%(b)s' % d", {"d": {"a": 1, "b": 2}}, "1-2"),
    ("'100%%' % ()", {}, "100%"),
    ("f'{amount:,.2f} 元'", {"amount": 12345.678}, "12,345.68 元"),
    ("f'{n:>3}|{name!r}'", {"n": 7, "name": "王"}, "  7|'王'"),
    ("f'{d:%Y年%m月%d日}'", {"d": date(2026, 9, 15)}, "2026年09月15日"),
    ("'、'.join(names)", {"names": ["张", "李"]}, "张、李"),
    ("'、'.join(m['name'] for m in members)", {"members": [{"name": "张"}, {"name": "李"}]}, "张、李"),
    ("text.replace('-', '/')", {"text": "2026-09-15"}, "2026/09/15"),
    ("d.replace(day=1).isoformat()", {"d": date(2026, 9, 15)}, "2026-09-01"),
    ("'-' * width + str(2 ** 10) + str(1 << 4)", {"width": 3}, "---102416"),
    ("[1, 2] + [3] * 2", {}, [1, 2, 3, 3]),
    ("round(2.5) + round(1.25, 1)", {}, 3.2),
    ("sum(m['income'] for m in members) / len(members)", {"members": [{"income": 300}, {"income": 100}]}, 200),
    ("17 % 5", {}, 2),
]


@pytest.mark.parametrize(("source", "data", "expected"), ROUTE_EXPRESSIONS)
def test_route_expressions_keep_their_values(source, data, expected):
    with budget():
        assert evaluate(source, data) == expected


def test_scripts_keep_their_semantics_under_the_rewrite():
    data = {"members": [{"income": 300}, {"income": 0}], "counts": {"a": 2}}
    script = ("total = 0\nfor m in members:\n    total += m['income']\n"
              "counts['a'] *= 3\nlabel = 'x'\nlabel += 'y'\nlabel *= 2\n"
              "pairs = {k: v for k, v in counts.items()}\n")
    with budget():
        execute(script, data)
    assert (data["total"], data["counts"], data["label"], data["pairs"]) == (300, {"a": 6}, "xyxy", {"a": 6})
    assert not any(key.startswith("_") for key in data), "no helper leaks into the task data"


def test_compiled_code_is_cached_per_source_text():
    assert compiled("a + b == c") is compiled("a + b == c")
    assert compiled("x = 1", "exec") is not compiled("x = 1\n", "exec")


def test_data_left_by_a_script_is_measured():
    shared = [1]
    for _ in range(30):
        shared = [shared, shared]  # 2**30 values once expanded, as JSON would
    with pytest.raises(OverBudget):
        check_data_size({"x": shared})
    check_data_size({"members": [{"name": "张", "income": 300}] * 100})


def test_outside_any_engine_call_an_evaluation_gets_a_budget_of_its_own():
    with pytest.raises(OverBudget):
        evaluate("len([0 for i in range(n) for j in range(n)])", {"n": 100_000})
