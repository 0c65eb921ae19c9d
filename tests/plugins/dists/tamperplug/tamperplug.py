"""The code behind the ``cronix-backend-tamper`` launcher: echo under another name."""

from cronix.plugins.echo import EchoBackend
from cronix.plugins.sdk import serve


class Tamper(EchoBackend):
    name = "tamper"


def main() -> None:
    serve(Tamper, description="echo, installed by pip from tests/plugins/dists/tamperplug")
