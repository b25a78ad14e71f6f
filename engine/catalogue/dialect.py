"""The Camunda 7 dialect at deploy: every Camunda attribute and extension a modeler offers is honoured or
refused with the element named and what to use instead — never silently ignored.

Honoured: ``camunda:formKey`` (user tasks, the start event), ``camunda:decisionRef`` (business rule
tasks) and ``camunda:properties`` in the own extensionElements of a human task, an end event or the
process (the names engine.catalogue.designer_checks knows). Everything else in the Camunda namespace is
refused, by an allow-list: a construct a future modeler adds is refused too, not dropped. The lane
names are checked by deployment (engine.people.accounts' role table); docs/designer-guide.md, "The
Camunda dialect", lists all of it for designers.
"""
from __future__ import annotations

from typing import Callable

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
# A plain bpmn:task is a human step to SpiffWorkflow (NoneTask is manual): it gets the user-task rules.
HUMAN_TAGS = ("userTask", "manualTask", "task")
PROPERTY_OWNERS = HUMAN_TAGS + ("endEvent", "process")
# Read at deploy by the time budget (catalogue.budgets): the one property a sequence flow takes, the legal
# ground for running past the limit; and a user task's own limit from 受理.
EXTENDS = "extends_limit"
MILESTONE = "limit_from_acceptance"
# Camunda attribute → the BPMN elements on which the engine reads it.
HONOURED_ATTRIBUTES = {"formKey": ("userTask", "startEvent"), "decisionRef": ("businessRuleTask",)}

# Why Camunda constructs are refused and what to use instead (English, Chinese), with the attributes
# (camunda:NAME="...") and the extension elements (<camunda:NAME>) each reason covers.
_REFUSED: tuple[tuple[tuple[str, str], tuple[str, ...], tuple[str, ...]], ...] = (
    (("the lane names who does a step", "由泳道决定谁办理"), ("assignee", "candidateUsers", "candidateGroups"), ()),
    (("use the deadline property (10wd, 7d, dom26)", "请使用 deadline 属性（如 10wd、7d、dom26）"),
     ("dueDate", "followUpDate"), ()),
    (("the inbox orders tasks by their deadline: use the deadline property", "待办按期限排序：请使用 deadline 属性"),
     ("priority",), ()),
    (("every step is saved in the transaction that does it; there are no jobs to make asynchronous",
      "每一步都在办理它的事务中保存，没有可异步执行的作业"), ("async", "asyncBefore", "asyncAfter", "exclusive"), ()),
    (("the scheduler fires due timers in due order; a failed step becomes an incident an admin retries",
      "定时器由调度程序按到期顺序触发；出错的步骤成为由管理员重试的异常"),
     ("jobPriority", "taskPriority"), ("failedJobRetryTimeCycle",)),
    (("a case's history is kept with its file (档案), never cleaned up by the engine", "案件历史随档案保存，系统不会自动清理"),
     ("historyTimeToLive",), ()),
    (("a version is the hash of the route's content, listed with its deployment", "版本由流程内容的哈希值确定，部署时自动记录"),
     ("versionTag",), ()),
    (("the lane of the start event names who lodges a case", "由开始事件所在泳道决定谁可以发起"),
     ("isStartableInTasklist", "candidateStarterGroups", "candidateStarterUsers"), ("potentialStarter",)),
    (("the case records who lodged it", "案件自动记录发起人"), ("initiator",), ()),
    (("use camunda:formKey and a JSON Schema form in forms/", "请使用 camunda:formKey 和 forms/ 中的 JSON Schema 表单"),
     ("formRef", "formRefBinding", "formRefVersion", "formHandlerClass"), ("formData", "formProperty")),
    (("a route calls the decision deployed with it and its outputs go into the case data",
      "流程调用随其部署的决策表，决策结果直接写入案件数据"),
     ("decisionRefBinding", "decisionRefVersion", "decisionRefVersionTag", "decisionRefTenantId", "mapDecisionResult",
      "resultVariable"), ()),
    (("a diagram runs no Java, expressions or external workers: use a Python script task",
      "流程图不运行 Java 类、表达式或外部任务：请使用 Python 脚本任务"),
     ("class", "expression", "delegateExpression", "type", "topic"),
     ("executionListener", "taskListener", "field", "connector", "errorEventDefinition")),
    (("write the script in the diagram", "请把脚本写在流程图中"), ("resource",), ()),
    (("call activities are not supported", "不支持调用活动"),
     ("calledElementBinding", "calledElementVersion", "calledElementVersionTag", "calledElementTenantId", "caseRef",
      "caseBinding", "caseVersion", "caseTenantId", "variableMappingClass", "variableMappingDelegateExpression"),
     ("in", "out")),
    (("element templates configure Java delegates and connectors this engine does not run: unlink the template",
      "元素模板用于配置本系统不运行的 Java 委托和连接器：请解除模板"), ("modelerTemplate", "modelerTemplateVersion"), ()),
    (("a multi-instance task repeats the count given in bpmn:loopCardinality; per-item variables are not supported",
      "多实例任务按 bpmn:loopCardinality 中的次数重复，不支持按列表项设置变量"), ("collection", "elementVariable"), ()),
    (("the case data holds every value by its own name", "案件数据按名称保存所有值，无需映射变量"),
     ("errorCodeVariable", "errorMessageVariable", "escalationCodeVariable", "variableName", "variableEvents"),
     ("inputOutput",)),
)
REFUSED_ATTRIBUTES = {name: why for why, attributes, _elements in _REFUSED for name in attributes}
REFUSED_ELEMENTS = {name: why for why, _attributes, elements in _REFUSED for name in elements}
# Attributes of no consequence: BPMN's own, xsi:type of expressions, xml:lang, Camunda Modeler's stamp of the
# platform it targets (modeler:executionPlatform, left out of the version hash too).
_NEUTRAL_NAMESPACES = frozenset({None, BPMN, "http://www.w3.org/2001/XMLSchema-instance",
                                 "http://www.w3.org/XML/1998/namespace", "http://camunda.org/schema/modeler/1.0"})
