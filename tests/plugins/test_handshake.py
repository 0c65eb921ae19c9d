"""The handshake line grammar: what hosts accept, what they refuse, and why."""

from __future__ import annotations

import pytest

from cronix.plugins.handshake import HandshakeError, format_handshake, parse_handshake


@pytest.mark.parametrize(
    ("line", "path", "extensions"),
    [
        ("CRONIX-PLUGIN-V1 /tmp/cx-1/plugin.sock\n", "/tmp/cx-1/plugin.sock", {}),
        ("CRONIX-PLUGIN-V1 /tmp/cx-1/plugin.sock\r\n", "/tmp/cx-1/plugin.sock", {}),
        ("CRONIX-PLUGIN-V1 /s proto=1 pid=42\n", "/s", {"proto": "1", "pid": "42"}),
        # Unknown tokens are ignored (kept, not interpreted), and so are tokens without "=".
        ("CRONIX-PLUGIN-V1 /s future=yes mtls cert=abc==\n", "/s", {"future": "yes", "cert": "abc=="}),
        ("CRONIX-PLUGIN-V1 /s proto=1 proto=2\n", "/s", {"proto": "1"}),
        ("CRONIX-PLUGIN-V1 /s =x\n", "/s", {}),
    ],
)
def test_valid_lines(line: str, path: str, extensions: dict[str, str]) -> None:
    parsed = parse_handshake(line)
    assert parsed.socket_path == path
    assert parsed.extensions == extensions


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("echo: starting up\n", "not a handshake: 'echo: starting up'"),
        ("", "not a handshake"),
        ("CRONIX-PLUGIN-V2 /s\n", "plugin speaks CRONIX-PLUGIN-V2; this cronix speaks CRONIX-PLUGIN-V1"),
        ("CRONIX-PLUGIN-V1\n", "handshake has no socket path"),
        ("CRONIX-PLUGIN-V1 \n", "handshake has no socket path"),
        ("CRONIX-PLUGIN-V1 relative.sock\n", "is not absolute"),
        ("cronix-plugin-v1 /s\n", "not a handshake"),
        ("CRONIX-PLUGIN-V1  /s\n", "handshake has no socket path"),
    ],
)
def test_invalid_lines(line: str, message: str) -> None:
    with pytest.raises(HandshakeError) as info:
        parse_handshake(line)
    assert message in str(info.value)


def test_garbage_hint_names_the_rule() -> None:
    with pytest.raises(HandshakeError) as info:
        parse_handshake("hello\n")
    assert "plugins must not write to stdout before" in str(info.value)


def test_limits_and_encoding() -> None:
    with pytest.raises(HandshakeError, match="longer than 4096 bytes"):
        parse_handshake("CRONIX-PLUGIN-V1 /" + "a" * 5000 + "\n")
    with pytest.raises(HandshakeError, match="not UTF-8"):
        parse_handshake(b"\xff\xfe\n")


def test_protocol_token() -> None:
    assert parse_handshake("CRONIX-PLUGIN-V1 /s proto=1").protocol == 1
    assert parse_handshake("CRONIX-PLUGIN-V1 /s proto=x").protocol is None
    assert parse_handshake("CRONIX-PLUGIN-V1 /s").protocol is None


def test_format_round_trips() -> None:
    line = format_handshake("/tmp/cx-9/plugin.sock", proto=1, pid=7)
    assert line == "CRONIX-PLUGIN-V1 /tmp/cx-9/plugin.sock proto=1 pid=7"
    assert parse_handshake(line).extensions == {"proto": "1", "pid": "7"}
