"""Expression whitelist: known sandbox escapes are refused, route expressions pass and evaluate."""
import pickle
from datetime import date

import pytest
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

from engine.runtime.expressions import (
    ALLOWED_ATTRIBUTES,
    SAFE_FUNCTIONS,
    UnsafeExpression,
    check_expression,
    days_duration,
    first_of_next_month,
    iso_date,
    money,
    safe_globals,
)

# (source, mode): each one is a known way out of a naive eval() sandbox.
ESCAPES = {
    "subclasses_via_tuple": ("().__class__.__base__.__subclasses__()", "eval"),
    "subclasses_via_mro": ("[].__class__.__mro__[1].__subclasses__()", "eval"),
    "dunder_import": ("__import__('os').system('id')", "eval"),
    "import": ("import os", "exec"),
    "import_from": ("from os import system", "exec"),
    "lambda": ("(lambda: 1)()", "eval"),
    "getattr": ("getattr((), '__class__')", "eval"),
    "eval": ("eval('1')", "eval"),
    "exec": ("exec('x=1')", "eval"),
    "open": ("open('/etc/passwd').read()", "eval"),
    "str_format": ('"{0.__class__}".format(1)', "eval"),
    "format_map": ('"{x.__class__}".format_map(d)', "eval"),
    "type": ("type(1)", "eval"),
    "generator_frame": ("(x for x in ()).gi_frame.f_globals", "eval"),
    "vars": ("vars()", "eval"),
    "globals": ("globals()", "eval"),
    "comprehension_bases": ("[c for c in ().__class__.__bases__]", "eval"),
    "def": ("def f(): pass", "exec"),
    "class": ("class A: pass", "exec"),
    "while": ("while True: pass", "exec"),
    "power_tower": ("9**9**9", "eval"),
    "string_bomb": ("'a' * 10**9", "eval"),
    "nested_string_bomb": ("('a' * 10000) * 10000", "eval"),
    "dunder_dict": ("x.__dict__", "eval"),
    "private_name": ("_secret", "eval"),
    "fstring_class": ('f"{x.__class__}"', "eval"),
    "walrus": ("(y := 1)", "eval"),
    "try": ("try:\n  pass\nexcept: pass", "exec"),
    "forbidden_name_as_value": ("sorted(items, key=eval)", "eval"),
    "call_subscript": ("handlers[0]()", "eval"),
    "call_call_result": ("len(x)()", "eval"),
    "call_task_variable": ("callback(1)", "eval"),
    "underscore_keyword": ("dict(_x=1)", "eval"),
    "fullwidth_eval": ("ｅｖａｌ('1')", "eval"),
    "with": ("with x as y: pass", "exec"),
    "raise": ("raise ValueError", "exec"),
    "assert": ("assert x", "exec"),
    "delete": ("del x", "exec"),
    "global": ("global x", "exec"),
    "await": ("await x", "eval"),
    "yield": ("yield 1", "exec"),
    "statement_in_eval_mode": ("x = 1", "eval"),
    "rebind_approved_function": ("len = x", "exec"),
    "annotated_assignment": ("x: int = 1", "exec"),
    "too_long": ("1 + " * 2_500 + "1", "eval"),
    "too_many_nodes": ("+".join(["x"] * 1_500), "eval"),
    "too_deep": ("-" * 9_000 + "1", "eval"),
    "null_byte": ("1\x00", "eval"),
}


