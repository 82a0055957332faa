"""The layout keeps its promises (docs/architecture.md): layers without cycles, small modules, one home per idea."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sfp"
MAX_MODULE_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The sfp modules `path` imports, at any depth of the file (lazy imports count too)."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sfp"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                targets.add(child if child in known else node.module)
        elif isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names if alias.name in known}
    return targets & known


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_module_imports_itself_round_a_circle() -> None:
    known = modules()
    # A package's __init__ importing its own submodules is its face, not a dependency.
    graph = {name: {t for t in imports_of(path, set(known)) if not name.startswith(t + ".") and t != name}
             for name, path in known.items()}
    assert find_cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_is_over_500_lines() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_process_groups_are_killed_and_files_rotated_in_one_module_each() -> None:
    texts = {name: path.read_text() for name, path in modules().items()}
    assert [name for name, text in texts.items() if "killpg" in text] == ["sfp.infra.proc"]
    rotating = re.compile(r"def _?rotate\(")
    assert [name for name, text in texts.items() if rotating.search(text)] == ["sfp.infra.jsonl"]


def test_no_module_is_named_like_a_standard_library_module() -> None:
    import sys

    clashes = {name for name in modules() if name.rsplit(".", 1)[-1] in sys.stdlib_module_names}
    assert clashes == set()


def test_records_are_built_one_way() -> None:
    """`sfp.infra.record.Record`, never `typing.NamedTuple`, whose run-time cost every hook would pay;
    the one module that names NamedTuple is the one that stands in for it."""
    offenders = []
    for name, path in modules().items():
        if name == "sfp.infra.record":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "typing":
                offenders += [name for alias in node.names if alias.name == "NamedTuple"]
    assert offenders == []
