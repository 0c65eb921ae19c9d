"""Run every benchmark (``bench/bench_*.py``) or the ones named: ``./run bench [name ...]``.

Each benchmark module is a script with a ``main(argv) -> int`` that prints its results;
numbers and the exact command go into ``bench/RESULTS.md`` by hand, per area.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    status = 0
    for name in names:
        path = HERE / f"bench_{name}.py"
        if not path.exists():
            print(f"no benchmark named {name!r} ({path} does not exist)", file=sys.stderr)
            return 2
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {name}", flush=True)
        status |= module.main([])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