@pytest.mark.parametrize(("source", "mode"), ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_is_refused(source, mode):
    with pytest.raises(UnsafeExpression) as info:
        check_expression(source, mode)
    assert info.value.reason and info.value.reason_zh


def test_messages_name_the_offence_in_both_languages():
    cases = {
        "().__class__": ("attribute '__class__' is not allowed", "不允许访问属性 '__class__'"),
        "eval('1')": ("function 'eval' is not approved", "不允许调用函数 'eval'"),
        "x.format(1)": ("attribute 'format' is not allowed", "不允许访问属性 'format'"),
    }
    for source, (reason, reason_zh) in cases.items():
        with pytest.raises(UnsafeExpression) as info:
            check_expression(source)
        assert (info.value.reason, info.value.reason_zh) == (reason, reason_zh)
    with pytest.raises(UnsafeExpression) as info:
        check_expression("import os", "exec")
    assert (info.value.reason, info.value.reason_zh) == ("import is not allowed", "不允许导入模块")


def test_syntax_error_is_refused_with_its_line():
    with pytest.raises(UnsafeExpression) as info:
        check_expression("a = 1\nb = (\n", "exec")
    assert info.value.reason_zh == "表达式语法错误"
    assert info.value.lineno == 2


def test_refusal_carries_line_and_column_of_the_offending_node():
    script = "household_size = len(members)\nlimit = 3\n户数 = members.__class__\n"
    with pytest.raises(UnsafeExpression) as info:
        check_expression(script, "exec")
    assert (info.value.lineno, info.value.col) == (3, 6)
    assert "line 3" in str(info.value)


def test_unsafe_expression_is_a_value_error_and_pickles():
    err = UnsafeExpression("attribute 'x' is not allowed", "不允许访问属性 'x'", 2, 5)
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.reason, copy.reason_zh, copy.lineno, copy.col) == (err.reason, err.reason_zh, 2, 5)


def test_bad_mode_is_a_programming_error():
    with pytest.raises(ValueError) as info:
        check_expression("1", "single")
    assert not isinstance(info.value, UnsafeExpression)


ROUTE_MEMBERS = [{"monthly_income": 1200}, {"monthly_income": 800}, {"monthly_income": 0}]

# (source, task data, expected value): expressions the approval routes really use.
ROUTE_EXPRESSIONS = [
    ("decision == 'accepted'", {"decision": "accepted"}, True),
    ("decision == 'accepted'", {"decision": "rejected"}, False),
    ("near_relative == True", {"near_relative": True}, True),
    ("check_result != 'eligible' and objection", {"check_result": "ineligible", "objection": "有异议"}, "有异议"),
    ("check_result != 'eligible' and objection", {"check_result": "eligible", "objection": "有异议"}, False),
    ("sum(m['monthly_income'] for m in members) / len(members)", {"members": ROUTE_MEMBERS}, 2000 / 3),
    ("days_duration(7)", {}, "P7D"),
    ("publicity_duration", {"publicity_duration": "P7D"}, "P7D"),
    ("first_of_next_month(confirmed_on)", {"confirmed_on": "2026-11-22"}, "2026-12-01"),
    ("money((local_standard - per_capita_income) * household_size)",
     {"local_standard": 900, "per_capita_income": 650.5, "household_size": 3}, 748.5),
    ("[m['monthly_income'] for m in members if m['monthly_income'] > 0]", {"members": ROUTE_MEMBERS}, [1200, 800]),
    ("f\"{name.strip()}: {applied_on.year}\"", {"name": " 王芳 ", "applied_on": date(2026, 3, 4)}, "王芳: 2026"),
    ("x ** 2 + amount * 100_000", {"x": 3, "amount": 2}, 200_009),
    ("sorted(names, key=len)[0].upper()", {"names": ["bob", "al"]}, "AL"),
    ("'-' * width", {"width": 3}, "---"),
]


@pytest.mark.parametrize(("source", "data", "expected"), ROUTE_EXPRESSIONS)
def test_route_expression_passes_and_evaluates(source, data, expected):
    check_expression(source)
    assert eval(compile(source, "<expr>", "eval"), safe_globals(), dict(data)) == expected


SCRIPT = (
    "household_size = len(members)\n"
    "per_capita_income = money(sum(m['monthly_income'] for m in members) / household_size)"
)


