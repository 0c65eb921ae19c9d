"""Serve a test app with the standard library's ``wsgiref`` server (threaded).

``python -m tests.sdk.serve {flask|django} PORT`` — wsgiref gives neither ``RAW_URI`` nor
``REQUEST_URI``, so it exercises the SDK's reconstruction of the signed target.
"""

from __future__ import annotations

import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


def main(argv: list[str]) -> int:
    kind, port = argv[0], int(argv[1])
    if kind == "flask":
        from tests.sdk.apps import make_flask_app

        app = make_flask_app()
    else:
        from tests.sdk.django_app import make_wsgi_app

        app = make_wsgi_app()
    server = make_server("127.0.0.1", port, app, ThreadingWSGIServer, WSGIRequestHandler)
    print(f"serving {kind} on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
