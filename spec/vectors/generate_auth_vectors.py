#!/usr/bin/env python3
"""Generate spec/vectors/auth-vectors.json.

Standalone: Python standard library only (hmac, hashlib, base64, json); it
never imports cronix.  Follows reference/fire-time.md section 3 (payload
`<t>.<METHOD>.<path>.<body>`, header `t=<t>,v1=<64 lowercase hex>`, parsing
rules, error codes, replay window, multi-secret index) and the structure of
section 3.5, plus the cronix-py decision on timestamps: `t=` must be ASCII
digits only (`+123`, `-0`, `` are MalformedHeader), leading zeros accepted, and
`maxSkewSeconds` 0 or absent means 300.

Every verify vector carries a hand-written `expect`; `check()` below is an
independent restatement of the verification algorithm used only to assert that
the labels are consistent (it is not the source of the labels).

Run:  python3 spec/vectors/generate_auth_vectors.py
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "auth-vectors.json")

SECRET = "whsec_cronix_test_secret_0001"
SECRET_NEW = "whsec_cronix_rotated_secret_0002"
SECRET_OTHER = "whsec_unrelated_secret_0003"
T = 1730000000
PATH = "/api/v1/scheduled/reconcile-payments"
JSON_BODY = b'{"runId":"abc","attempt":1}'
EMOJI_BODY = "h\u00e9llo \U0001f30d \u2713 \u65e5\u672c".encode("utf-8")
NUL_BODY = b"\x00a\x00\x00b\x00"
NON_UTF8_BODY = b"\xff\xfe\x80\xc3("
BODY_1MIB = bytes(range(256)) * 4096  # 1 MiB, every byte value
BODY_256KIB = bytes(range(255, -1, -1)) * 1024  # 256 KiB, every byte value


def mac_hex(secret: str, method: str, path: str, body: bytes, t: int) -> str:
    payload = ("%d.%s.%s." % (t, method.upper(), path)).encode("utf-8") + body
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def header(secret, method, path, body, t) -> str:
    return "t=%d,v1=%s" % (t, mac_hex(secret, method, path, body, t))


def b64(body: bytes) -> str:
    return base64.b64encode(body).decode("ascii")


# ---------------------------------------------------------------------------
# Independent verifier (fire-time.md 3.3 + decision 10), for self-checking.
# ---------------------------------------------------------------------------


def check(secrets, method, path, body, hdr, now, max_skew):
    if not secrets:
        return ("MalformedHeader", None)
    if hdr == "":
        return ("MalformedHeader", None)
    t = sig = None
    for seg in hdr.split(","):
        if "=" not in seg:
            return ("MalformedHeader", None)
        k, v = seg.split("=", 1)
        if k == "t":
            if not re.fullmatch(r"[0-9]+", v, re.ASCII) or int(v) > 2**63 - 1:
                return ("MalformedHeader", None)
            t = int(v)
        elif k == "v1":
            if len(v) != 64 or not re.fullmatch(r"[0-9a-fA-F]+", v):
                return ("MalformedHeader", None)
            sig = bytes.fromhex(v)
    if t is None or sig is None:
        return ("MalformedHeader", None)
    window = max_skew or 300
    if abs(now - t) > window:
        return ("StaleTimestamp", None)
    for i, s in enumerate(secrets):
        if s == "":
            continue
        want = bytes.fromhex(mac_hex(s, method, path, body, t))
        if hmac.compare_digest(want, sig):
            return ("ok", i)
    return ("SignatureMismatch", None)


VECTORS: list[dict] = []
NAMES: set[str] = set()


def _name(n):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n), n
    assert n not in NAMES, n
    NAMES.add(n)


def sign(name, secret, method, path, body, t, expected_header=None):
    _name(name)
    got = header(secret, method, path, body, t)
    if expected_header is not None:
        assert got == expected_header, (name, got, expected_header)
    assert re.fullmatch(r"t=[0-9]+,v1=[0-9a-f]{64}", got)
    VECTORS.append(
        {
            "kind": "sign",
            "name": name,
            "secret": secret,
            "method": method,
            "path": path,
            "bodyB64": b64(body),
            "timestamp": t,
            "expectedHeader": got,
        }
    )


def verify(name, secrets, method, path, body, hdr, now, expect, index=None, max_skew=None):
    _name(name)
    got = check(secrets, method, path, body, hdr, now, max_skew)
    want = (expect, (index or 0) if expect == "ok" else None)
    assert got == want, (name, got, want)
    v = {
        "kind": "verify",
        "name": name,
        "secrets": secrets,
        "method": method,
        "path": path,
        "bodyB64": b64(body),
        "header": hdr,
        "now": now,
    }
    if max_skew is not None:
        v["maxSkewSeconds"] = max_skew
    v["expect"] = expect
    if expect == "ok":
        v["expectedSecretIndex"] = index or 0
    VECTORS.append(v)


H = header(SECRET, "POST", PATH, b"", T)  # the reference header used by many cases
SIG = H.split("v1=")[1]
assert H == "t=%d,v1=%s" % (T, SIG)

# ===========================================================================
# Sign vectors
# ===========================================================================

sign("sign-empty-body", SECRET, "POST", PATH, b"", T, expected_header=H)
sign("sign-get-no-body", SECRET, "GET", PATH, b"", T)
sign("sign-json-body", SECRET, "POST", PATH, JSON_BODY, 1730000002)
sign("sign-utf8-emoji-body", SECRET, "POST", PATH, EMOJI_BODY, T)
sign("sign-256kib-body", SECRET, "POST", PATH, BODY_256KIB, T)
sign("sign-nul-bytes-body", SECRET, "POST", PATH, NUL_BODY, T)
sign("sign-non-utf8-body", SECRET, "POST", PATH, NON_UTF8_BODY, T)
sign("sign-percent20-path", SECRET, "POST", "/api/cron/my%20job", b"", T)
sign("sign-query-string-path", SECRET, "POST", "/api/cron/job-a?x=1&y=%2F", b"", T)
sign("sign-lowercase-post-method", SECRET, "post", PATH, b"", T, expected_header=H)
sign(
    "sign-mixed-case-delete-method",
    SECRET,
    "Delete",
    PATH,
    b"",
    T,
    expected_header=header(SECRET, "DELETE", PATH, b"", T),
)
sign("sign-put-method-with-body", SECRET, "PUT", "/jobs/put", b"payload", T)
sign("sign-utf8-secret", "s\u00e9cret-\U0001f511", "POST", PATH, b"", T)
sign("sign-rotated-secret", SECRET_NEW, "POST", PATH, b"", T)
sign("sign-small-timestamp", SECRET, "POST", PATH, b"", 1)
sign("sign-ten-digit-timestamp-2100", SECRET, "POST", PATH, b"", 4102444800)
sign("sign-root-path", SECRET, "POST", "/", b"", T)

# Cross-check one value against a literal computed independently by hand from
# the documented payload bytes (guards mac_hex itself).
_lit = hmac.new(
    b"whsec_cronix_test_secret_0001", b"1730000000.POST./api/v1/scheduled/reconcile-payments.", hashlib.sha256
).hexdigest()
assert H == "t=1730000000,v1=" + _lit

# ===========================================================================
# Verify: ok paths
# ===========================================================================

verify("verify-ok-empty-body", [SECRET], "POST", PATH, b"", H, T, "ok", 0)
verify("verify-ok-get-no-body", [SECRET], "GET", PATH, b"", header(SECRET, "GET", PATH, b"", T), T, "ok", 0)
verify(
    "verify-ok-json-body",
    [SECRET],
    "POST",
    PATH,
    JSON_BODY,
    header(SECRET, "POST", PATH, JSON_BODY, 1730000002),
    1730000002,
    "ok",
    0,
)
verify(
    "verify-ok-utf8-emoji-body",
    [SECRET],
    "POST",
    PATH,
    EMOJI_BODY,
    header(SECRET, "POST", PATH, EMOJI_BODY, T),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-1mib-body",
    [SECRET],
    "POST",
    PATH,
    BODY_1MIB,
    header(SECRET, "POST", PATH, BODY_1MIB, T),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-nul-bytes-body",
    [SECRET],
    "POST",
    PATH,
    NUL_BODY,
    header(SECRET, "POST", PATH, NUL_BODY, T),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-non-utf8-body",
    [SECRET],
    "POST",
    PATH,
    NON_UTF8_BODY,
    header(SECRET, "POST", PATH, NON_UTF8_BODY, T),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-percent20-path",
    [SECRET],
    "POST",
    "/api/cron/my%20job",
    b"",
    header(SECRET, "POST", "/api/cron/my%20job", b"", T),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-query-string-path",
    [SECRET],
    "POST",
    "/api/cron/job-a?x=1&y=%2F",
    b"",
    header(SECRET, "POST", "/api/cron/job-a?x=1&y=%2F", b"", T),
    T,
    "ok",
    0,
)
verify("verify-ok-lowercase-post-method", [SECRET], "post", PATH, b"", H, T, "ok", 0)
verify(
    "verify-ok-mixed-case-method",
    [SECRET],
    "pAtCh",
    PATH,
    b"",
    header(SECRET, "PATCH", PATH, b"", T),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-utf8-secret",
    ["s\u00e9cret-\U0001f511"],
    "POST",
    PATH,
    b"",
    header("s\u00e9cret-\U0001f511", "POST", PATH, b"", T),
    T,
    "ok",
    0,
)
verify("verify-ok-rotation-index-0-of-two", [SECRET, SECRET_OTHER], "POST", PATH, b"", H, T, "ok", 0)
verify("verify-ok-rotation-index-1", [SECRET_NEW, SECRET], "POST", PATH, b"", H, T, "ok", 1)
verify(
    "verify-ok-rotation-index-2-empty-secret-first",
    ["", SECRET_NEW, SECRET],
    "POST",
    PATH,
    b"",
    H,
    T,
    "ok",
    2,
)
verify("verify-ok-empty-secret-counts-for-index", ["", SECRET], "POST", PATH, b"", H, T, "ok", 1)
verify(
    "verify-ok-first-matching-secret-wins", [SECRET_OTHER, SECRET, SECRET], "POST", PATH, b"", H, T, "ok", 1
)
verify("verify-ok-uppercase-hex-v1", [SECRET], "POST", PATH, b"", "t=%d,v1=%s" % (T, SIG.upper()), T, "ok", 0)
verify("verify-ok-leading-zeros-t", [SECRET], "POST", PATH, b"", "t=000%d,v1=%s" % (T, SIG), T, "ok", 0)
verify("verify-ok-v1-before-t", [SECRET], "POST", PATH, b"", "v1=%s,t=%d" % (SIG, T), T, "ok", 0)
verify(
    "verify-ok-unknown-keys-ignored",
    [SECRET],
    "POST",
    PATH,
    b"",
    "t=%d,v1=%s,v2=%s,foo=bar" % (T, SIG, "0" * 64),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-unknown-key-with-equals-in-value",
    [SECRET],
    "POST",
    PATH,
    b"",
    "x=a=b,t=%d,v1=%s" % (T, SIG),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-unknown-key-empty-value", [SECRET], "POST", PATH, b"", "t=%d,v1=%s,v0=" % (T, SIG), T, "ok", 0
)
verify("verify-ok-empty-key-ignored", [SECRET], "POST", PATH, b"", "t=%d,=x,v1=%s" % (T, SIG), T, "ok", 0)
verify(
    "verify-ok-duplicate-t-last-wins", [SECRET], "POST", PATH, b"", "t=1,t=%d,v1=%s" % (T, SIG), T, "ok", 0
)
verify(
    "verify-ok-duplicate-v1-last-wins",
    [SECRET],
    "POST",
    PATH,
    b"",
    "t=%d,v1=%s,v1=%s" % (T, "0" * 64, SIG),
    T,
    "ok",
    0,
)
verify(
    "verify-ok-skew-exactly-300-now-after-t", [SECRET], "POST", PATH, b"", H, T + 300, "ok", 0, max_skew=300
)
verify(
    "verify-ok-skew-exactly-300-now-before-t", [SECRET], "POST", PATH, b"", H, T - 300, "ok", 0, max_skew=300
)
verify("verify-ok-skew-exactly-30-window-30", [SECRET], "POST", PATH, b"", H, T - 30, "ok", 0, max_skew=30)
verify("verify-ok-window-0-means-300", [SECRET], "POST", PATH, b"", H, T + 300, "ok", 0, max_skew=0)
verify("verify-ok-window-absent-means-300", [SECRET], "POST", PATH, b"", H, T - 300, "ok", 0)
verify("verify-ok-large-window", [SECRET], "POST", PATH, b"", H, T + 3600, "ok", 0, max_skew=86400)

# ===========================================================================
# Verify: MalformedHeader
# ===========================================================================

MAL = "MalformedHeader"
verify("malformed-empty-header", [SECRET], "POST", PATH, b"", "", T, MAL)
verify("malformed-whitespace-header", [SECRET], "POST", PATH, b"", " ", T, MAL)
verify("malformed-missing-t", [SECRET], "POST", PATH, b"", "v1=" + SIG, T, MAL)
verify("malformed-missing-v1", [SECRET], "POST", PATH, b"", "t=%d" % T, T, MAL)
verify("malformed-only-v2", [SECRET], "POST", PATH, b"", "t=%d,v2=%s" % (T, SIG), T, MAL)
verify("malformed-short-v1", [SECRET], "POST", PATH, b"", "t=%d,v1=%s" % (T, SIG[:63]), T, MAL)
verify("malformed-long-v1", [SECRET], "POST", PATH, b"", "t=%d,v1=%s0" % (T, SIG), T, MAL)
verify("malformed-empty-v1", [SECRET], "POST", PATH, b"", "t=%d,v1=" % T, T, MAL)
verify("malformed-non-hex-v1", [SECRET], "POST", PATH, b"", "t=%d,v1=%s" % (T, "g" + SIG[1:]), T, MAL)
verify("malformed-v1-trailing-space", [SECRET], "POST", PATH, b"", "t=%d,v1=%s " % (T, SIG), T, MAL)
verify("malformed-segment-without-equals", [SECRET], "POST", PATH, b"", "t%d,v1=%s" % (T, SIG), T, MAL)
verify("malformed-trailing-comma", [SECRET], "POST", PATH, b"", H + ",", T, MAL)
verify("malformed-leading-comma", [SECRET], "POST", PATH, b"", "," + H, T, MAL)
verify("malformed-double-comma", [SECRET], "POST", PATH, b"", "t=%d,,v1=%s" % (T, SIG), T, MAL)
verify("malformed-only-comma", [SECRET], "POST", PATH, b"", ",", T, MAL)
verify("malformed-t-abc", [SECRET], "POST", PATH, b"", "t=abc,v1=" + SIG, T, MAL)
verify("malformed-t-plus-sign", [SECRET], "POST", PATH, b"", "t=+%d,v1=%s" % (T, SIG), T, MAL)
verify("malformed-t-plus-123", [SECRET], "POST", PATH, b"", "t=+123,v1=" + SIG, 123, MAL)
verify("malformed-t-negative-zero", [SECRET], "POST", PATH, b"", "t=-0,v1=" + SIG, T, MAL)
verify("malformed-t-negative", [SECRET], "POST", PATH, b"", "t=-1,v1=" + SIG, T, MAL)
verify("malformed-t-empty", [SECRET], "POST", PATH, b"", "t=,v1=" + SIG, T, MAL)
verify("malformed-t-decimal", [SECRET], "POST", PATH, b"", "t=%d.0,v1=%s" % (T, SIG), T, MAL)
verify("malformed-t-leading-space", [SECRET], "POST", PATH, b"", "t= %d,v1=%s" % (T, SIG), T, MAL)
verify("malformed-t-trailing-tab", [SECRET], "POST", PATH, b"", "t=%d\t,v1=%s" % (T, SIG), T, MAL)
verify("malformed-t-underscores", [SECRET], "POST", PATH, b"", "t=1_730_000_000,v1=" + SIG, T, MAL)
verify(
    "malformed-t-non-ascii-digits",
    [SECRET],
    "POST",
    PATH,
    b"",
    "t=%s,v1=%s" % ("".join(chr(0x0660 + int(c)) for c in str(T)), SIG),
    T,
    MAL,
)
verify("malformed-t-int64-overflow", [SECRET], "POST", PATH, b"", "t=99999999999999999999,v1=" + SIG, T, MAL)
verify(
    "malformed-space-before-v1-is-missing-v1", [SECRET], "POST", PATH, b"", "t=%d, v1=%s" % (T, SIG), T, MAL
)
verify("malformed-space-before-t-is-missing-t", [SECRET], "POST", PATH, b"", " t=%d,v1=%s" % (T, SIG), T, MAL)
verify("malformed-uppercase-t-key", [SECRET], "POST", PATH, b"", "T=%d,v1=%s" % (T, SIG), T, MAL)
verify("malformed-uppercase-v1-key", [SECRET], "POST", PATH, b"", "t=%d,V1=%s" % (T, SIG), T, MAL)
verify(
    "malformed-duplicate-t-last-invalid", [SECRET], "POST", PATH, b"", "t=%d,t=abc,v1=%s" % (T, SIG), T, MAL
)
verify("malformed-duplicate-v1-last-invalid", [SECRET], "POST", PATH, b"", H + ",v1=abc", T, MAL)
verify("malformed-empty-secrets-list", [], "POST", PATH, b"", H, T, MAL)
verify("malformed-empty-secrets-list-before-stale", [], "POST", PATH, b"", H, T + 10000, MAL)
verify("malformed-before-stale", [SECRET], "POST", PATH, b"", "t=1,v1=" + SIG[:10], T, MAL)

# ===========================================================================
# Verify: StaleTimestamp
# ===========================================================================

STALE = "StaleTimestamp"
verify("stale-now-301-after-t", [SECRET], "POST", PATH, b"", H, T + 301, STALE, max_skew=300)
verify("stale-now-301-before-t", [SECRET], "POST", PATH, b"", H, T - 301, STALE, max_skew=300)
verify("stale-now-31-after-t-window-30", [SECRET], "POST", PATH, b"", H, T + 31, STALE, max_skew=30)
verify("stale-now-31-before-t-window-30", [SECRET], "POST", PATH, b"", H, T - 31, STALE, max_skew=30)
verify("stale-window-0-means-300", [SECRET], "POST", PATH, b"", H, T + 301, STALE, max_skew=0)
verify("stale-window-absent-means-300", [SECRET], "POST", PATH, b"", H, T - 301, STALE)
verify(
    "stale-before-mismatch",
    [SECRET],
    "POST",
    PATH,
    b"",
    "t=%d,v1=%s" % (T, "0" * 64),
    T + 301,
    STALE,
    max_skew=300,
)
verify("stale-before-mismatch-wrong-secret", [SECRET_OTHER], "POST", PATH, b"", H, T - 1000, STALE)
verify("stale-before-all-empty-secrets", ["", ""], "POST", PATH, b"", H, T + 301, STALE)
verify("stale-t-zero", [SECRET], "POST", PATH, b"", header(SECRET, "POST", PATH, b"", 0), T, STALE)
verify(
    "stale-far-future", [SECRET], "POST", PATH, b"", header(SECRET, "POST", PATH, b"", 99999999999), T, STALE
)

# ===========================================================================
# Verify: SignatureMismatch
# ===========================================================================

MIS = "SignatureMismatch"
_flip_first = ("0" if SIG[0] != "0" else "1") + SIG[1:]
_flip_last = SIG[:-1] + ("0" if SIG[-1] != "0" else "1")
verify(
    "mismatch-flipped-first-signature-byte",
    [SECRET],
    "POST",
    PATH,
    b"",
    "t=%d,v1=%s" % (T, _flip_first),
    T,
    MIS,
)
verify(
    "mismatch-flipped-last-signature-byte",
    [SECRET],
    "POST",
    PATH,
    b"",
    "t=%d,v1=%s" % (T, _flip_last),
    T,
    MIS,
)
verify(
    "mismatch-body-changed",
    [SECRET],
    "POST",
    PATH,
    JSON_BODY + b" ",
    header(SECRET, "POST", PATH, JSON_BODY, T),
    T,
    MIS,
)
verify(
    "mismatch-body-dropped", [SECRET], "POST", PATH, b"", header(SECRET, "POST", PATH, JSON_BODY, T), T, MIS
)
verify("mismatch-method-changed", [SECRET], "PUT", PATH, b"", H, T, MIS)
verify("mismatch-get-vs-post", [SECRET], "get", PATH, b"", H, T, MIS)
verify("mismatch-path-changed", [SECRET], "POST", PATH + "x", b"", H, T, MIS)
verify("mismatch-path-trailing-slash", [SECRET], "POST", PATH + "/", b"", H, T, MIS)
verify(
    "mismatch-path-not-percent-decoded",
    [SECRET],
    "POST",
    "/api/cron/my job",
    b"",
    header(SECRET, "POST", "/api/cron/my%20job", b"", T),
    T,
    MIS,
)
verify(
    "mismatch-path-percent-hex-case",
    [SECRET],
    "POST",
    "/api/cron/a%2f",
    b"",
    header(SECRET, "POST", "/api/cron/a%2F", b"", T),
    T,
    MIS,
)
verify(
    "mismatch-query-changed",
    [SECRET],
    "POST",
    "/api/cron/job-a?x=2",
    b"",
    header(SECRET, "POST", "/api/cron/job-a?x=1", b"", T),
    T,
    MIS,
)
verify(
    "mismatch-query-dropped",
    [SECRET],
    "POST",
    "/api/cron/job-a",
    b"",
    header(SECRET, "POST", "/api/cron/job-a?x=1", b"", T),
    T,
    MIS,
)
verify("mismatch-timestamp-changed", [SECRET], "POST", PATH, b"", "t=%d,v1=%s" % (T + 1, SIG), T, MIS)
verify("mismatch-wrong-secret", [SECRET_OTHER], "POST", PATH, b"", H, T, MIS)
verify("mismatch-secret-case", [SECRET.upper()], "POST", PATH, b"", H, T, MIS)
verify("mismatch-two-non-matching-secrets", [SECRET_OTHER, SECRET_NEW], "POST", PATH, b"", H, T, MIS)
verify("mismatch-all-empty-secrets", ["", ""], "POST", PATH, b"", H, T, MIS)
verify("mismatch-single-empty-secret", [""], "POST", PATH, b"", H, T, MIS)
verify("mismatch-zero-signature", [SECRET], "POST", PATH, b"", "t=%d,v1=%s" % (T, "0" * 64), T, MIS)


def main():
    n_sign = sum(1 for v in VECTORS if v["kind"] == "sign")
    doc = {
        "$comment": (
            "HMAC conformance vectors for cronix (Python), generated by "
            "spec/vectors/generate_auth_vectors.py - do not edit by hand. Structure of "
            "reference/fire-time.md section 3.5. kind=sign: auth-sign output must equal "
            "expectedHeader. kind=verify: expect is ok (with expectedSecretIndex) or "
            "MalformedHeader|StaleTimestamp|SignatureMismatch; an absent maxSkewSeconds "
            "is sent as 0 and means 300. See spec/vectors/README.md."
        ),
        "version": 1,
        "vectors": VECTORS,
    }
    lines = ['{"$comment": ' + json.dumps(doc["$comment"]) + ",", ' "version": 1,', ' "vectors": [']
    for i, v in enumerate(VECTORS):
        lines.append(
            "  "
            + json.dumps(v, ensure_ascii=True, separators=(", ", ": "))
            + ("," if i + 1 < len(VECTORS) else "")
        )
    lines.append(" ]}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == doc
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print(
        "wrote %s: %d vectors (%d sign, %d verify), %d bytes"
        % (OUT, len(VECTORS), n_sign, len(VECTORS) - n_sign, len(text)),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
