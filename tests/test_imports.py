"""The package's import graph, read from the source with `ast` (imports inside functions count):
no module reaches itself, and the layers point one way: envs/ (environments) and gato_agent/ (the
model) never import each other or rollouts/, where the two meet."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gato_agent", "envs", "rollouts")
FORBIDDEN = {"gato_agent": {"envs", "rollouts"}, "envs": {"gato_agent", "rollouts"}, "rollouts": set()}


def module_files() -> dict[str, Path]:
    """Dotted module name -> its file, for every module of the three packages."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(path: Path, name: str) -> set[str]:
    """Every module name an import statement of the file names (`from a import b` names a and a.b)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package upwards
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the three packages it imports (itself excluded)."""
    files = module_files()
    return {name: {m for m in imported(path, name) if m in files and m != name} for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep, path)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [])):
            return cycle
    return None


def test_the_finder_sees_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_circle():
    graph = import_graph()
    assert {"gato_agent.checkpoint", "rollouts.eval", "envs.registry"} <= set(graph)  # the walk finds modules
    assert "gato_agent.model" in graph["gato_agent.checkpoint"]  # and their imports
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_layers_point_one_way():
    wrong = [f"{name} imports {dep}" for name, deps in import_graph().items() for dep in sorted(deps)
             if dep.split(".")[0] in FORBIDDEN[name.split(".")[0]]]
    assert not wrong, "; ".join(wrong)
