"""What no text the workbench keeps may be, even before validation: the shared first check of a route's
BPMN and of a decision table's DMN (size, characters both stores take, well-formed XML without a DOCTYPE,
the right root element)."""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.errors import DeployRefused, Problem

# Parsing options of a draft before it is stored: no entities, no network, no huge trees (as deploy).
SAFE_XML = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refused(name: str, message: str, message_zh: str, line: int | None = None) -> DeployRefused:
    """A refusal of one problem in the file ``name``."""
    return DeployRefused([Problem(name, line, None, message, message_zh)])


def storable(text: str) -> bool:
    """True when both stores take the text: no control characters, no lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not _CONTROL.search(text)


def checked_document(name: str, text: Any, kind: str, max_bytes: int, root_tag: str, root_zh: str) -> bytes:
    """``text`` as bytes, refused (DeployRefused, nothing stored) unless it is a ``kind`` document ("BPMN",
    "DMN") of at most ``max_bytes`` whose root is ``root_tag``, without a DOCTYPE."""
    if not isinstance(text, str) or not text.strip():
        raise refused(name, f"no {kind} text was sent", f"未提交 {kind} 内容")
    data = text.encode("utf-8", errors="replace")  # a lone surrogate is refused below, after the size
    if len(data) > max_bytes:
        raise refused(name, f"the {kind} is larger than {max_bytes} bytes", f"{kind} 文件过大（超过 {max_bytes // 1000} KB）")
    if not storable(text):
        raise refused(name, f"the {kind} contains control or invalid characters", f"{kind} 中含有不允许的控制字符或无效字符")
    try:
        root = etree.fromstring(data, etree.XMLParser(**SAFE_XML))
    except etree.XMLSyntaxError as exc:
        raise refused(name, f"XML syntax error: {exc.msg}", f"XML 格式错误：{exc.msg}", exc.lineno) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise refused(name, f"a DOCTYPE (entity declarations) is not allowed in {kind}",
                      f"{kind} 中不允许 DOCTYPE（实体声明）", 1)
    if root.tag != root_tag:
        raise refused(name, f"not a {kind} definitions document", root_zh, root.sourceline)
    return data
