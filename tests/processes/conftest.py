"""Fixtures of the route tests."""
from __future__ import annotations

import pytest

import engine.catalogue.rules


@pytest.fixture
def appraise_always(monkeypatch):
    """A county whose rules say 民主评议 for every case (the repealed 2012 rule's habit; 三堤口 today): the
    national routes' ``democratic_appraisal == 'always'`` branch, which no shipped county takes on them
    since 相山区 follows 民发〔2021〕57号第十九条."""
    in_force = engine.catalogue.rules.rules_in_force
    monkeypatch.setattr(engine.catalogue.rules, "rules_in_force", lambda code, on, township=None, session=None: {
        **in_force(code, on, township, session), "democratic_appraisal": "always"})