_GENERIC = ("this engine does not read it", "本系统不读取此设置")

Problem = Callable[..., None]  # problem(node, message, message_zh, line=None), as in deployment.validate_file


def check_camunda_dialect(root, problem: Problem) -> None:
    """Refuse, with the element named, every Camunda attribute or extension the engine would not honour."""
    for node in root.iter():
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN:
            continue  # the diagram (bpmndi:, colours) is layout; extensions are checked where they stand
        for attribute in node.attrib:
            name = etree.QName(attribute)
            if name.namespace == CAMUNDA:
                _check_attribute(node, name.localname, problem)
            elif name.namespace not in _NEUTRAL_NAMESPACES:
                problem(_owner(node), f"attribute {attribute} is not read by this engine",
                        f"本系统不读取属性 {attribute}", node.sourceline)
        if node.tag == f"{{{BPMN}}}extensionElements":
            _check_extensions(node, problem)


def _check_attribute(node, local: str, problem: Problem) -> None:
    tag = etree.QName(node).localname
    if tag in HONOURED_ATTRIBUTES.get(local, ()) or (local == "formKey" and tag in HUMAN_TAGS):
        return  # a form on a manual or plain task: deployment says to make it a user task
    if local in HONOURED_ATTRIBUTES:
        where = ", ".join(f"bpmn:{t}" for t in HONOURED_ATTRIBUTES[local])
        problem(_owner(node), f"camunda:{local} is read only on {where}, not on bpmn:{tag}",
                f"camunda:{local} 只在 {where} 上生效，不能用于 bpmn:{tag}", node.sourceline)
        return
    en, zh = REFUSED_ATTRIBUTES.get(local, _GENERIC)
    problem(_owner(node), f"camunda:{local} is not supported: {en}", f"不支持 camunda:{local}：{zh}", node.sourceline)


def _check_extensions(extensions, problem: Problem) -> None:
    owner = extensions.getparent()
    owner_tag = etree.QName(owner).localname if owner is not None else ""
    for child in extensions:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        if child.tag == f"{{{CAMUNDA}}}properties" and owner_tag == "sequenceFlow":
            _check_flow_properties(child, problem)
        elif child.tag == f"{{{CAMUNDA}}}properties":
            if owner is None or etree.QName(owner).namespace != BPMN or owner_tag not in PROPERTY_OWNERS:
                problem(_owner(child), "camunda:properties are read only in the own extensionElements of a user "
                        "task, an end event or the process", "camunda:properties 只在用户任务、结束事件或流程自身的 "
                        "extensionElements 中生效，此处的属性不会被读取", child.sourceline)
            for item in child:
                if isinstance(item.tag, str) and item.tag != f"{{{CAMUNDA}}}property":
                    problem(_owner(item), f"camunda:properties holds only camunda:property, not {item.tag}",
                            "camunda:properties 中只能包含 camunda:property", item.sourceline)
        elif name.namespace == CAMUNDA:
            en, zh = REFUSED_ELEMENTS.get(name.localname, _GENERIC)
            problem(_owner(child), f"camunda:{name.localname} is not supported: {en}",
                    f"不支持 camunda:{name.localname}：{zh}", child.sourceline)
        else:
            problem(_owner(child), f"extension {child.tag} is not read by this engine (only camunda:properties are)",
                    f"本系统不读取扩展元素 {child.tag}（只读取 camunda:properties）", child.sourceline)


def _check_flow_properties(properties, problem: Problem) -> None:
    """A sequence flow takes one property, the time budget's ``extends_limit``."""
    for item in properties:
        if isinstance(item.tag, str) and (item.tag != f"{{{CAMUNDA}}}property" or item.get("name") != EXTENDS):
            problem(_owner(item), f"a sequence flow takes only the property '{EXTENDS}' (the legal ground for "
                    f"running past the time limit), not '{item.get('name')}'",
                    f"连线上只能设置属性 {EXTENDS}（可以超过办结时限的法规依据），不能设置「{item.get('name')}」",
                    item.sourceline)


def _owner(node):
    """The nearest enclosing element with an id (the flow element a nested construct belongs to)."""
    owner = node
    while owner is not None and not owner.get("id"):
        owner = owner.getparent()
    return owner
