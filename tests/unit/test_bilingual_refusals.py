"""Every refusal the engine (or the web layer) gives a person has English beside its Chinese, so the English UI
is complete: a scan of engine/ and webapp/ that fails when a new raise site gives Chinese only, and the one
mechanism it checks (engine.errors.Message, FormInvalid.of, JiuzhuError's message_en).

The rules, each over the parsed source (ast), so layout and line breaks do not matter:

1. No ``FormInvalid(...)`` is built directly: a site raises ``FormInvalid.of({field: Message(zh, en)})``.
2. In ``FormInvalid.of({...})`` literals, no field's message is a bare string.
3. No field message is assigned as a bare Chinese string into a dict of errors (``errors[k] = "…"``,
   ``errors.setdefault(k, "…")``): refusals are collected as Messages.
4. ``Message(...)`` has exactly two arguments, Chinese then English (a literal English part has no Chinese
   outside glosses in brackets).
5. A JiuzhuError (NotFound, Forbidden, Conflict, Duplicate …, or cases.operations.refused) raised with a
   Chinese ``message_zh`` also gives ``message_en=``.
6. Code that sets ``.message_zh`` on an error also sets ``.message_en``.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import engine.errors as errors_module
from engine.errors import Conflict, FormInvalid, JiuzhuError, Message, NotFound

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")
# A Chinese term glossed in brackets inside English is the house style: “public notice (公示)”.
GLOSS = re.compile(r"[(（][^()（）]*[\u3400-\u9fff][^()（）]*[)）]")
# Errors whose English is their str() by contract (not JiuzhuError): webapp.limits.InputRefused (shown by
# webapp/errors.py as str(exc)), engine.backup.BackupFailed and engine.workdays.CalendarYearMissing (CLI, logs).
NOT_JIUZHU = {"webapp/limits.py", "engine/backup.py", "engine/workdays.py"}
# DeployRefused's helpers take (element, message, message_zh): a Problem is bilingual by its signature.
DEPLOY_HELPERS = {"engine/catalogue/draft_text.py", "engine/catalogue/draft_decisions.py", "engine/catalogue/drafts.py"}


def _sources():
    for root in ("engine", "webapp"):
        for path in sorted((ROOT / root).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            yield rel, ast.parse(path.read_text(encoding="utf-8"), rel)


SOURCES = list(_sources())


def _chinese(node: ast.AST) -> bool:
    """A string expression (literal, f-string, concatenation, conditional) with Chinese in its literal parts."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and CJK.search(n.value)
               for n in ast.walk(node))


def _stringy(node: ast.AST) -> bool:
    """A message written as a plain string expression rather than a Message."""
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _stringy(node.left) or _stringy(node.right)
    if isinstance(node, ast.IfExp):
        return _stringy(node.body) or _stringy(node.orelse)
    return False


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _jiuzhu_names() -> set[str]:
    """The names of JiuzhuError and its subclasses (engine.errors and any module of engine/ or webapp/)."""
    names = {name for name, value in vars(errors_module).items()
             if isinstance(value, type) and issubclass(value, JiuzhuError)}
    grew = True
    while grew:
        grew = False
        for _rel, tree in SOURCES:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names \
                        and any(_name(base) in names for base in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def _where(rel: str, node: ast.AST) -> str:
    return f"{rel}:{node.lineno}"


def test_no_form_invalid_is_built_without_both_languages():
    direct, bare = [], []
    for rel, tree in SOURCES:
        if rel == "engine/errors.py":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "FormInvalid":
                direct.append(_where(rel, node))
            if isinstance(node.func, ast.Attribute) and node.func.attr == "of" and _name(node.func.value) == "FormInvalid":
                fields = node.args[0] if node.args else None
                values = (fields.values if isinstance(fields, ast.Dict) else
                          [fields.value] if isinstance(fields, ast.DictComp) else [])
                bare += [_where(rel, v) for v in values if _stringy(v)]
    assert not direct, f"FormInvalid(...) built directly (use FormInvalid.of with a Message per field): {direct}"
    assert not bare, f"FormInvalid.of with a bare string message (use Message(zh, en)): {bare}"


def test_no_field_message_is_collected_in_chinese_only():
    found = []
    for rel, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
                if _stringy(node.value) and _chinese(node.value) and "error" in ast.unparse(node.targets[0].value):
                    found.append(_where(rel, node))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault" \
                    and "error" in ast.unparse(node.func.value) and len(node.args) == 2 \
                    and _stringy(node.args[1]) and _chinese(node.args[1]):
                found.append(_where(rel, node))
    assert not found, f"a Chinese-only message put into a dict of errors (use Message(zh, en)): {found}"


def test_every_message_is_chinese_then_english():
    wrong = []
    for rel, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Message":
                if len(node.args) != 2 or node.keywords:
                    wrong.append(f"{_where(rel, node)} (not two arguments)")
                    continue
                english = node.args[1]
                literal = " ".join(n.value for n in ast.walk(english)
                                   if isinstance(n, ast.Constant) and isinstance(n.value, str))
                if CJK.search(GLOSS.sub("", literal)):
                    wrong.append(f"{_where(rel, node)} (Chinese in the English part)")
    assert not wrong, f"Message(zh, en) misused: {wrong}"


def test_every_domain_error_with_a_chinese_message_gives_english_too():
    names = _jiuzhu_names() | {"refused"}
    missing = []
    for rel, tree in SOURCES:
        if rel == "engine/errors.py" or rel in NOT_JIUZHU:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in names:
                continue
            if _name(node.func) == "refused" and rel in DEPLOY_HELPERS:
                continue
            zh = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "message_zh"), None)
            if zh is not None and _chinese(zh) and not any(k.arg == "message_en" for k in node.keywords):
                missing.append(f"{_where(rel, node)} {_name(node.func)}")
    assert not missing, f"raised with a Chinese message but no message_en=: {missing}"


