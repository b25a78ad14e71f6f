"""What the designer's modeler may offer, from what this installation knows: one list, served to the page.

The property names are the lists deploy checks against (designer_checks, declarations); the choices are
the lanes' roles, the forms in forms/, the document kinds in documents/ and the decision tables in
processes/decisions. The modeler's own checks of a value (a deadline's shape) mirror the server's rule
and are advice only: deploy decides.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from lxml import etree

from engine.catalogue.declarations import ECONOMIC_SOURCES, REGISTER_FIELDS, REGISTER_FIELDS_ZH
from engine.catalogue.deployment import PROCESSES_DIR
from engine.catalogue.designer_checks import (CLOCK_VALUES, END_EVENT_PROPERTIES, HUMAN_TASK_PROPERTIES,
                                              PROCESS_PROPERTIES, RECIPIENT_EFFECTS)
from engine.catalogue.documents import ROUTE_KINDS as DOCUMENT_KINDS, PREFIX as DOCUMENT_PREFIX
from engine.catalogue.forms import load_form_files
from engine.catalogue.lanes import LANE_NAMES

# Camunda 7 fields the engine does not honour (deploy refuses them): the modeler hides them and says so.
UNHONOURED_CAMUNDA = {
    "assignee": "办理人", "candidateUsers": "候选用户", "candidateGroups": "候选组", "dueDate": "到期时间",
    "followUpDate": "跟进时间", "priority": "优先级", "asyncBefore": "异步前", "asyncAfter": "异步后",
    "jobPriority": "作业优先级", "versionTag": "版本标签", "formRef": "表单引用", "formData": "内置表单",
    "executionListener": "执行监听器", "taskListener": "任务监听器", "inputOutput": "输入/输出映射",
    "class": "Java 类", "expression": "表达式", "delegateExpression": "委托表达式", "resultVariable": "结果变量",
}
# The publicity (公示) names the shipped routes use; a new name is allowed (it names the 公示 in lists).
PUBLICITY_NAMES = ("preliminary", "review", "appraisal", "approval", "result", "termination")


def _decision_ids() -> dict[str, str]:
    found = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    for path in sorted(PROCESSES_DIR.rglob("*.dmn")):
        root = etree.parse(str(path), parser).getroot()
        for decision in root.iterfind("{*}decision"):
            found[decision.get("id")] = decision.get("name") or decision.get("id")
    return found


@cache
def workbench_choices() -> dict[str, Any]:
    """The names and choices the modeler offers (JSON-ready), read once per process."""
    forms = load_form_files()
    return {
        # A lane is named by a role's code or one of its bodies' Chinese names (the shipped routes use the names).
        "roles": [{"code": role, "names": list(names)} for role, names in LANE_NAMES.items()],
        "forms": [{"key": key, "title": schema.get("title") or key} for key, schema in sorted(forms.items())],
        "documents": [{"kind": kind, "title": title} for kind, (title, _code) in DOCUMENT_KINDS.items()],
        "decisions": [{"id": id_, "name": name} for id_, name in _decision_ids().items()],
        "document_prefix": DOCUMENT_PREFIX,
        "properties": {"task": list(HUMAN_TASK_PROPERTIES), "end": list(END_EVENT_PROPERTIES),
                       "process": list(PROCESS_PROPERTIES)},
        "clock_values": list(CLOCK_VALUES),
        "publicity_names": list(PUBLICITY_NAMES),
        "recipient_effects": list(RECIPIENT_EFFECTS),
        "register_columns": {effect: {"required": list(req), "optional": list(opt)}
                             for effect, (req, opt) in REGISTER_FIELDS.items()},
        "register_columns_zh": REGISTER_FIELDS_ZH,
        "economic_sources": list(ECONOMIC_SOURCES),
        # The server's rule (engine.workdays.parse_period): N working days, N days, or a day of the month.
        "deadline": {"pattern": r"^(?:([0-9]+)(wd|d)|dom([0-9]{1,2}))$", "day_of_month": [1, 31],
                     "examples": ["10wd", "7d", "dom26"]},
        "unhonoured_camunda": UNHONOURED_CAMUNDA,
    }
