"""A version is the hash of a route's executable content: a save that changes only the layout, the
formatting or the modeler's stamp is not a new version; a change of what runs or what people see is."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.catalogue.deployment import deploy
from engine.catalogue.executable import content_hash, executable_content
from engine.runtime.workflow import parse_processes
from engine.store.models import ProcessVersion
from tests.conftest import START

ROUTE = "minimum_living/xiangshui.bpmn"


@pytest.fixture
def tree(tmp_path):
    """A copy of processes/ to edit as a modeler would."""
    target = tmp_path / "processes"
    shutil.copytree("processes", target)
    return target


def modeler_5_save(xml: str) -> str:
    """What Camunda Modeler 5 writes after a designer moved a shape and bent a flow, and nothing else:
    new Bounds and an extra waypoint, its own exporter stamp and platform, another indentation, the
    attributes of each element in another order and the BPMN namespace under another prefix."""
    moved = re.sub(r'(<dc:Bounds x=")(\d+)', lambda m: m[1] + str(int(m[2]) + 40), xml, count=3)
    bent = re.sub(r"(<di:waypoint [^>]*/>)", r'\1<di:waypoint x="999" y="999" />', moved, count=1)
    stamped = bent.replace('exporter="Jiuzhu bpmn_scaffold (first draft)" exporterVersion="1"',
                           'exporterVersion="5.31.0" exporter="Camunda Modeler" '
                           'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
                           'modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0"')
    assert stamped != bent
    reindented = "\n".join("\t" * ((len(line) - len(line.lstrip(" "))) // 2) + line.lstrip(" ")
                           for line in stamped.splitlines())
    reordered = re.sub(r'<bpmn:userTask id="([^"]+)" name="([^"]+)"', r'<bpmn:userTask name="\2" id="\1"', reindented)
    assert reordered != reindented
    return reordered.replace("bpmn:", "semantic:").replace("xmlns:bpmn=", "xmlns:semantic=")


def versions(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(ProcessVersion)).scalar()


def cli_deploy(db_url: str, tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webapp.cli", "deploy", str(tree)], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()})


def test_a_layout_only_save_is_not_a_new_version(db, db_url, tree):
    path = tree / ROUTE
    saved = modeler_5_save(path.read_text(encoding="utf-8"))
    path.write_text(saved, encoding="utf-8")
    before = versions(db)
    result = cli_deploy(db_url, tree)
    assert result.returncode == 0, result.stderr
    assert "unchanged minimum_living_xiangshui" in result.stdout and "deployed" not in result.stdout
    assert versions(db) == before


def test_a_renamed_task_is_a_new_version_stored_with_its_layout(db, tree):
    path = tree / ROUTE
    text = modeler_5_save(path.read_text(encoding="utf-8"))
    assert 'name="受理审查"' in text
    path.write_text(text.replace('name="受理审查"', 'name="受理审查（新）"', 1), encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        report = deploy(uow.session, START, tree)
        stored = uow.session.execute(select(ProcessVersion.bpmn_xml).where(
            ProcessVersion.content_hash == report.deployed[0][1])).scalar_one()
        # The version keeps the file as deployed, layout and all, for the designer to download.
        assert stored == path.read_text(encoding="utf-8") and '<di:waypoint x="999" y="999" />' in stored
    assert [p for p, _ in report.deployed] == ["minimum_living_xiangshui"]


@pytest.mark.parametrize(("old", "new"), [
    ('name="受理审查"', 'name="受理审查 "'),                                 # a name shown to people
    ('camunda:formKey="acceptance"', 'camunda:formKey="acceptance2"'),     # what the step asks
    ('<bpmn:flowNodeRef>start</bpmn:flowNodeRef>', ''),                      # who does a step
    ('<bpmn:documentation>', '<bpmn:documentation>改：'),                    # what the designer wrote
])
def test_every_executable_difference_changes_the_hash(old, new):
    xml = Path("processes", ROUTE).read_text(encoding="utf-8")
    assert old in xml
    assert executable_content(xml.replace(old, new, 1).encode()) != executable_content(xml.encode())


def test_script_indentation_counts_but_the_layout_of_a_decision_does_not():
    script = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
              '<bpmn:process id="p"><bpmn:scriptTask id="s"><bpmn:script>{}</bpmn:script></bpmn:scriptTask>'
              '</bpmn:process></bpmn:definitions>')
    assert (executable_content(script.format("if a:\n    b = 1\nc = 2").encode())
            != executable_content(script.format("if a:\n    b = 1\n    c = 2").encode()))
    dmn = Path("processes/decisions/temporary_assistance_approver.dmn").read_text(encoding="utf-8")
    laid_out = dmn.replace("</definitions>", '<dmndi:DMNDI xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/">'
                           '<dmndi:DMNDiagram id="DMNDiagram_1" /></dmndi:DMNDI></definitions>')
    assert content_hash(b"<a/>", {}, [laid_out.encode()]) == content_hash(b"<a/>", {}, [dmn.encode()])


def test_the_drawing_never_changes_what_a_route_does():
    # SpiffWorkflow orders a gateway's branches by their height on the drawing: flipped upside down, the
    # route must still try them in the same order.
    xml = Path("processes", ROUTE).read_text(encoding="utf-8")
    flipped = re.sub(r'(<dc:Bounds x="\d+" y=")(\d+)', lambda m: m[1] + str(2000 - int(m[2])), xml)
    assert flipped != xml
    [spec] = parse_processes(xml.encode(), ROUTE)
    [spec_flipped] = parse_processes(flipped.encode(), ROUTE)
    assert spec_flipped.spec_json == spec.spec_json
