"""``./run demo``: the main job end to end (grows with each capability).

Today: validate the example manifest, show its jobs with their next fire times, and print
its canonical form — the bytes every cronix implementation agrees on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRONIX = str(Path(sys.executable).with_name("cronix"))


def step(title: str, *args: str) -> None:
    print(f"\n--> {title}\n    $ cronix {' '.join(args)}", flush=True)
    proc = subprocess.run([CRONIX, *args], check=False)
    if proc.returncode != 0:
        print(f"demo failed: cronix {args[0]} exited {proc.returncode}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    manifest = str(HERE / "manifest.json")
    print("cronix demo: an app's job manifest, checked and canonicalized.")
    step(
        "Validate the example manifest and preview the next fire of each schedule",
        "validate",
        manifest,
        "--next",
        "1",
    )
    step(
        "Print its canonical form (what ownership hashes are computed over)",
        "validate",
        "--canonical",
        manifest,
    )
    print("\ndemo complete.")


if __name__ == "__main__":
    main()
