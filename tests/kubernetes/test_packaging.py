"""What ships with the kubernetes backend: the Role in its docs, the Dockerfile, the lazy import.

No Docker engine runs on these machines, so the Dockerfile is checked with Docker's own
parser (the ``dockerfile`` package wraps moby/buildkit's Go parser) and against the
repository and the backend's assumptions; building and running the image is the
real-cluster tier's job (``tests/kubernetes/test_cluster.py``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import dockerfile
import kubernetes_validate
import pytest
import yaml

from cronix.backends.kubernetes import _HISTORY, _NEEDED
from cronix.backends.kubernetes_api import KIND_API
from cronix.backends.kubernetes_objects import IMAGE_USER
from cronix.backends.kubernetes_options import KubernetesOptions
from tests.conftest import REPO


def _yaml_blocks(text: str) -> list[dict[str, object]]:
    docs = []
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        docs += [d for d in yaml.safe_load_all(block) if isinstance(d, dict) and "kind" in d]
    return docs


@pytest.mark.parametrize("version", ["1.28.0", kubernetes_validate.latest_version()])
def test_the_role_in_the_docs_is_valid_and_grants_exactly_what_check_asks_for(version: str) -> None:
    docs = {d["kind"]: d for d in _yaml_blocks((REPO / "docs" / "kubernetes.md").read_text())}
    for kind in ("Role", "RoleBinding"):
        kubernetes_validate.validate(docs[kind], version, strict=True)
    granted = {
        (verb, group, resource)
        for rule in docs["Role"]["rules"]  # type: ignore[attr-defined]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    needed = {(verb, KIND_API[r].group, r) for verb, r in _NEEDED}
    needed |= {(verb, KIND_API[r].group, f"{r}/{sub}" if sub else r) for verb, r, sub in _HISTORY}
    assert granted == needed
    assert docs["RoleBinding"]["roleRef"]["name"] == docs["Role"]["metadata"]["name"]  # type: ignore[index]


def test_the_dockerfile_parses_and_builds_the_image_the_backend_expects() -> None:
    commands = dockerfile.parse_file(str(REPO / "Dockerfile"))
    stages = [c for c in commands if c.cmd == "FROM"]
    assert len(stages) == 2
    assert "AS" in stages[0].value
    for command in commands:
        if command.cmd == "COPY" and not any(f.startswith("--from=") for f in command.flags):
            for source in command.value[:-1]:
                assert (REPO / source).exists(), source
        assert command.cmd != "ADD"  # nothing fetched from a URL at build time
    build = " ".join(" ".join(c.value) for c in commands if c.cmd == "RUN")
    assert "pip wheel" in build  # the image installs the project's own wheel
    final = commands[commands.index(stages[1]) :]
    (user,) = [c.value[0] for c in final if c.cmd == "USER"]
    # The pods run with runAsNonRoot and fsGroup = this id (kubernetes_objects.IMAGE_USER).
    assert user == f"{IMAGE_USER}:{IMAGE_USER}"
    (entrypoint,) = [c for c in final if c.cmd == "ENTRYPOINT"]
    assert entrypoint.json
    assert list(entrypoint.value) == list(KubernetesOptions().command)
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*"
    assert {"!pyproject.toml", "!README.md", "!src/"} <= set(ignored)


def test_the_client_is_imported_only_by_the_backend() -> None:
    """``cronix list --help`` (and every other command's help) must not pay for the client."""
    code = (
        "import sys, json\n"
        "from cronix.cli.entry import main\n"
        "try:\n    main(['list', '--help'])\nexcept SystemExit:\n    pass\n"
        "import cronix.backends.registry, cronix.backends.kubernetes_options\n"
        "print(json.dumps([m for m in sys.modules if m == 'kubernetes' or m.startswith('kubernetes.')]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
