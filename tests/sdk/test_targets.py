"""Recovering the signed target and the route from what ASGI and WSGI servers hand over."""

from __future__ import annotations

from typing import Any

import pytest

from cronix.sdk.targets import asgi_route, asgi_target, wsgi_route, wsgi_target


@pytest.mark.parametrize(
    ("scope", "target"),
    [
        ({"raw_path": b"/api/v1/scheduled/x", "query_string": b""}, "/api/v1/scheduled/x"),
        ({"raw_path": b"/a%2Fb/x", "path": "/a/b/x", "query_string": b"q=%20&r"}, "/a%2Fb/x?q=%20&r"),
        ({"raw_path": b"/x?already=1", "query_string": b"already=1"}, "/x?already=1"),
        ({"path": "/caf\u00e9 x", "query_string": b"a=1"}, "/caf%C3%A9%20x?a=1"),
        ({"path": "", "query_string": b""}, "/"),
    ],
)
def test_asgi_target(scope: dict[str, Any], target: str) -> None:
    assert asgi_target(scope) == target


@pytest.mark.parametrize(
    ("scope", "route"),
    [
        ({"path": "/cron/api/v1/scheduled/x", "root_path": "/cron"}, "/api/v1/scheduled/x"),
        ({"path": "/cronjobs/x", "root_path": "/cron"}, "/cronjobs/x"),  # not under the mount
        ({"path": "/api/v1/scheduled/x", "root_path": "/cron"}, "/api/v1/scheduled/x"),  # old-style Mount
        ({"path": "/cron", "root_path": "/cron"}, "/"),
        ({"path": "/x"}, "/x"),
    ],
)
def test_asgi_route(scope: dict[str, Any], route: str) -> None:
    assert asgi_route(scope) == route


def latin1(text: str) -> str:
    """How PEP 3333 servers hand over non-ASCII bytes."""
    return text.encode().decode("latin-1")


@pytest.mark.parametrize(
    ("environ", "target"),
    [
        ({"RAW_URI": "/a%2Fb?x=%41", "PATH_INFO": "/a/b", "QUERY_STRING": "x=%41"}, "/a%2Fb?x=%41"),
        ({"REQUEST_URI": "/r?q", "PATH_INFO": "/r"}, "/r?q"),
        ({"RAW_URI": "http://host:8080/p/q?z=1"}, "/p/q?z=1"),
        ({"RAW_URI": "https://host?z=1"}, "/?z=1"),
        ({"RAW_URI": "http://host"}, "/"),
        ({"SCRIPT_NAME": "/open", "PATH_INFO": "/api/v1/scheduled/x", "QUERY_STRING": "a=b%20c"},
         "/open/api/v1/scheduled/x?a=b%20c"),
        ({"PATH_INFO": latin1("/caf\u00e9"), "QUERY_STRING": ""}, "/caf%C3%A9"),
        ({}, "/"),
    ],
)  # fmt: skip
def test_wsgi_target(environ: dict[str, Any], target: str) -> None:
    assert wsgi_target(environ) == target


def test_wsgi_route_is_below_script_name() -> None:
    assert wsgi_route({"SCRIPT_NAME": "/open", "PATH_INFO": "/api/v1/scheduled/x"}) == "/api/v1/scheduled/x"
    assert wsgi_route({"PATH_INFO": latin1("/caf\u00e9")}) == "/caf\u00e9"
    assert wsgi_route({}) == "/"
