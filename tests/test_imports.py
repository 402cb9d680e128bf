"""The import contract: the engine never imports a front end, and only the TUI imports Textual.

Every module under rnn_tui/ is read as source (nothing is imported), so a lazy import inside
a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rnn_tui"
# The CLI functions that may import the TUI: the one that opens it, and the benchmark of it.
TUI_DOORS = {("cli/entry.py", "_open_tui")}
# The benchmark of the TUI drives the real app; the app never imports the benchmarks.
TUI_BENCH = "bench/ui.py"
FRONT_ENDS = ("rnn_tui.cli", "rnn_tui.ui", "rnn_tui.__main__")


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module imported, function it is imported in or "") for every import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not function:
                inner = child.name
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, inner))
                # `from rnn_tui import ui` imports the module rnn_tui.ui
                found.extend((f"{child.module}.{alias.name}", inner) for alias in child.names)
            visit(child, inner)

    visit(tree, "")
    return found


def _modules() -> list[tuple[str, Path]]:
    return sorted((path.relative_to(PACKAGE).as_posix(), path) for path in PACKAGE.rglob("*.py"))


def _is(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_contract_sees_every_module_and_their_lazy_imports() -> None:
    names = {name for name, _ in _modules()}
    assert {"cli/entry.py", "store/runs.py", "ui/app.py", "training/trainer.py"} <= names
    entry = dict(_imports(PACKAGE / "cli/entry.py"))
    assert entry.get("rnn_tui.ui.app") == "_open_tui"


def test_only_the_tui_imports_textual_or_the_tui() -> None:
    wrong = [
        f"{name} imports {module}" + (f" in {function}()" if function else "")
        for name, path in _modules()
        if not name.startswith("ui/") and name != TUI_BENCH
        for module, function in _imports(path)
        if (_is(module, "textual") or _is(module, "textual_plotext") or _is(module, "rnn_tui.ui"))
        and (name, function) not in TUI_DOORS
    ]
    assert not wrong, "; ".join(wrong)


def test_the_engine_imports_no_front_end() -> None:
    wrong = [
        f"{name} imports {module}"
        for name, path in _modules()
        if not (name.startswith(("ui/", "cli/")) or name in ("__main__.py", TUI_BENCH))
        for module, _ in _imports(path)
        if any(_is(module, front) for front in FRONT_ENDS)
    ]
    assert not wrong, "; ".join(wrong)


def test_the_cli_and_the_tui_reach_each_other_only_through_the_doors() -> None:
    wrong = [
        f"{name} imports {module}"
        for name, path in _modules()
        if name.startswith("ui/")
        for module, _ in _imports(path)
        if _is(module, "rnn_tui.cli")
    ]
    assert not wrong, "; ".join(wrong)


def test_only_the_bench_command_imports_the_benchmarks() -> None:
    wrong = [
        f"{name} imports {module}"
        for name, path in _modules()
        if not (name.startswith("bench/") or name == "cli/bench.py")
        for module, _ in _imports(path)
        if _is(module, "rnn_tui.bench")
    ]
    assert not wrong, "; ".join(wrong)


def test_at_most_a_dozen_modules_sit_at_the_top() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top


def _graph() -> dict[str, set[str]]:
    """module -> the rnn_tui modules it imports, lazy imports included, imports under
    `if TYPE_CHECKING:` left out (they never run)."""
    names = {}
    for name, path in _modules():
        parts = name.removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(["rnn_tui", *parts])] = path

    def resolve(module: str) -> str | None:
        while module and module not in names:
            module = module.rpartition(".")[0]
        return module or None

    def type_checking(test: ast.expr) -> bool:
        return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )

    graph: dict[str, set[str]] = {}
    for module, path in names.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
        while stack:
            node = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and type_checking(child.test):
                    stack.extend(child.orelse)
                    continue
                if isinstance(child, ast.Import):
                    found = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")[: len(package.split(".")) - child.level + 1]
                        base = ".".join([*up, *([base] if base else [])])
                    # `from rnn_tui.store import schema` imports the module store.schema;
                    # `from rnn_tui.store import RunStore` the package (as the hook reads it)
                    found = [
                        sub if (sub := f"{base}.{alias.name}") in names else base
                        for alias in child.names
                    ]
                else:
                    found = []
                for target in found:
                    if _is(target, "rnn_tui") and (resolved := resolve(target)):
                        targets.add(resolved)
                stack.append(child)
        targets.discard(module)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected sets of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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
    return found


def test_the_cycle_finder_finds_a_lazy_cycle_and_skips_type_checking() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = _graph()
    # ui/app.py imports the Runs screen lazily (inside a function): that edge counts.
    assert "rnn_tui.ui.screens.runs" in graph["rnn_tui.ui.app"]
    # typed_app.py names the app class only under TYPE_CHECKING: no edge.
    assert "rnn_tui.ui.app" not in graph["rnn_tui.ui.typed_app"]


def test_no_import_cycles() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "; ".join(" -> ".join(cycle) for cycle in cycles)
