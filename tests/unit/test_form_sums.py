"""Counts that must add up (x-sums): votes cast by people who took part, representatives of the village at
least two thirds where the 2012 rule applies — checked at deploy, enforced on every submission."""
from __future__ import annotations

import json
from datetime import date

import pytest

from engine.catalogue.forms import FORMS_DIR, FormValidator, check_form_schema
from engine.errors import FormInvalid

TODAY = date(2026, 9, 15)
ROW = {"appraisal_held_on": "2026-09-14", "participants": 12, "villager_representatives": 9, "votes_for": 11,
       "votes_against": 1, "appraisal_conclusion": "同意纳入"}


def form(name: str) -> FormValidator:
    return FormValidator(json.loads((FORMS_DIR / f"{name}.json").read_text(encoding="utf-8")))


def test_votes_may_not_outnumber_the_participants():
    assert form("democratic_appraisal").validate(ROW, TODAY) == ROW
    with pytest.raises(FormInvalid) as refused:
        form("democratic_appraisal").validate({**ROW, "votes_for": 12}, TODAY)
    assert refused.value.errors == {"votes_against": "同意票与反对票之和（13）不能超过参加人数（12）"}
    with pytest.raises(FormInvalid) as refused:
        form("democratic_appraisal").validate({**ROW, "villager_representatives": 13}, TODAY)
    assert "其中村民代表人数（13）不能超过参加人数（12）" in refused.value.errors["villager_representatives"]


def test_under_the_2012_rule_two_thirds_are_villager_representatives():
    form("democratic_appraisal").validate({**ROW, "villager_representatives": 7}, TODAY)  # 57号: no share
    with pytest.raises(FormInvalid) as refused:
        form("democratic_appraisal_2012").validate({**ROW, "villager_representatives": 7}, TODAY)
    assert refused.value.errors == {"villager_representatives": "其中村民代表人数（7）应不少于参加人数（12）的 2/3"}
    form("democratic_appraisal_2012").validate({**ROW, "villager_representatives": 8}, TODAY)  # 8 of 12: enough


def integers(*names) -> dict:
    return {"type": "object", "properties": {n: {"type": "integer", "title": n} for n in names} | {
        "t": {"type": "string"}}}


@pytest.mark.parametrize("rules", [
    "votes",                                                              # not a list
    [],                                                                   # empty
    [{"sum": ["a"], "at_most": "nope"}],                                  # no such field
    [{"sum": ["t"], "at_most": "a"}],                                     # not a whole number
    [{"sum": ["a"], "at_most": "b", "of": "b"}],                          # mixed forms
    [{"sum": ["a"], "at_least": [3, 2], "of": "b"}],                      # more than the whole
    [{"sum": ["a"], "at_least": [1, 0], "of": "b"}],                      # no denominator
    [{"sum": ["a"] * 7, "at_most": "b"}],                                 # too many terms
    [{"sum": ["a"], "at_most": "b"}] * 9,                                 # too many rules
])
def test_a_bad_sum_rule_is_refused_at_deploy(rules):
    problems = check_form_schema({**integers("a", "b"), "x-sums": rules}, "bad.json")
    assert problems and problems[0].element_id.startswith("x-sums") and "x-sums" in problems[0].message_zh


def test_a_sum_rule_inside_a_field_is_refused():
    schema = {"type": "object", "properties": {"a": {"type": "integer", "x-sums": []}}}
    assert any("只能写在表单最外层" in p.message_zh for p in check_form_schema(schema, "bad.json"))
