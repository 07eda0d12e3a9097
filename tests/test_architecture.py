"""The package's module graph: no import cycles, and lower layers never import higher ones.

Parsed with ``ast`` (nothing is imported): every ``import`` / ``from ... import`` of a sigtest
module anywhere in a file counts, including imports inside functions (a lazy import is still a
dependency) and imports under ``if TYPE_CHECKING:`` (a type-only import still ties the layers).
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sigtest"

#: Modules below the public methods: they import no method or report module.
#: The report layer: may import anything below it.
REPORTING = {"report", "_html", "plotting", "__main__", "_cli_input"}
_MODULES = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
#: Private helpers by concern (validation, execution, engine, HAC, results, report sections...).
LOWER = {m for m in _MODULES if m.startswith("_")} - REPORTING
#: The method families (and the datasets): import lower layers only, never the report layer.
METHODS = _MODULES - LOWER - REPORTING


def test_the_layers_are_what_we_think():
    assert {"_validation", "_execution", "_engine", "_sections", "_results"} <= LOWER
    assert {"bootstrap", "sharpe", "snooping", "overfitting", "multiple_testing"} <= METHODS


def _imports(path: Path) -> set[str]:
    """The sigtest modules ``path`` imports (outside ``if TYPE_CHECKING:`` blocks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sigtest."):
                    found.add(alias.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sigtest":
                found.update(a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists())
            elif node.module.startswith("sigtest."):
                found.add(node.module.split(".")[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found - {path.stem}


def _graph() -> dict[str, set[str]]:
    return {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_lower_layers_import_no_method_or_report_module():
    graph = _graph()
    for low in LOWER & set(graph):
        assert not graph[low] & (METHODS | REPORTING), (low, graph[low] & (METHODS | REPORTING))
    for method in METHODS & set(graph):
        assert not graph[method] & REPORTING, (method, graph[method] & REPORTING)


def test_the_cycle_finder_finds_cycles(tmp_path):
    """The check can fail: a planted cycle is found, and a lazy import counts."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from sigtest import snooping\n    import sigtest.report\n")
    assert _imports(f) == {"snooping", "report"}


def test_type_checking_imports_count(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from typing import TYPE_CHECKING\n"
                 "if TYPE_CHECKING:\n    from sigtest.report import X\n")
    assert _imports(f) == {"report"}
