"""The lines of the house (DESIGN.md), checked on every `make test`: the entry points use only the engine's
public API, only engine.runtime imports SpiffWorkflow, the engine never imports Flask (import-linter, the
contracts in `.importlinter`), and no two engine modules or packages import each other in a cycle."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), i.e. the import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _engine_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("engine")
    # engine/__init__.py is the public API: it imports everything, and nothing inside imports it.
    modules = {m for m in graph.modules if m != "engine"}
    return {m: {t for t in graph.find_modules_directly_imported_by(m) if t in modules} for m in modules}


def test_no_engine_module_imports_itself_in_a_cycle():
    assert _cycles(_engine_graph()) == []


def test_no_two_engine_packages_depend_on_each_other():
    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])
    edges: dict[str, set[str]] = {}
    for source, targets in _engine_graph().items():
        edges.setdefault(package(source), set()).update(package(t) for t in targets if package(t) != package(source))
    assert _cycles(edges) == []


def test_nothing_inside_the_engine_imports_its_public_api():
    graph = grimp.build_graph("engine")
    assert not {m for m in graph.modules if m != "engine" and "engine" in graph.find_modules_directly_imported_by(m)}
