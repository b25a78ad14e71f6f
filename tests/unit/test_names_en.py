"""Every step name of the shipped routes and every document title has an English name
(processes/names_en.toml), so the English UI shows no Chinese step or document name."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from engine.catalogue.names_en import english_name, english_names

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def test_every_step_name_has_an_english_name():
    names = {task.get("name") for path in (ROOT / "processes").rglob("*.bpmn")
             for task in ElementTree.parse(path).iter(f"{BPMN}userTask")}
    assert names and sorted(n for n in names if english_name(n) is None) == []


def test_every_document_title_has_an_english_name():
    titles = {m["title"] for path in (ROOT / "documents").glob("*.html")
              if (m := re.search(r"title:\s*(?P<title>[^;]+?)\s*;", path.read_text(encoding="utf-8").split("\n")[0]))}
    assert titles and sorted(t for t in titles if english_name(t) is None) == []


def test_english_names_are_english():
    assert all(not re.search(r"[\u4e00-\u9fff]", en) and en.strip() == en for en in english_names().values())


def test_every_end_event_name_has_an_english_name():
    # A finished case shows how it ended (its end event's name) on the case, the household file and the lists.
    names = {end.get("name") for path in (ROOT / "processes").rglob("*.bpmn")
             for end in ElementTree.parse(path).iter(f"{BPMN}endEvent") if end.get("name")}
    assert names and sorted(n for n in names if english_name(n) is None) == []