def test_route_script_passes_and_produces_task_data():
    check_expression(SCRIPT, "exec")
    data = {"members": ROUTE_MEMBERS}
    exec(compile(SCRIPT, "<script>", "exec"), safe_globals(), data)
    assert data == {"members": ROUTE_MEMBERS, "household_size": 3, "per_capita_income": 666.67}


def test_exec_statements_allowed_in_scripts():
    script = (
        "total = 0\n"
        "for i, m in enumerate(members):\n"
        "    if m['monthly_income'] == 0:\n"
        "        continue\n"
        "    total += m['monthly_income']\n"
        "else:\n"
        "    pass\n"
        "first, *rest = [m['monthly_income'] for m in members]\n"
    )
    check_expression(script, "exec")
    data = {"members": ROUTE_MEMBERS}
    exec(compile(script, "<script>", "exec"), safe_globals(), data)
    assert (data["total"], data["first"], data["rest"]) == (2000, 1200, [800, 0])


def test_spiffworkflow_environment_with_safe_globals():
    env = TaskDataEnvironment(safe_globals())
    data = {"members": ROUTE_MEMBERS}
    env.execute(SCRIPT, data)
    assert data == {"members": ROUTE_MEMBERS, "household_size": 3, "per_capita_income": 666.67}
    with pytest.raises(NameError):
        env.evaluate("open", {})


@pytest.mark.parametrize("source", ["open", "__import__('os')", "exec", "print('x')"])
def test_runtime_globals_have_no_builtins(source):
    # Deliberately skip check_expression: the second layer must hold on its own.
    with pytest.raises(NameError):
        eval(compile(source, "<expr>", "eval"), safe_globals(), {})


def test_safe_globals_are_fresh_and_functions_read_only():
    g = safe_globals()
    assert g["__builtins__"] == {} and g["len"] is len
    g["len"] = None
    assert safe_globals()["len"] is len
    with pytest.raises(TypeError):
        SAFE_FUNCTIONS["eval"] = eval  # type: ignore[index]
    assert not {"eval", "exec", "open", "getattr", "type"} & set(SAFE_FUNCTIONS)


def test_range_is_capped_at_call_time():
    assert list(eval("range(3)", safe_globals())) == [0, 1, 2]
    assert len(eval("range(100_000)", safe_globals())) == 100_000
    for source in ("range(100_001)", "range(10**20)", "range(0, 10**6, 2)"):
        with pytest.raises(ValueError):
            eval(source, safe_globals())


def test_method_whitelist_excludes_format_and_internals():
    assert {"get", "items", "split", "join", "isoformat"} <= ALLOWED_ATTRIBUTES
    assert not {"format", "format_map", "mro", "gi_frame", "f_globals"} & ALLOWED_ATTRIBUTES
    assert not any(name.startswith("_") for name in ALLOWED_ATTRIBUTES)


def test_first_of_next_month():
    assert first_of_next_month("2026-11-22") == "2026-12-01"
    assert first_of_next_month("2026-12-05") == "2027-01-01"
    assert first_of_next_month("2024-01-31") == "2024-02-01"


def test_iso_date_normalises():
    assert iso_date("2026-1-5") == "2026-01-05"
    assert iso_date("2026/01/05") == "2026-01-05"
    assert iso_date("2026年1月5日") == "2026-01-05"
    assert iso_date("2026-01-05T10:30:00") == "2026-01-05"
    for bad in ("yesterday", "2026-02-30", ""):
        with pytest.raises(ValueError):
            iso_date(bad)


def test_days_duration():
    assert days_duration(7) == "P7D"
    assert days_duration("15") == "P15D"
    for bad in (-1, 7.5, True):
        with pytest.raises(ValueError):
            days_duration(bad)


def test_money_rounds_half_up():
    assert money(2.675) == 2.68
    assert money(0.125) == 0.13
    assert money(-0.125) == -0.13
    assert money("12.344") == 12.34
    assert money(2000 / 3) == 666.67
