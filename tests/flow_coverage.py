"""BPMN sequence-flow coverage: which flows of each deployed process the tests took.

Walks record the step-to-step moves of their cases; `make test` prints, per
process, how many sequence flows were taken (xdist workers send theirs to the
controller).
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from lxml import etree

from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
TAKEN: dict[str, set[tuple[str, str]]] = defaultdict(set)
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def record(session, case) -> None:
    """Add the moves taken by a case's workflow so far."""
    version = get_version(session, case.process_version_id)
    TAKEN[case.process_id] |= Workflow.restore(version.spec, case.state).transitions()


@lru_cache(maxsize=1)
def flows_by_process() -> dict[str, dict[str, tuple[str, str]]]:
    """process id → {flow id: (source, target)} for every BPMN file under processes/.

    Parsed as XML by namespace, not by text: a file written by another modeler (another prefix, the
    default namespace, attributes in another order) cannot drop out of the gate.
    """
    result = {}
    for path in sorted(PROCESSES.rglob("*.bpmn")):
        result.update(flows_in_file(path))
    return result


def flows_in_file(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """process id → {flow id: (source, target)} of one BPMN file, whatever prefixes it uses."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    return {process.get("id"): {flow.get("id"): (flow.get("sourceRef"), flow.get("targetRef"))
                                for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
            for process in root.iter(f"{{{BPMN_NS}}}process")}


def uncovered(process_id: str, taken: set[tuple[str, str]]) -> list[str]:
    """Flow ids of a process that no recorded move took."""
    return sorted(fid for fid, pair in flows_by_process()[process_id].items() if pair not in taken)


def total_uncovered(taken: dict[str, set]) -> int:
    """How many sequence flows, over all processes, no test took."""
    return sum(len(uncovered(pid, taken.get(pid, set()))) for pid in flows_by_process())


def report(taken: dict[str, set]) -> list[str]:
    """Lines of the coverage report."""
    lines = ["BPMN sequence-flow coverage (flows taken by at least one test):"]
    total = covered = 0
    for process_id, flows in flows_by_process().items():
        missing = uncovered(process_id, taken.get(process_id, set()))
        n = len(flows)
        total += n
        covered += n - len(missing)
        lines.append(f"  {process_id:<40} {n - len(missing):>3}/{n:<3} {100 * (n - len(missing)) / max(n, 1):6.1f}%"
                     + (f"  missing: {', '.join(missing)}" if missing else ""))
    lines.append(f"  {'TOTAL':<40} {covered:>3}/{total:<3} {100 * covered / max(total, 1):6.1f}%")
    return lines
