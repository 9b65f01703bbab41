"""The layout is the architecture: packages import only downward, in the order docs/architecture.md lists,
and no module imports another that imports it back (imports inside functions count; those only for type
checking do not, as they never run)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "apcli"


def layers() -> list[str]:
    """The packages, lowest first, from the line `Layers, lowest first: ...` of docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("Layers, lowest first:"))
    return re.findall(r"`(\w+)`", line)


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for inner in ast.walk(node))
    return skipped


def imports() -> dict[str, set[str]]:
    """Each apcli module's apcli imports that run (at the top or inside functions)."""
    known = modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "apcli":
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    graph[name].add(target if target in known else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name.split(".")[0] == "apcli")
        graph[name].discard(name)
    return graph


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_documented_layers_are_the_packages() -> None:
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")} | {"errors"}
    assert set(layers()) == packages


def upward(graph: dict[str, set[str]], order: list[str]) -> list[str]:
    """Each import from a package to one above it in `order`."""
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if layer_of(module) in order
        and layer_of(target) in order
        and order.index(layer_of(target)) > order.index(layer_of(module))
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import each other, round a loop (Tarjan's strongly connected components)."""
    found: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_imports_one_above_it() -> None:
    assert upward(imports(), layers()) == []


def test_no_import_cycle() -> None:
    assert cycles(imports()) == []


def test_the_checks_see_a_cycle_and_an_upward_import() -> None:
    """The checks fail when they should: an upward import and a loop are named; an import inside a function is
    seen, one for type checking only is not."""
    graph = {
        "apcli.records.store": {"apcli.records.cache", "apcli.model.schema"},
        "apcli.records.cache": {"apcli.records.store", "apcli.reports.due"},
        "apcli.model.schema": set(),
    }
    assert upward(graph, ["errors", "model", "records", "reports"]) == ["apcli.records.cache imports apcli.reports.due"]
    assert cycles(graph) == [["apcli.records.cache", "apcli.records.store"]]
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from apcli.cli.app import app\n"
        "def f():\n    from apcli.reports.due import due_items\n"
    )
    tree = ast.parse(source)
    skipped = _type_checking_only(tree)
    found = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and id(node) not in skipped and node.module != "typing"
    ]
    assert found == ["apcli.reports.due"]