def test_code_that_sets_a_chinese_message_sets_the_english_one():
    missing = []
    for rel, tree in SOURCES:
        if rel == "engine/errors.py" or rel in NOT_JIUZHU:
            continue
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            set_attrs = {t.attr for node in ast.walk(func) if isinstance(node, ast.Assign)
                         for target in node.targets
                         for t in (target.elts if isinstance(target, ast.Tuple) else [target])
                         if isinstance(t, ast.Attribute)}
            if "message_zh" in set_attrs and "message_en" not in set_attrs:
                missing.append(f"{_where(rel, func)} {func.name}")
    assert not missing, f".message_zh set without .message_en: {missing}"


def test_the_scan_finds_what_it_looks_for():
    """The rules fire on the shapes they forbid (a scan that matches nothing would pass forever)."""
    bad = ast.parse('raise FormInvalid({"a": "请填写"})\nerrors["b"] = f"请填写{x}"\n'
                    'raise NotFound("x", "没有")\nraise FormInvalid.of({"c": "请填写"})')
    calls = [n for n in ast.walk(bad) if isinstance(n, ast.Call)]
    assert any(isinstance(c.func, ast.Name) and c.func.id == "FormInvalid" for c in calls)
    assert any(_name(c.func) == "NotFound" and _chinese(c.args[1]) for c in calls)
    assignment = next(n for n in ast.walk(bad) if isinstance(n, ast.Assign))
    assert _stringy(assignment.value) and _chinese(assignment.value)
    assert {"NotFound", "Forbidden", "Conflict", "Duplicate", "FormInvalid", "SearchRefused"} <= _jiuzhu_names()


# --- the mechanism ---------------------------------------------------------------------------------------------
def test_form_invalid_of_takes_a_message_per_field_and_refuses_a_bare_string():
    refused = FormInvalid.of({"name": Message("请填写姓名", "Enter the name")})
    assert refused.errors == {"name": "请填写姓名"} and refused.errors_en == {"name": "Enter the name"}
    assert refused.errors_in(True) == {"name": "请填写姓名"} and refused.errors_in(False) == {"name": "Enter the name"}
    assert refused.messages() == {"name": Message("请填写姓名", "Enter the name")}
    assert refused.message_in(False, "The form has errors.") == "The form has errors."
    for wrong in ("请填写姓名", ("请填写姓名",), ("请填写姓名", ""), ("请填写姓名", None)):
        with pytest.raises(TypeError):
            FormInvalid.of({"name": wrong})


def test_a_summary_replaces_the_generic_line_in_both_languages():
    refused = FormInvalid.of({"file": Message("文件为空", "The file is empty")}, Message("文件为空", "The file is empty"))
    assert refused.message_in(True, "generic") == "文件为空" and refused.message_in(False, "generic") == "The file is empty"


def test_the_two_dict_constructor_still_works_for_existing_callers():
    refused = FormInvalid({"a": "请填写姓名", "b": "校验位有误"}, {"a": "Enter the name"})
    assert refused.errors_in(False) == {"a": "Enter the name", "b": "校验位有误"}
    assert refused.messages()["b"] == Message("校验位有误", "校验位有误")


def test_a_domain_error_carries_its_english_and_falls_back_to_the_generic_line():
    specific = NotFound("user 7", "该用户不存在", message_en="No such user")
    assert specific.message_in(True, "Not found.") == "该用户不存在"
    assert specific.message_in(False, "Not found.") == "No such user"
    assert NotFound("user 7", "该用户不存在").message_in(False, "Not found.") == "Not found."
    assert Conflict("task already completed").message_en is None
