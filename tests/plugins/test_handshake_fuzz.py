"""Fuzzing the handshake parser (issue 16): whatever a plugin prints first, the host gets a
Handshake or a HandshakeError — never another exception, never a multi-line message."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from cronix.plugins.handshake import MAX_HANDSHAKE_BYTES, HandshakeError, format_handshake, parse_handshake

TOKEN = "CRONIX-PLUGIN-V1"
# Lines near the grammar find more than random bytes: a real prefix, then anything.
NEAR = st.builds(
    lambda head, rest: head + rest,
    st.sampled_from([b"", TOKEN.encode(), f"{TOKEN} /".encode(), b"CRONIX-PLUGIN-V2 /s", b"\xef\xbb\xbf"]),
    st.binary(max_size=200),
)


def _parses_or_refuses(line: str | bytes) -> None:
    try:
        parsed = parse_handshake(line)
    except HandshakeError as exc:
        assert "\n" not in str(exc)
        assert len(str(exc)) < 400  # the preview is cut, whatever the line's length
        return
    assert parsed.socket_path.startswith("/")
    assert " " not in parsed.socket_path
    assert parsed.protocol is None or parsed.protocol >= 0


@given(st.one_of(st.binary(max_size=300), NEAR))
@example(b"\xff" * 10)
@example(TOKEN.encode() + b" /" + b"x" * MAX_HANDSHAKE_BYTES)
@example(TOKEN.encode() + b" /s proto=\xd9\xa3")  # an Arabic-Indic three: int() reads it as 3
@example(TOKEN.encode() + b" /s proto=\xc2\xb2")  # superscript two: isdigit(), but int() refuses it
def test_any_bytes(line: bytes) -> None:
    _parses_or_refuses(line)


def test_only_ascii_digits_are_a_protocol() -> None:
    for digits in ("\u0663", "\u00b2", "\uff11"):
        assert parse_handshake(f"{TOKEN} /s proto={digits}\n").protocol is None
    assert parse_handshake(f"{TOKEN} /s proto=12\n").protocol == 12


@given(st.one_of(st.text(max_size=300), st.builds(lambda t: TOKEN + " /" + t, st.text(max_size=100))))
@example("\ud800")  # a lone surrogate: a str that UTF-8 cannot encode
@example(TOKEN + " /s proto=²")  # superscript two: isdigit(), but int() refuses it
def test_any_text(line: str) -> None:
    _parses_or_refuses(line)


PATH = st.text(
    st.characters(blacklist_characters=" \r\n", blacklist_categories=("Cs",)), min_size=1, max_size=60
)
KEY = st.text(
    st.characters(blacklist_characters=" =\r\n", blacklist_categories=("Cs",)), min_size=1, max_size=10
)
VALUE = st.text(st.characters(blacklist_characters=" \r\n", blacklist_categories=("Cs",)), max_size=10)


@given(PATH, st.dictionaries(KEY, VALUE, max_size=5))
def test_what_a_plugin_formats_the_host_parses(path: str, extensions: dict[str, str]) -> None:
    line = format_handshake("/" + path, **extensions) + "\n"
    parsed = parse_handshake(line)
    assert parsed.socket_path == "/" + path
    assert parsed.extensions == extensions
