"""Counts that must add up (the ``x-sums`` hint of a form): a vote is cast by someone who took part.

A form may say at its top level that some of its whole-number fields together are at most another field
(``{"sum": ["votes_for", "votes_against"], "at_most": "participants"}``: 同意票与反对票之和不超过参加人数) or at
least a share of it (``{"sum": ["villager_representatives"], "at_least": [2, 3], "of": "participants"}``:
村民代表不少于参加人数的三分之二, 2012年办法第二十一条). It is designer text like the rest of the form: checked
at deploy (known fields of type integer, a few rules, small shares) and applied on every submission, with
the message on the field that breaks it.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Mapping

from engine.errors import Message

HINT = "x-sums"
MAX_RULES = 8
MAX_TERMS = 6


def check_sum_hint(schema: Mapping[str, Any], problem: Callable[[str, str, str], None]) -> None:
    """Deploy check of a form's ``x-sums`` (``problem(field, message, message_zh)``)."""
    if HINT not in schema:
        return
    rules = schema[HINT]
    fields = schema.get("properties") or {}

    def integer(name: Any) -> bool:
        return isinstance(name, str) and isinstance(fields.get(name), Mapping) and fields[name].get("type") == "integer"

    if not isinstance(rules, list) or not 0 < len(rules) <= MAX_RULES:
        problem(HINT, f"{HINT} must be a list of 1 to {MAX_RULES} rules", f"{HINT} 应为 1 至 {MAX_RULES} 条规则的列表")
        return
    for i, rule in enumerate(rules):
        where = f"{HINT}.{i}"
        terms = rule.get("sum") if isinstance(rule, Mapping) else None
        limit = rule.get("at_most") if isinstance(rule, Mapping) else None
        share, of = (rule.get("at_least"), rule.get("of")) if isinstance(rule, Mapping) else (None, None)
        ok = (isinstance(terms, list) and 0 < len(terms) <= MAX_TERMS and all(integer(t) for t in terms)
              and set(rule) in ({"sum", "at_most"}, {"sum", "at_least", "of"})
              and (integer(limit) if "at_most" in rule else integer(of) and _share(share) is not None))
        if not ok:
            problem(where, f"a rule is {{'sum': [integer fields], 'at_most': field}} or {{'sum': [...], 'at_least': "
                    f"[n, d], 'of': field}} over the form's integer fields",
                    f"{HINT} 的规则应为 {{'sum': [整数字段], 'at_most': 字段}} 或 {{'sum': [...], 'at_least': [分子, 分母], "
                    f"'of': 字段}}，且只能引用本表单的整数字段")


def sum_problems(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Message]:
    """Field → message for each ``x-sums`` rule the submitted counts break (fields left out are not judged)."""
    found: dict[str, Message] = {}
    props = {k: v for k, v in (schema.get("properties") or {}).items() if isinstance(v, Mapping)}
    titles = {k: (v.get("title") or k) for k, v in props.items()}
    titles_en = {k: (v.get("x-title-en") or v.get("title") or k) for k, v in props.items()}
    for rule in schema.get(HINT) or []:
        values = [data.get(t) for t in rule["sum"]]
        bound = data.get(rule.get("at_most") or rule.get("of"))
        if not all(isinstance(v, int) for v in values + [bound]):
            continue
        total, names = sum(values), "与".join(titles[t] for t in rule["sum"])
        names_en = " and ".join(f"“{titles_en[t]}”" for t in rule["sum"])
        if "at_most" in rule and total > bound:
            found.setdefault(rule["sum"][-1], Message(
                f"{names}{'之和' if len(values) > 1 else ''}（{total}）不能超过{titles[rule['at_most']]}（{bound}）",
                f"{'The sum of ' if len(values) > 1 else ''}{names_en} ({total}) cannot be more than "
                f"“{titles_en[rule['at_most']]}” ({bound})"))
        elif "at_least" in rule and total < _share(rule["at_least"]) * bound:
            share = _share(rule["at_least"])
            found.setdefault(rule["sum"][-1], Message(
                f"{names}（{total}）应不少于{titles[rule['of']]}（{bound}）的 {share.numerator}/{share.denominator}",
                f"{names_en} ({total}) must be at least {share.numerator}/{share.denominator} of "
                f"“{titles_en[rule['of']]}” ({bound})"))
    return found


def _share(value: Any) -> Fraction | None:
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(n, int) and not isinstance(n, bool)
                                                            for n in value) and 0 < value[0] <= value[1] <= 100):
        return Fraction(value[0], value[1])
    return None
