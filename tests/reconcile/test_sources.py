"""Manifest sources over real HTTP(S): signed GETs, loopback-only http, caps and exit codes.

The server checks signatures with its own stdlib HMAC (not cronix code) the way the
upstream TypeScript SDK verifies a manifest fetch (``reference/fire-time.md`` §4.4: the URL's
pathname, query dropped), and refuses with its error body ``{"code", "message"}``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import ssl
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.reconcile.conftest import REF, Host, job, manifest_doc
from tests.support.httpserver import serving
from tests.support.procs import free_port

SECRET = "s3cr3t-value-for-tests"
MANIFEST = json.dumps(manifest_doc("billing", job("ping", "@hourly"))).encode()


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, bool]]

    def log_message(self, *args: object) -> None:
        pass

    def _verified(self) -> bool:
        header = self.headers.get("X-Cron-Signature", "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        ts, mac = parts.get("t", ""), parts.get("v1", "")
        if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
            return False
        pathname = urllib.parse.urlsplit(self.path).path
        want = hmac.new(SECRET.encode(), f"{ts}.GET.{pathname}.".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, mac)

    def do_GET(self) -> None:
        ok = self._verified()
        self.server.seen.append((self.path, ok))  # type: ignore[attr-defined]
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/.well-known/cron-manifest")
            self.end_headers()
            return
        if self.path.startswith("/boom"):
            self.send_response(500)
            self.end_headers()
            return
        if not ok:
            refusal = b'{"code":"SignatureMismatch","message":"signature does not match"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(refusal)))
            self.end_headers()
            self.wfile.write(refusal)
            return
        body = b"x" * (10 * 1024 * 1024 + 1) if self.path.startswith("/big") else MANIFEST
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.seen: list[tuple[str, bool]] = []


@pytest.fixture
def http_server() -> Iterator[_Server]:
    with serving(_Server(free_port())) as server:
        yield server


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[_Server, Path]]:
    cert, key = _self_signed(tmp_path)
    server = _Server(free_port())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield server, cert


@pytest.fixture(autouse=True)
def _secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRON_SECRET", SECRET)
    monkeypatch.setenv("EMPTY_SECRET", "")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)


def _plan(host: Host, url: str, *refs: str) -> object:
    return host.run(
        "plan", "--manifest", url, *[f"--secret-ref={r}" for r in refs], *host.backend_flags(), "-o", "json"
    )


def test_https_fetch_with_a_query_is_signed_over_the_path_as_both_sdks_accept(
    host: Host, https_server: tuple[_Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    url = f"https://localhost:{server.server_address[1]}/apps/billing/cron-manifest?env=prod&v=1"
    result = _plan(host, url, "env:EMPTY_SECRET,env:CRON_SECRET")
    assert result.code == 0, result.err
    assert result.json()["app"] == "billing"
    assert server.seen == [("/apps/billing/cron-manifest?env=prod&v=1", True)]
    assert "env:EMPTY_SECRET resolved to an empty value" in result.err
    assert SECRET not in result.out + result.err


def test_untrusted_certificate_is_unreachable(host: Host, https_server: tuple[_Server, Path]) -> None:
    server, _ = https_server
    url = f"https://127.0.0.1:{server.server_address[1]}/.well-known/cron-manifest"
    result = _plan(host, url, "env:CRON_SECRET")
    assert result.code == 3
    assert "TLS certificate not trusted" in result.err
    assert url in result.err


def test_loopback_http_works_and_wrong_secret_is_exit_4(
    host: Host, http_server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = http_server.server_address[1]
    assert _plan(host, f"http://127.0.0.1:{port}/.well-known/cron-manifest", "env:CRON_SECRET").code == 0
    assert _plan(host, f"http://localhost:{port}/.well-known/cron-manifest", "env:CRON_SECRET").code == 0
    monkeypatch.setenv("WRONG", "not-the-secret")
    refused = _plan(host, f"http://127.0.0.1:{port}/m", "env:WRONG")
    assert refused.code == 4
    assert "refused with HTTP 401 (SignatureMismatch)" in refused.err
    assert "not-the-secret" not in refused.err


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost.evil.example/m",
        "http://127.0.0.1.nip.io/m",
        "http://10.0.0.1/m",
        "http://example.com/m",
    ],
)
def test_plain_http_is_refused_for_non_loopback_hosts(host: Host, url: str) -> None:
    result = _plan(host, url, "env:CRON_SECRET")
    assert result.code == 2
    assert "only for loopback hosts" in result.err


def test_connection_refused_is_exit_3_naming_the_url_without_credentials(host: Host) -> None:
    port = free_port()
    result = _plan(host, f"http://ops:hunter2@127.0.0.1:{port}/.well-known/cron-manifest", "env:CRON_SECRET")
    assert result.code == 3
    assert f"http://127.0.0.1:{port}/.well-known/cron-manifest" in result.err
    assert "connection refused" in result.err
    assert "hunter2" not in result.err


def test_size_cap_redirects_and_server_errors(host: Host, http_server: _Server) -> None:
    base = f"http://127.0.0.1:{http_server.server_address[1]}"
    big = _plan(host, f"{base}/big", "env:CRON_SECRET")
    assert big.code == 1
    assert "larger than the limit of 10485760 bytes" in big.err
    redirect = _plan(host, f"{base}/redirect", "env:CRON_SECRET")
    assert redirect.code == 3
    assert "redirects are not followed" in redirect.err
    boom = _plan(host, f"{base}/boom", "env:CRON_SECRET")
    assert boom.code == 3
    assert "HTTP 500" in boom.err


def test_fetch_needs_a_usable_secret(host: Host, http_server: _Server) -> None:
    url = f"http://127.0.0.1:{http_server.server_address[1]}/m"
    none = _plan(host, url)
    assert none.code == 2
    assert "needs a secret" in none.err
    empty = _plan(host, url, "env:EMPTY_SECRET")
    assert empty.code == 2
    assert "no usable secret" in empty.err
    assert http_server.seen == []


def test_slow_server_times_out(http_server: _Server) -> None:
    from cronix.errors import SourceUnreachable
    from cronix.sources import read_source

    class Slow(_Handler):
        def do_GET(self) -> None:
            time.sleep(1.5)

    http_server.RequestHandlerClass = Slow
    with pytest.raises(SourceUnreachable, match=r"no complete response within 0\.5 s"):
        read_source(f"http://127.0.0.1:{http_server.server_address[1]}/m", secret=lambda: SECRET, timeout=0.5)


def test_relative_and_file_url_sources(host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    host.manifest("billing", job("ping"), name="m.json")
    monkeypatch.chdir(host.root)
    for source in ("m.json", "./m.json", f"file://{host.root / 'm.json'}", "file:m.json"):
        result = host.run(
            "plan", "--manifest", source, "--secret-ref", REF, *host.backend_flags(), "-o", "json"
        )
        assert result.code == 0, (source, result.err)


def test_file_secret_ref_signs_the_fetch(host: Host, http_server: _Server) -> None:
    secret_file = host.root / "secret"
    secret_file.write_text(SECRET + "\n")
    result = _plan(host, f"http://127.0.0.1:{http_server.server_address[1]}/m", f"file:{secret_file}")
    assert result.code == 0, result.err
    assert http_server.seen == [("/m", True)]
