"""The house rules that keep the design readable, checked on the source with ``ast`` alone.

* No import cycle between modules (imports inside functions count: they only hide a cycle).
* ``core`` never imports Qt, pyqtgraph or ``viz``; the engine (``core.engine``) imports nothing
  from the rest of ``core`` but ``core.datasets``-free NumPy code of its own.
* A view folder (``viz/views/<feature>/``) imports only its own modules, ``viz/views/common`` and
  the palette (``viz.style``).
* No folder of ``core`` or ``viz`` holds more than 15 modules; no module rewrites its own globals;
  at most three re-exports that need ``noqa: F401``.

See ``docs/architecture.md`` for the folders and why they are so.
"""
from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("core", "viz")
QT = ("PySide6", "shiboken6", "pyqtgraph", "OpenGL", "qtpy", "PyQt5", "PyQt6")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _modules()


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """Every name ``name`` imports, anywhere in the file, resolved to a module where it is one."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.add(sub if sub in MODULES else mod)
    return out


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _internal(name: str) -> set[str]:
    return {m for m in IMPORTS[name] if m in MODULES and m != name}


def test_no_import_cycles():
    # Tarjan's strongly connected components over the module graph
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in _internal(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in MODULES:
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_core_never_imports_qt_or_viz():
    bad = {name: sorted(m for m in IMPORTS[name] if m.split(".")[0] in QT + ("viz",))
           for name in MODULES if name.split(".")[0] == "core"}
    assert not {k: v for k, v in bad.items() if v}


def test_the_engine_imports_nothing_from_runs_or_analysis():
    bad = {name: sorted(m for m in _internal(name) if not m.startswith("core.engine"))
           for name in MODULES if name.startswith("core.engine")}
    assert not {k: v for k, v in bad.items() if v}


#: what a view may use from outside ``viz/views``: the palette every view draws with
SHARED_BY_VIEWS = {"viz.style"}


def _view_folder(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 3 and parts[:2] == ["viz", "views"] else None


def test_a_view_folder_imports_only_itself_and_common():
    bad = defaultdict(list)
    for name in MODULES:
        folder = _view_folder(name)
        if folder is None or folder == "common":
            continue
        for m in _internal(name):
            if m.startswith("viz.views.") and _view_folder(m) not in (folder, "common"):
                bad[name].append(m)
            elif m.startswith("viz.") and not m.startswith("viz.views.") and m not in SHARED_BY_VIEWS:
                bad[name].append(m)
    assert not dict(bad)


def test_views_common_imports_no_feature_folder():
    bad = {name: sorted(m for m in _internal(name) if m.startswith("viz.views.")
                        and _view_folder(m) not in (None, "common"))
           for name in MODULES if _view_folder(name) == "common"}
    assert not {k: v for k, v in bad.items() if v}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_folder_holds_more_than_15_modules(package):
    counts = defaultdict(int)
    for p in (ROOT / package).rglob("*.py"):
        if p.name != "__init__.py":
            counts[p.parent.relative_to(ROOT).as_posix()] += 1
    assert {d: n for d, n in counts.items() if n > 15} == {}


def test_no_module_rewrites_its_globals():
    bad = [name for name, path in MODULES.items() if "globals().update" in path.read_text(encoding="utf-8")]
    assert bad == []


def test_at_most_three_re_export_shims():
    shims = [f"{name}:{i}" for name, path in MODULES.items()
             for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "noqa: F401" in line]
    assert len(shims) <= 3, shims
