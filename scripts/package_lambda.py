"""Build the cronix Lambda deployment package: ``./run package-lambda [--out PATH] [--config FILE] [--with-redis]``.

The zip holds what ``cronix.trigger.aws_lambda.handler`` imports and nothing else — the
trigger, the protocol, secrets, config and their shared modules (``httpio``, ``flocks``,
``fileio``, ``runlog``, ``awsclients``) — plus pure-Python
dependencies copied from this virtualenv: ``yaml`` (read only when ``$CRONIX_CONFIG`` names
a cronix.yaml; its C accelerator is left out), ``tzdata`` (zone rules wherever the runtime
has none) and, with ``--with-redis``, ``redis`` for ``concurrency_scope: global`` locks.
No compiled code, so one zip serves x86_64 and arm64 on the python3.11+ runtimes. boto3 is
not packaged: the Lambda Python runtime provides it (used only for ``ssm:`` and
``secretsmanager:`` secret refs). ``--config FILE`` adds FILE as ``cronix.yaml`` at the zip's
root (set ``CRONIX_CONFIG=/var/task/cronix.yaml`` on the function).

The zip is reproducible: entries sorted, timestamps fixed, ``__pycache__`` left out.
Deploy it with handler ``cronix.trigger.aws_lambda.handler`` (docs/aws.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "cronix"
#: The parts of cronix the handler reaches (the fire, its settings, secrets, errors).
CRONIX_PARTS = [
    "__init__.py",
    "_version.py",
    "py.typed",
    "errors.py",
    "config.py",
    "fileio.py",
    "flocks.py",
    "httpio.py",
    "runlog.py",
    "awsclients.py",
    "protocol",
    "secrets",
    "trigger",
]
DEPENDENCIES = ["yaml", "tzdata"]
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"package-lambda: {name} is not installed in this environment (run ./run setup)")
    return Path(spec.origin).parent


def _files(base: Path, arcbase: str) -> list[tuple[Path, str]]:
    if base.is_file():
        return [(base, arcbase)]
    out = []
    for path in sorted(base.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".so", ".pyd"):
            continue
        out.append((path, f"{arcbase}/{path.relative_to(base).as_posix()}"))
    return out


def build(out: Path, *, config: Path | None = None, with_redis: bool = False) -> list[str]:
    """Write the zip to ``out``; return the archive names in it."""
    entries: list[tuple[Path, str]] = []
    for part in CRONIX_PARTS:
        entries += _files(SRC / part, f"cronix/{part}")
    for dep in [*DEPENDENCIES, *(["redis"] if with_redis else [])]:
        entries += _files(_package_dir(dep), dep)
    if config is not None:
        entries.append((config, "cronix.yaml"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path, name in sorted(entries, key=lambda e: e[1]):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return sorted(name for _, name in entries)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run package-lambda", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "cronix-lambda.zip", help="zip to write")
    parser.add_argument("--config", type=Path, help="a cronix.yaml to include as /var/task/cronix.yaml")
    parser.add_argument("--with-redis", action="store_true", help="include redis-py (global locks)")
    args = parser.parse_args(argv)
    if args.config is not None and not args.config.is_file():
        parser.error(f"--config {args.config}: no such file")
    names = build(args.out, config=args.config, with_redis=args.with_redis)
    size = args.out.stat().st_size
    print(f"{args.out}: {size} bytes ({size / 1024:.0f} KiB), {len(names)} files; handler cronix.trigger.aws_lambda.handler")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
