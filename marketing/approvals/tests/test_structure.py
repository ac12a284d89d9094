"""The engine's modules import one another in one direction only (no circle, not even
through a function-level import): models <- registry <- selectors <- services -> events,
and events reaches notify lazily. The lead reads this test to see the layering."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
NAME = "marketing.approvals"


def _imports(path: Path) -> set[str]:
    """Sibling modules ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = node.module.split(".")[0] if node.module else None
                found.update([base] if base else [a.name for a in node.names])
            elif node.module and node.module.startswith(NAME + "."):
                found.add(node.module.split(".")[2])
            elif node.module == NAME:
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(NAME + "."):
                    found.add(alias.name.split(".")[2])
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & set(modules) - {name} for name, path in modules.items()}


def _cycle(graph):
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_inside_the_engine():
    graph = _graph()
    assert {"models", "registry", "selectors", "services", "notify", "digest", "events"} <= set(graph)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_layers():
    graph = _graph()
    assert "services" not in graph["selectors"]
    assert not graph["events"] & {"services", "selectors", "views"}
    assert "notify" not in graph["services"] and "digest" not in graph["services"]
    for low in ("notify", "digest", "selectors", "registry", "models"):
        assert "services" not in graph[low], low
        assert "views" not in graph[low], low


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_marketing_models_no_longer_import_the_engine():
    source = (PACKAGE.parent / "models.py").read_text()
    assert "approvals" not in source.split('"""', 2)[-1]
