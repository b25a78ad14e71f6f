"""BPMN sequence-flow coverage: which flows of each deployed process the tests took.

Walks record the step-to-step moves of their cases; `make test` prints, per
process, how many sequence flows were taken (xdist workers send theirs to the
controller).
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from engine.versions import get_version
from engine.workflow import Workflow

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
TAKEN: dict[str, set[tuple[str, str]]] = defaultdict(set)
FLOW_RE = re.compile(r'<bpmn:sequenceFlow id="([^"]+)"[^>]*?sourceRef="([^"]+)" targetRef="([^"]+)"')
PROCESS_RE = re.compile(r'<bpmn:process id="([^"]+)"')


def record(session, case) -> None:
    """Add the moves taken by a case's workflow so far."""
    version = get_version(session, case.process_version_id)
    TAKEN[case.process_id] |= Workflow.restore(version.spec, case.state).transitions()


def flows_by_process() -> dict[str, dict[str, tuple[str, str]]]:
    """process id → {flow id: (source, target)} for every BPMN file under processes/."""
    result = {}
    for path in sorted(PROCESSES.rglob("*.bpmn")):
        xml = path.read_text(encoding="utf-8")
        for process_id in PROCESS_RE.findall(xml):
            result[process_id] = {fid: (src, tgt) for fid, src, tgt in FLOW_RE.findall(xml)}
    return result


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
