"""No import circles in ``src/cronix`` (DESIGN §4): dependencies point one way.

The graph is grimp's (the engine under import-linter), built from the source: every
``import`` counts — at module level, inside functions (lazy imports) and under
``TYPE_CHECKING`` — because a circle the interpreter happens to survive is still two
modules that cannot be understood, tested or moved apart. A circle is a strongly
connected component of more than one module (or a module importing itself).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[frozenset[str]]:
    """Every import circle in ``package``, each as the set of modules on it (Tarjan's SCCs)."""
    graph = grimp.build_graph(package, include_external_packages=False, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.add(member)
                        if member == node:
                            break
                    if len(members) > 1 or node in edges[node]:
                        cycles.append(frozenset(members))
    return cycles


def test_src_has_no_import_circles() -> None:
    found = [sorted(c) for c in import_cycles("cronix")]
    assert found == [], "import circles in src/cronix (make the dependency one way)"


def test_the_check_finds_circles_direct_lazy_and_type_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "circles"
    files = {
        "__init__.py": "",
        "a.py": "from circles import b\n",
        "b.py": "def f():\n    from circles import c  # lazy\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from circles.a import x\n",
        "d.py": "import circles.e\n",
        "e.py": "import circles.f\n",
        "f.py": "",
        "g.py": "from circles import g\n",
    }
    pkg.mkdir()
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cycles = import_cycles("circles")
    finally:
        for name in [m for m in sys.modules if m == "circles" or m.startswith("circles.")]:
            del sys.modules[name]
    assert sorted(sorted(c) for c in cycles) == [["circles.a", "circles.b", "circles.c"], ["circles.g"]]
