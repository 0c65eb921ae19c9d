"""The distribution as a user gets it: sdist → wheel → a fresh virtualenv (issue 14 item 2).

Builds the sdist with hatchling (offline, no build isolation), builds the wheel *from the
unpacked sdist* (so the sdist is proven complete), installs that wheel into a new
virtualenv, and runs the installed ``cronix`` from a directory with no ``spec/`` in it:
``--version`` and ``conformance run`` (which needs the vectors the wheel must carry).
The new virtualenv borrows the already-installed dependencies (click, PyYAML, …) through a
``.pth`` path entry, never cronix itself: ``.pth`` files inside a path entry are not
processed, so the test venv's editable cronix stays out of it.
"""

from __future__ import annotations

import email
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, (argv, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


def test_the_image_build_context_has_what_the_wheel_build_reads() -> None:
    """The Dockerfile builds the wheel from a copy of the tree: it must copy (and .dockerignore
    let through) every file pyproject.toml's build reads, and install the wheel by its name."""
    import tomllib

    import dockerfile

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = [*project["project"]["license-files"], *wheel["force-include"]]
    commands = dockerfile.parse_file(str(REPO / "Dockerfile"))
    copied = [src for c in commands if c.cmd == "COPY" and not c.flags for src in c.value[:-1]]
    for path in needed:
        assert any(path == src or path.startswith(src.rstrip("/") + "/") for src in copied), path
    unignored = [
        line[1:] for line in (REPO / ".dockerignore").read_text().splitlines() if line.startswith("!")
    ]
    for path in needed:
        assert any(
            Path(path).match(pattern.rstrip("/")) or path.startswith(pattern) for pattern in unignored
        ), path
    assert any("/wheels/cronix_py-*.whl" in " ".join(c.value) for c in commands if c.cmd == "RUN")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", tmp / "sdist", cwd=REPO)
    (sdist,) = (tmp / "sdist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "src", filter="data")
    (unpacked,) = (tmp / "src").iterdir()
    _run(sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", tmp / "wheel", cwd=unpacked)
    (wheel,) = (tmp / "wheel").glob("*.whl")
    return sdist, wheel


@pytest.mark.slow
def test_the_distribution_is_cronix_py_with_a_license_and_no_placeholder_urls(
    built: tuple[Path, Path],
) -> None:
    sdist, wheel = built
    assert wheel.name.startswith("cronix_py-")
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(whl.read(meta_name))
        license_text = whl.read(next(n for n in names if n.endswith(".dist-info/licenses/LICENSE")))
    assert meta["Name"] == "cronix-py"
    assert meta["License-Expression"] == "Apache-2.0"
    assert b"Apache License" in license_text and b"Version 2.0, January 2004" in license_text
    assert "example.invalid" not in str(meta)
    extras = set(meta.get_all("Provides-Extra") or [])
    for requirement in meta.get_all("Requires-Dist") or []:
        if requirement.startswith("cronix-py["):  # the "all" extra names only extras that exist
            assert set(requirement.split("[")[1].split("]")[0].split(",")) <= extras
    assert {"cronix/py.typed", "cronix/conformance/spec_vectors/manifest-vectors.json"} <= set(names)
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {"LICENSE", "pyproject.toml", "README.md", "spec/vectors/auth-vectors.json"} <= members


@pytest.mark.slow
def test_the_wheel_built_from_the_sdist_works_in_a_fresh_virtualenv(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    _, wheel = built
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    where = _run(python, "-c", "import cronix; print(cronix.__file__)", cwd=elsewhere, env=env)
    assert where.startswith(str(venv)), where
    assert _run(venv / "bin" / "cronix", "--version", cwd=elsewhere, env=env).strip() == "cronix 0.1.0"
    out = _run(venv / "bin" / "cronix", "conformance", "run", cwd=elsewhere, env=env)
    assert out.splitlines()[-1].endswith("/ 0 failed")
    backend = _run(
        venv / "bin" / "cronix", "conformance", "backend", "--backend", "memory", cwd=elsewhere, env=env
    )
    assert " 0 failed" in backend.splitlines()[-1]
