"""Every install line in the docs installs *this* project (issue 14 item 2, D-607).

``pip install cronix`` installs an unrelated PyPI project; the distribution is
``cronix-py``. Checked over every Markdown file a user reads and the install hint cronix
itself prints.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from cronix.backends.registry import BACKEND_TYPES
from cronix.errors import DISTRIBUTION, MissingDependencyError
from cronix.protocol.extras import EXTRAS, install_hint

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "examples").rglob("*.md"))]
NAMED = re.compile(r"`?'?(cronix(?:-py)?)\[[a-z,]+\]")


def test_every_pip_install_line_names_the_distribution() -> None:
    offenders = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            for match in NAMED.finditer(line):
                if match.group(1) != DISTRIBUTION:
                    offenders.append(f"{doc.relative_to(REPO)}:{n}: {line.strip()}")
            if re.search(r"pip install (-U )?'?cronix(\s|'|$)", line):
                offenders.append(f"{doc.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_missing_extra_hint_installs_this_project() -> None:
    assert str(MissingDependencyError("the kubernetes backend", "kubernetes")).endswith(
        "pip install 'cronix-py[kubernetes]'"
    )


def test_every_install_hint_in_the_code_is_built_in_one_place() -> None:
    # Hints spelled by hand drifted (five modules said 'cronix[redis]'): only
    # cronix.protocol.extras spells one; elsewhere a hint appears only in ``docs``.
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in sorted((REPO / "src" / "cronix").rglob("*.py"))
        if path.name != "extras.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"(?<![-\w])cronix\[", line) or re.search(r"(?<!``)pip install '", line)
    ]
    assert offenders == []


def test_the_extras_named_in_hints_are_the_packaged_extras() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(extras) == EXTRAS
    assert {extra for t in BACKEND_TYPES.values() for _, extra in t.requires} <= EXTRAS
    assert install_hint("redis") == "pip install 'cronix-py[redis]'"


def test_the_repository_ships_the_apache_license() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.startswith(" " * 33 + "Apache License\n")
    assert "http://www.apache.org/licenses/LICENSE-2.0" in text
