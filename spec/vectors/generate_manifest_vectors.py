#!/usr/bin/env python3
"""Generate spec/vectors/manifest-vectors.json.

Standalone: Python standard library only; it never imports cronix.  The expected
results are derived from the written contract, not from any implementation:

* reference/reconciler.md section 1 (wire shape, validation rules 1.3, schedule
  grammar 1.4, normalization 1.6, canonical JSON 1.7, Go escaping 1.8, Go
  whitespace 1.9), and
* the cronix-py deliberate decisions (DESIGN.md section 3 item 14 and the
  conformance brief): IANA timezones, case-sensitive keys with unknown keys as
  errors at the key's path, duplicate keys as errors, type errors at the field's
  path, null == absent, root ("") errors for undecodable documents, stricter job
  URLs and static headers, explicit empty strings are not "absent", lone
  surrogates become U+FFFD emitted raw.

Every case states its expectation explicitly: `valid` is hand-labelled and every
invalid case carries a hand-written list of error paths.  Expected canonical
strings for valid cases come from `canonical()` below (an independent
re-statement of sections 1.6-1.8 written for this file) and, for a subset, from
hand-written literal strings that are asserted to agree with it.  The hand labels
are additionally cross-checked against `expected_paths()`, a second, independent
statement of the validation rules (section 1.3/1.4 + decisions), so a typo in a
label makes this script fail instead of producing a wrong vector.  Byte-level
cases (`inputB64`) carry literal expectations only.

Run:  python3 spec/vectors/generate_manifest_vectors.py
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "manifest-vectors.json")

# --------------------------------------------------------------------------
# Go semantics re-stated from the spec
# --------------------------------------------------------------------------

# unicode.IsSpace (reconciler.md 1.9).  NOT \x1c-\x1f (Python's str.strip would).
GO_SPACE = frozenset(
    "\t\n\v\f\r \u0085\u00a0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def go_trim(s: str) -> str:
    i, j = 0, len(s)
    while i < j and s[i] in GO_SPACE:
        i += 1
    while j > i and s[j - 1] in GO_SPACE:
        j -= 1
    return s[i:j]


def go_fields(s: str) -> list[str]:
    out, cur = [], []
    for ch in s:
        if ch in GO_SPACE:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def go_json_string(s: str) -> str:
    """encoding/json string encoding (reconciler.md 1.8), HTML-escaping on.

    Lone surrogates never reach here in generated inputs (decision 11: the
    decoder already replaced them by U+FFFD, which is emitted raw)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif o < 0x20 or ch in "<>&" or o in (0x2028, 0x2029):
            out.append("\\u%04x" % o)
        elif 0xD800 <= o <= 0xDFFF:
            raise AssertionError("surrogate in generated canonical input")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_atoi(s: str):
    """strconv.Atoi: optional sign, ASCII digits, int64 range; None on error."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or any(c not in "0123456789" for c in body):
        return None
    v = int(body)
    if s[:1] == "-":
        v = -v
    if not (-(2**63) <= v <= 2**63 - 1):
        return None
    return v


# --------------------------------------------------------------------------
# Independent canonicalizer (sections 1.6 + 1.7 + 1.8)
# --------------------------------------------------------------------------


def _get(d, key, default):
    v = d.get(key) if isinstance(d, dict) else None
    return default if v is None else v


def canonical(doc: dict) -> str:
    jobs = []
    for j in doc["jobs"]:
        if j.get("schedules") is not None:
            scheds = [go_trim(s) for s in j["schedules"]]
        else:
            scheds = [go_trim(j["schedule"])]
        req = _get(j, "request", {})
        pol = _get(j, "policy", {})
        ret = _get(pol, "retries", {})
        auth = _get(j, "auth", {})
        headers = _get(req, "headers", {})
        hdr = ",".join(
            go_json_string(k) + ":" + go_json_string(headers[k])
            for k in sorted(headers, key=lambda k: k.encode("utf-8"))
        )
        parts = [
            '{"name":' + go_json_string(j["name"]),
            '"schedules":[' + ",".join(go_json_string(s) for s in scheds) + "]",
            '"timezone":' + go_json_string(_get(j, "timezone", "UTC")),
            '"request":{"method":'
            + go_json_string(_get(req, "method", "POST"))
            + ',"url":'
            + go_json_string(req["url"])
            + ',"headers":{'
            + hdr
            + "}"
            + ',"body":'
            + go_json_string(_get(req, "body", ""))
            + "}",
            '"policy":{"concurrency":'
            + go_json_string(_get(pol, "concurrency", "Forbid"))
            + ',"concurrency_scope":'
            + go_json_string(_get(pol, "concurrency_scope", "host"))
            + ',"timeout_seconds":%d' % _get(pol, "timeout_seconds", 60)
            + ',"retries":{"max_attempts":%d,"min_seconds":%d,"max_seconds":%d}}'
            % (_get(ret, "max_attempts", 3), _get(ret, "min_seconds", 1), _get(ret, "max_seconds", 60)),
            '"auth":{"secret_refs":['
            + ",".join(go_json_string(r) for r in _get(auth, "secret_refs", []))
            + "]}",
        ]
        # D-700: the monitoring extension comes last, only with the keys given (never null).
        mon = _get(j, "monitoring", {})
        given = [(k, mon[k]) for k in ("start_grace_seconds", "run_grace_seconds") if mon.get(k) is not None]
        if given:
            parts.append('"monitoring":{' + ",".join('"%s":%d' % kv for kv in given) + "}")
        parts[-1] += "}"
        jobs.append((j["name"].encode("utf-8"), ",".join(parts)))
    jobs.sort(key=lambda t: t[0])  # stable, byte-wise
    return (
        '{"version":1,"app":' + go_json_string(doc["app"]) + ',"jobs":[' + ",".join(t[1] for t in jobs) + "]}"
    )


# --------------------------------------------------------------------------
# Independent validator (sections 1.3/1.4 + cronix decisions), used only to
# cross-check the hand-written labels below.
# --------------------------------------------------------------------------

ID_RE = re.compile(r"[a-z][a-z0-9-]{0,62}")
REF_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9_:./-]{0,127}")
TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
DESCRIPTORS = {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}
MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
DOWS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
BOUNDS = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 6, DOWS)]
# Zones used by the vectors, labelled by hand (decision 1).
KNOWN_ZONES = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Etc/GMT+5"}


class SchedErr(Exception):
    pass


def _must_parse_int(expr):
    n = go_atoi(expr)
    if n is None:
        raise SchedErr("failed to parse int from " + expr)
    if n < 0:
        raise SchedErr("negative number")
    return n


def _int_or_name(expr, names):
    if names is not None and expr.lower() in names:
        return names[expr.lower()]
    return _must_parse_int(expr)


def _get_range(expr, lo, hi, names):
    ras = expr.split("/")
    lah = ras[0].split("-")
    single = len(lah) == 1
    if lah[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = _int_or_name(lah[0], names)
        if len(lah) == 1:
            end = start
        elif len(lah) == 2:
            end = _int_or_name(lah[1], names)
        else:
            raise SchedErr("too many hyphens")
    if len(ras) == 1:
        step = 1
    elif len(ras) == 2:
        step = _must_parse_int(ras[1])
        if single:
            end = hi
    else:
        raise SchedErr("too many slashes")
    if start < lo:
        raise SchedErr("below minimum")
    if end > hi:
        raise SchedErr("above maximum")
    if start > end:
        raise SchedErr("beyond end")
    if step == 0:
        raise SchedErr("step zero")


def schedule_ok(s: str) -> bool:
    try:
        if s == "":
            raise SchedErr("empty")
        t = go_trim(s)
        if t in DESCRIPTORS:
            return True
        if t.startswith("@every"):
            rest = go_trim(t[6:]).encode("utf-8")
            if len(rest) < 2:
                raise SchedErr("short")
            num = go_atoi(rest[:-1].decode("utf-8", "replace"))
            if num is None or num <= 0:
                raise SchedErr("positive integer")
            unit = rest[-1:].lower()
            mult = {b"s": 1, b"m": 60, b"h": 3600}.get(unit)
            if mult is None:
                raise SchedErr("unit")
            if num * mult < 60:
                raise SchedErr("floor")
            return True
        if len(go_fields(t)) != 5:
            raise SchedErr("field count")
        spec = t
        if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
            i, eq = spec.index(" "), spec.index("=")
            if spec[eq + 1 : i] not in KNOWN_ZONES:
                raise SchedErr("bad location")
            spec = go_trim(spec[i:])
        if spec.startswith("@"):
            raise SchedErr("descriptors")
        fields = go_fields(spec)
        if len(fields) != 5:
            raise SchedErr("expected exactly 5 fields")
        for field, (lo, hi, names) in zip(fields, BOUNDS):
            for expr in [e for e in field.split(",") if e]:
                _get_range(expr, lo, hi, names)
        return True
    except SchedErr:
        return False


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v <= 2**63 - 1


def url_ok(u: str) -> bool:
    # D-006: printable ASCII only (whitespace, controls and non-ASCII must be percent-encoded).
    if any(not 0x21 <= ord(c) <= 0x7E for c in u):
        return False
    if "#" in u:
        return False
    if re.search(r"%(?![0-9A-Fa-f]{2})", u):
        return False
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", u, re.S)
    if not m or m.group(1).lower() not in ("http", "https"):
        return False
    rest = m.group(2)
    if not rest.startswith("//"):
        return False
    authority = re.split(r"[/?]", rest[2:], maxsplit=1)[0]
    if "@" in authority:  # D-602: no user info (it would be stored and shown; never sent)
        return False
    hostport = authority
    if hostport.startswith("["):
        if "]" not in hostport:
            return False
        host, _, after = hostport[1:].partition("]")
        port = after[1:] if after.startswith(":") else None
        if after and not after.startswith(":"):
            return False
    else:
        host, sep, port = hostport.partition(":")
        if not sep:
            port = None
    if port is not None and not re.fullmatch(r"[0-9]*", port):
        return False
    if port and not 1 <= int(port) <= 65535:  # D-602: port 0 cannot be dialled
        return False
    return host != ""


def _keys(d, allowed, prefix, out):
    for k in d:
        if k not in allowed:
            out.add(prefix + k)


def expected_paths(doc) -> set[str]:
    out: set[str] = set()
    if not isinstance(doc, dict):
        return {""}
    _keys(doc, {"version", "app", "jobs"}, "", out)
    v = doc.get("version")
    if not _is_int(v) or v != 1:
        out.add("version")
    a = doc.get("app")
    if not isinstance(a, str) or not ID_RE.fullmatch(a):
        out.add("app")
    jobs = doc.get("jobs")
    if not isinstance(jobs, list) or not (1 <= len(jobs) <= 256):
        out.add("jobs")
    if not isinstance(jobs, list):
        return out
    seen = {}
    for i, j in enumerate(jobs):
        p = "jobs/%d" % i
        if not isinstance(j, dict):
            out.add(p)
            continue
        _keys(
            j, {"name", "schedule", "schedules", "timezone", "request", "policy", "auth", "monitoring"}, p + "/", out
        )
        name = j.get("name")
        if not isinstance(name, str) or not ID_RE.fullmatch(name):
            out.add(p + "/name")
        s, ss = j.get("schedule"), j.get("schedules")
        if (s is None) == (ss is None):
            out.add(p)
        if s is not None and (not isinstance(s, str) or not schedule_ok(s)):
            out.add(p + "/schedule")
        if ss is not None:
            if not isinstance(ss, list) or not (1 <= len(ss) <= 64):
                out.add(p + "/schedules")
            if isinstance(ss, list):
                for k, x in enumerate(ss):
                    if not isinstance(x, str) or not schedule_ok(x):
                        out.add("%s/schedules/%d" % (p, k))
        tz = j.get("timezone")
        if tz is not None and (not isinstance(tz, str) or tz not in KNOWN_ZONES):
            out.add(p + "/timezone")
        req = j.get("request")
        if req is None:
            out.add(p + "/request/url")
        elif not isinstance(req, dict):
            out.add(p + "/request")
        else:
            rp = p + "/request/"
            _keys(req, {"method", "url", "headers", "body"}, rp, out)
            u = req.get("url")
            if not isinstance(u, str) or not url_ok(u):
                out.add(rp + "url")
            m = req.get("method")
            if m is not None and m not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                out.add(rp + "method")
            h = req.get("headers")
            if h is not None:
                if not isinstance(h, dict):
                    out.add(rp + "headers")
                else:
                    lower_seen = set()
                    for hk, hv in h.items():
                        bad = not TOKEN_RE.fullmatch(hk)
                        bad |= not isinstance(hv, str) or any(
                            (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in hv
                        )
                        bad |= hk.lower() in lower_seen
                        lower_seen.add(hk.lower())
                        if bad:
                            out.add(rp + "headers/" + hk)
            b = req.get("body")
            if b is not None and not isinstance(b, str):
                out.add(rp + "body")
        pol = j.get("policy")
        if pol is not None:
            pp = p + "/policy"
            if not isinstance(pol, dict):
                out.add(pp)
            else:
                _keys(pol, {"concurrency", "concurrency_scope", "timeout_seconds", "retries"}, pp + "/", out)
                c = pol.get("concurrency")
                if c is not None and c not in ("Allow", "Forbid", "Replace"):
                    out.add(pp + "/concurrency")
                c = pol.get("concurrency_scope")
                if c is not None and c not in ("host", "global"):
                    out.add(pp + "/concurrency_scope")
                t = pol.get("timeout_seconds")
                if t is not None and (not _is_int(t) or not 1 <= t <= 600):
                    out.add(pp + "/timeout_seconds")
                r = pol.get("retries")
                if r is not None:
                    rp2 = pp + "/retries"
                    if not isinstance(r, dict):
                        out.add(rp2)
                    else:
                        _keys(r, {"max_attempts", "min_seconds", "max_seconds"}, rp2 + "/", out)
                        ma, mn, mx = r.get("max_attempts"), r.get("min_seconds"), r.get("max_seconds")
                        if ma is not None and (not _is_int(ma) or not 1 <= ma <= 10):
                            out.add(rp2 + "/max_attempts")
                        if mn is not None and (not _is_int(mn) or mn < 0):
                            out.add(rp2 + "/min_seconds")
                        if mx is not None and (not _is_int(mx) or mx < 1):
                            out.add(rp2 + "/max_seconds")
                        if _is_int(mn) and _is_int(mx) and mn > mx:
                            out.add(rp2)
        au = j.get("auth")
        if au is not None:
            ap = p + "/auth"
            if not isinstance(au, dict):
                out.add(ap)
            else:
                _keys(au, {"secret_refs"}, ap + "/", out)
                refs = au.get("secret_refs")
                if refs is not None:
                    # D-010: [] is accepted (it is what the canonical form writes).
                    if not isinstance(refs, list) or len(refs) > 8:
                        out.add(ap + "/secret_refs")
                    if isinstance(refs, list):
                        for k, r in enumerate(refs):
                            if not isinstance(r, str) or not REF_RE.fullmatch(r):
                                out.add("%s/secret_refs/%d" % (ap, k))
        mon = j.get("monitoring")
        if mon is not None:
            mp = p + "/monitoring"
            if not isinstance(mon, dict):
                out.add(mp)
            else:
                _keys(mon, {"start_grace_seconds", "run_grace_seconds"}, mp + "/", out)
                for key, low in (("start_grace_seconds", 1), ("run_grace_seconds", 0)):
                    x = mon.get(key)
                    if x is not None and (not _is_int(x) or not low <= x <= 31 * 86400):
                        out.add(mp + "/" + key)
        if isinstance(name, str) and name:
            if name in seen:
                out.add(p + "/name")
            else:
                seen[name] = i
    return out


# --------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------

DEL = object()  # sentinel: remove the key
URL_A = "https://example.com/cron/job-a"


def J(**kw):
    """A minimal valid job, with overrides (DEL removes a key)."""
    d = {"name": "job-a", "schedule": "*/5 * * * *", "request": {"url": URL_A}}
    for k, v in kw.items():
        if v is DEL:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def R(**kw):
    d = {"url": URL_A}
    for k, v in kw.items():
        if v is DEL:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def M(*jobs, **kw):
    d = {"version": 1, "app": "demo-app", "jobs": list(jobs) if jobs else [J()]}
    for k, v in kw.items():
        if v is DEL:
            d.pop(k, None)
        else:
            d[k] = v
    return d


VECTORS: list[dict] = []
NAMES: set[str] = set()
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _name(name):
    assert KEBAB.fullmatch(name), name
    assert name not in NAMES, "duplicate vector name " + name
    NAMES.add(name)


def _same_in_every_json(doc, where):
    """A plain `input` must mean the same to any JSON parser: a runner may re-serialize it
    with doubles for numbers (JavaScript), so `1.0` would arrive as `1`.  Spellings that
    matter go into inputB64 vectors instead."""
    if isinstance(doc, float):
        assert not doc.is_integer(), f"{where}: integral float {doc!r} in a plain input (use inputB64)"
    elif isinstance(doc, dict):
        for k, v in doc.items():
            _same_in_every_json(v, where)
    elif isinstance(doc, list):
        for v in doc:
            _same_in_every_json(v, where)


def valid(name, doc, literal=None):
    _name(name)
    _same_in_every_json(doc, name)
    got = expected_paths(doc)
    assert not got, (name, got)
    exp = canonical(doc)
    if literal is not None:
        assert exp == literal, (name, exp, literal)
    VECTORS.append({"name": name, "valid": True, "input": doc, "expected": exp})


def invalid(name, doc, paths):
    _name(name)
    _same_in_every_json(doc, name)
    got = expected_paths(doc)
    assert got == set(paths), (name, sorted(got), paths)
    VECTORS.append({"name": name, "valid": False, "input": doc, "errorPaths": list(paths)})


def valid_bytes(name, raw: bytes, literal: str):
    _name(name)
    VECTORS.append(
        {"name": name, "valid": True, "inputB64": base64.b64encode(raw).decode("ascii"), "expected": literal}
    )


def invalid_bytes(name, raw: bytes, paths):
    _name(name)
    VECTORS.append(
        {
            "name": name,
            "valid": False,
            "inputB64": base64.b64encode(raw).decode("ascii"),
            "errorPaths": list(paths),
        }
    )


# Hand-written canonical strings used as cross-checks of canonical().
POLICY_DEFAULT = (
    '"policy":{"concurrency":"Forbid","concurrency_scope":"host","timeout_seconds":60,'
    '"retries":{"max_attempts":3,"min_seconds":1,"max_seconds":60}}'
)
BASE_LIT = (
    '{"version":1,"app":"demo-app","jobs":[{"name":"job-a","schedules":["*/5 * * * *"],'
    '"timezone":"UTC","request":{"method":"POST","url":"https://example.com/cron/job-a",'
    '"headers":{},"body":""},' + POLICY_DEFAULT + ',"auth":{"secret_refs":[]}}]}'
)


def base_lit_body(body_literal: str) -> str:
    """BASE_LIT with the canonical body replaced by an explicit literal."""
    return BASE_LIT.replace('"body":""', '"body":' + body_literal)


# ==========================================================================
# 1. Valid manifests: examples, defaults, normalization
# ==========================================================================

valid(
    "minimal-job-single-schedule",
    {
        "version": 1,
        "app": "billing-service",
        "jobs": [
            {
                "name": "reconcile-payments",
                "schedule": "*/15 * * * *",
                "request": {"url": "https://billing.internal/api/v1/scheduled/reconcile-payments"},
            }
        ],
    },
    literal='{"version":1,"app":"billing-service","jobs":[{"name":"reconcile-payments","schedules":["*/15 * * * *"],"timezone":"UTC","request":{"method":"POST","url":"https://billing.internal/api/v1/scheduled/reconcile-payments","headers":{},"body":""},"policy":{"concurrency":"Forbid","concurrency_scope":"host","timeout_seconds":60,"retries":{"max_attempts":3,"min_seconds":1,"max_seconds":60}},"auth":{"secret_refs":[]}}]}',
)

valid("defaults-all-applied", M(), literal=BASE_LIT)

valid(
    "fully-specified-job",
    M(
        J(
            name="nightly-report",
            schedule=DEL,
            schedules=["0 2 * * *", "30 14 * * mon-fri"],
            timezone="Europe/Berlin",
            request={
                "method": "PUT",
                "url": "https://api.example.com/v1/reports?kind=nightly",
                "headers": {"X-Team": "data", "Content-Type": "application/json"},
                "body": '{"full":true}',
            },
            policy={
                "concurrency": "Replace",
                "concurrency_scope": "global",
                "timeout_seconds": 600,
                "retries": {"max_attempts": 10, "min_seconds": 0, "max_seconds": 3600},
            },
            auth={"secret_refs": ["env:REPORT_SECRET", "file:/run/secrets/report.key"]},
        )
    ),
    literal='{"version":1,"app":"demo-app","jobs":[{"name":"nightly-report","schedules":["0 2 * * *","30 14 * * mon-fri"],"timezone":"Europe/Berlin","request":{"method":"PUT","url":"https://api.example.com/v1/reports?kind=nightly","headers":{"Content-Type":"application/json","X-Team":"data"},"body":"{\\"full\\":true}"},"policy":{"concurrency":"Replace","concurrency_scope":"global","timeout_seconds":600,"retries":{"max_attempts":10,"min_seconds":0,"max_seconds":3600}},"auth":{"secret_refs":["env:REPORT_SECRET","file:/run/secrets/report.key"]}}]}',
)

# Input key order is irrelevant: canonical order is fixed.
valid(
    "input-key-order-irrelevant",
    {
        "jobs": [
            {
                "auth": {"secret_refs": ["env:X"]},
                "policy": {
                    "retries": {"max_seconds": 9, "min_seconds": 2, "max_attempts": 4},
                    "timeout_seconds": 30,
                    "concurrency_scope": "global",
                    "concurrency": "Allow",
                },
                "request": {"body": "b", "headers": {"b": "2", "a": "1"}, "url": URL_A, "method": "GET"},
                "timezone": "Asia/Tokyo",
                "schedule": "@daily",
                "name": "job-a",
            }
        ],
        "app": "demo-app",
        "version": 1,
    },
    literal='{"version":1,"app":"demo-app","jobs":[{"name":"job-a","schedules":["@daily"],"timezone":"Asia/Tokyo","request":{"method":"GET","url":"https://example.com/cron/job-a","headers":{"a":"1","b":"2"},"body":"b"},"policy":{"concurrency":"Allow","concurrency_scope":"global","timeout_seconds":30,"retries":{"max_attempts":4,"min_seconds":2,"max_seconds":9}},"auth":{"secret_refs":["env:X"]}}]}',
)

valid(
    "null-optional-fields-are-absent",
    M(
        J(
            schedules=None,
            timezone=None,
            policy=None,
            auth=None,
            request={"url": URL_A, "method": None, "headers": None, "body": None},
        )
    ),
    literal=BASE_LIT,
)
valid(
    "null-nested-optional-fields-are-absent",
    M(
        J(
            policy={"concurrency": None, "concurrency_scope": None, "timeout_seconds": None, "retries": None},
            auth={"secret_refs": None},
        )
    ),
    literal=BASE_LIT,
)
valid(
    "null-retries-fields-are-absent",
    M(J(policy={"retries": {"max_attempts": None, "min_seconds": None, "max_seconds": None}})),
    literal=BASE_LIT,
)
valid("null-schedule-with-schedules", M(J(schedule=None, schedules=["@hourly"])))
valid("empty-policy-object-defaults", M(J(policy={})), literal=BASE_LIT)
valid("empty-retries-object-defaults", M(J(policy={"retries": {}})), literal=BASE_LIT)
valid("empty-auth-object-defaults", M(J(auth={})), literal=BASE_LIT)
valid("empty-headers-object", M(J(request=R(headers={}))), literal=BASE_LIT)
valid(
    "retries-max-attempts-only",
    M(J(policy={"retries": {"max_attempts": 5}})),
    literal=BASE_LIT.replace('"max_attempts":3', '"max_attempts":5'),
)
valid(
    "retries-max-seconds-only",
    M(J(policy={"retries": {"max_seconds": 120}})),
    literal=BASE_LIT.replace('"max_seconds":60', '"max_seconds":120'),
)
valid(
    "retries-min-seconds-90-alone-accepted",
    M(J(policy={"retries": {"min_seconds": 90}})),
    literal=BASE_LIT.replace('"min_seconds":1,"max_seconds":60', '"min_seconds":90,"max_seconds":60'),
)
valid("retries-min-equals-max", M(J(policy={"retries": {"min_seconds": 7, "max_seconds": 7}})))
valid("retries-min-seconds-zero", M(J(policy={"retries": {"min_seconds": 0}})))
valid(
    "policy-bounds-low", M(J(policy={"timeout_seconds": 1, "retries": {"max_attempts": 1, "max_seconds": 1}}))
)
valid("policy-bounds-high", M(J(policy={"timeout_seconds": 600, "retries": {"max_attempts": 10}})))
valid("policy-concurrency-allow", M(J(policy={"concurrency": "Allow"})))
valid(
    "policy-concurrency-forbid-explicit",
    M(J(policy={"concurrency": "Forbid", "concurrency_scope": "host"})),
    literal=BASE_LIT,
)
valid(
    "policy-concurrency-replace-global",
    M(J(policy={"concurrency": "Replace", "concurrency_scope": "global"})),
)
for meth in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    valid(
        "method-%s" % meth.lower(),
        M(J(request=R(method=meth))),
        literal=BASE_LIT.replace('"method":"POST"', '"method":"%s"' % meth),
    )
valid("timezone-explicit-utc", M(J(timezone="UTC")), literal=BASE_LIT)
valid(
    "timezone-america-new-york",
    M(J(timezone="America/New_York")),
    literal=BASE_LIT.replace('"timezone":"UTC"', '"timezone":"America/New_York"'),
)
valid("timezone-etc-gmt-plus-5", M(J(timezone="Etc/GMT+5")))

valid(
    "schedule-rewritten-into-schedules",
    M(J(schedule="@weekly")),
    literal=BASE_LIT.replace('"schedules":["*/5 * * * *"]', '"schedules":["@weekly"]'),
)
valid(
    "schedules-order-preserved-and-trimmed",
    M(J(schedule=DEL, schedules=[" 0 * * * * ", "@daily\t", "\n*/10 1-5 * * *"])),
    literal=BASE_LIT.replace(
        '"schedules":["*/5 * * * *"]', '"schedules":["0 * * * *","@daily","*/10 1-5 * * *"]'
    ),
)
valid(
    "schedules-duplicates-kept",
    M(J(schedule=DEL, schedules=["@daily", "@daily"])),
    literal=BASE_LIT.replace('"schedules":["*/5 * * * *"]', '"schedules":["@daily","@daily"]'),
)
valid(
    "schedule-trim-keeps-inner-whitespace",
    M(J(schedule="  */5  *\t* * *  ")),
    literal=BASE_LIT.replace('"schedules":["*/5 * * * *"]', '"schedules":["*/5  *\\t* * *"]'),
)
valid(
    "schedule-trim-go-unicode-whitespace",
    M(J(schedule="\u00a0\u3000\u2003\u0085*/5 * * * *\u205f\u00a0\u3000\v\f")),
    literal=BASE_LIT,
)
valid(
    "schedule-nbsp-as-field-separator",
    M(J(schedule="*/5\u00a0*\u3000*\u2002* *")),
    literal=BASE_LIT.replace('"schedules":["*/5 * * * *"]', '"schedules":["*/5\u00a0*\u3000*\u2002* *"]'),
)
valid(
    "schedule-descriptor-trimmed",
    M(J(schedule="\u3000@hourly \n")),
    literal=BASE_LIT.replace('"schedules":["*/5 * * * *"]', '"schedules":["@hourly"]'),
)
# \x1c is whitespace for Python's str.strip() but NOT for Go: never trimmed.
invalid("schedule-x1c-not-whitespace-leading", M(J(schedule="\x1c*/5 * * * *")), ["jobs/0/schedule"])
invalid("schedule-x1f-not-whitespace-trailing", M(J(schedule="*/5 * * * *\x1f")), ["jobs/0/schedule"])
invalid("schedule-x1e-not-field-separator", M(J(schedule="*/5\x1e* * * *")), ["jobs/0/schedule"])

valid(
    "jobs-sorted-by-name",
    M(
        J(name="zeta", request=R(url="https://example.com/z")),
        J(name="a0", request=R(url="https://example.com/a0")),
        J(name="a", request=R(url="https://example.com/a")),
        J(name="a-1", request=R(url="https://example.com/a-1")),
    ),
)
valid(
    "jobs-sorted-bytewise-two",
    M(
        J(name="report-b", schedule="@daily", request=R(url="https://example.com/b")),
        J(name="report-a", schedule="@hourly", request=R(url="https://example.com/a")),
    ),
    literal='{"version":1,"app":"demo-app","jobs":['
    '{"name":"report-a","schedules":["@hourly"],"timezone":"UTC","request":{"method":"POST","url":"https://example.com/a","headers":{},"body":""},'
    + POLICY_DEFAULT
    + ',"auth":{"secret_refs":[]}},'
    '{"name":"report-b","schedules":["@daily"],"timezone":"UTC","request":{"method":"POST","url":"https://example.com/b","headers":{},"body":""},'
    + POLICY_DEFAULT
    + ',"auth":{"secret_refs":[]}}]}',
)

valid(
    "headers-sorted-uppercase-before-lowercase",
    M(J(request=R(headers={"c": "4", "a": "3", "Z": "2", "B": "1", "_x": "5", "0": "6", "~t": "7"}))),
    literal=BASE_LIT.replace(
        '"headers":{}', '"headers":{"0":"6","B":"1","Z":"2","_x":"5","a":"3","c":"4","~t":"7"}'
    ),
)
valid(
    "headers-values-kept-verbatim",
    M(
        J(
            request=R(
                headers={"X-Space": " padded ", "X-Tab": "a\tb", "X-Empty": "", "X-Utf8": "caf\u00e9 \u2603"}
            )
        )
    ),
    literal=BASE_LIT.replace(
        '"headers":{}',
        '"headers":{"X-Empty":"","X-Space":" padded ","X-Tab":"a\\tb","X-Utf8":"caf\u00e9 \u2603"}',
    ),
)
valid(
    "headers-token-name-with-ampersand-escaped",
    M(J(request=R(headers={"X&Y": "<v>", "!#$%'*+-.^_`|~": "ok"}))),
    literal=BASE_LIT.replace(
        '"headers":{}', '"headers":{"!#$%\'*+-.^_`|~":"ok","X\\u0026Y":"\\u003cv\\u003e"}'
    ),
)

valid(
    "secret-refs-order-and-duplicates-kept",
    M(J(auth={"secret_refs": ["env:B", "env:A", "env:B"]})),
    literal=BASE_LIT.replace('"secret_refs":[]', '"secret_refs":["env:B","env:A","env:B"]'),
)
valid(
    "secret-ref-allowed-characters",
    M(
        J(
            auth={
                "secret_refs": [
                    "aws-sm:arn/x.y_z-1",
                    "Z",
                    "file:/run/secrets/a.b",
                    "gcp:projects/p/secrets/s/versions/1",
                ]
            }
        )
    ),
)
valid("secret-ref-128-chars", M(J(auth={"secret_refs": ["a" + "b" * 127]})))
valid("secret-refs-8-allowed", M(J(auth={"secret_refs": ["env:S%d" % k for k in range(8)]})))

valid("app-and-name-one-char", M(J(name="j"), app="a"))
valid("app-and-name-63-chars", M(J(name="j" + "0" * 61 + "-"), app="a" + "b-" * 31))
valid(
    "url-scheme-uppercase-accepted",
    M(J(request=R(url="HTTPS://Example.COM/Path"))),
    literal=BASE_LIT.replace(URL_A, "HTTPS://Example.COM/Path"),
)
valid("url-scheme-mixed-case-http", M(J(request=R(url="HtTp://example.com:8080/x"))))
valid("url-plain-http-any-host", M(J(request=R(url="http://example.com/cron"))))
valid("url-ipv6-host-with-port", M(J(request=R(url="http://[::1]:8080/cron"))))
valid("url-no-path", M(J(request=R(url="https://example.com"))))
valid(
    "url-percent-escapes-valid",
    M(J(request=R(url="https://example.com/a%20b/%2F%e9?q=%7e"))),
    literal=BASE_LIT.replace(URL_A, "https://example.com/a%20b/%2F%e9?q=%7e"),
)
valid(
    "url-query-html-escaped",
    M(J(request=R(url="https://x/p?a=1&b=<x>"))),
    literal=BASE_LIT.replace('"' + URL_A + '"', '"https://x/p?a=1\\u0026b=\\u003cx\\u003e"'),
)
invalid("url-non-ascii-raw", M(J(request=R(url="https://example.com/caf\u00e9"))), ["jobs/0/request/url"])
invalid("url-non-ascii-host", M(J(request=R(url="https://b\u00fccher.example/x"))), ["jobs/0/request/url"])
invalid(
    "url-userinfo-password",
    M(J(request=R(url="https://admin:hunter2@example.com/x"))),
    ["jobs/0/request/url"],
)
invalid("url-userinfo-user-only", M(J(request=R(url="https://admin@example.com/x"))), ["jobs/0/request/url"])
invalid("url-userinfo-empty", M(J(request=R(url="https://@example.com/x"))), ["jobs/0/request/url"])
invalid("url-port-zero", M(J(request=R(url="http://127.0.0.1:0/x"))), ["jobs/0/request/url"])
invalid("url-port-zero-padded", M(J(request=R(url="http://example.com:000/x"))), ["jobs/0/request/url"])
invalid("url-port-above-65535", M(J(request=R(url="https://example.com:65536/x"))), ["jobs/0/request/url"])
valid("url-port-65535", M(J(request=R(url="https://example.com:65535/x"))))
valid("url-at-sign-in-path-and-query", M(J(request=R(url="https://example.com/a@b?c=d@e"))))
valid(
    "url-non-ascii-percent-encoded",
    M(J(request=R(url="https://example.com/caf%C3%A9"))),
    literal=BASE_LIT.replace(URL_A, "https://example.com/caf%C3%A9"),
)

# ==========================================================================
# 2. Go escaping of canonical strings (section 1.8)
# ==========================================================================

valid(
    "escape-html-characters",
    M(J(request=R(body="a<b>c&d"))),
    literal=base_lit_body('"a\\u003cb\\u003ec\\u0026d"'),
)
valid(
    "escape-line-and-paragraph-separators",
    M(J(request=R(body="x\u2028y\u2029z"))),
    literal=base_lit_body('"x\\u2028y\\u2029z"'),
)
valid(
    "escape-control-chars-lowercase-hex",
    M(J(request=R(body="\x00\x01\x0b\x0e\x1b\x1c\x1f"))),
    literal=base_lit_body('"\\u0000\\u0001\\u000b\\u000e\\u001b\\u001c\\u001f"'),
)
valid(
    "escape-short-forms",
    M(J(request=R(body="n\nt\tr\rb\bf\f"))),
    literal=base_lit_body('"n\\nt\\tr\\rb\\bf\\f"'),
)
valid(
    "escape-quote-and-backslash-not-slash",
    M(J(request=R(body='{"a":"b\\\\c/d"}'))),
    literal=base_lit_body('"{\\"a\\":\\"b\\\\\\\\c/d\\"}"'),
)
valid("escape-del-raw", M(J(request=R(body="a\x7fb"))), literal=base_lit_body('"a\x7fb"'))
valid(
    "escape-non-ascii-raw",
    M(J(request=R(body="caf\u00e9 \u65e5\u672c \U0001f600 \U0001f9d1\u200d\U0001f4bb"))),
    literal=base_lit_body('"caf\u00e9 \u65e5\u672c \U0001f600 \U0001f9d1\u200d\U0001f4bb"'),
)
valid(
    "escape-c1-controls-and-bom-raw",
    M(J(request=R(body="\u0080\u0085\u009f\ufeff\ufffd"))),
    literal=base_lit_body('"\u0080\u0085\u009f\ufeff\ufffd"'),
)

# ==========================================================================
# 3. Top-level validation
# ==========================================================================

invalid("version-missing", M(version=DEL), ["version"])
invalid("version-2", M(version=2), ["version"])
invalid("version-0", M(version=0), ["version"])
invalid("version-null-is-missing", M(version=None), ["version"])
invalid("version-string", M(version="1"), ["version"])
invalid("version-bool", M(version=True), ["version"])
invalid("app-missing", M(app=DEL), ["app"])
invalid("app-null-is-missing", M(app=None), ["app"])
invalid("app-empty", M(app=""), ["app"])
invalid("app-uppercase", M(app="Demo"), ["app"])
invalid("app-leading-digit", M(app="1demo"), ["app"])
invalid("app-leading-hyphen", M(app="-demo"), ["app"])
invalid("app-underscore", M(app="demo_app"), ["app"])
invalid("app-64-chars", M(app="a" * 64), ["app"])
invalid("app-trailing-newline", M(app="demo\n"), ["app"])
invalid("app-not-trimmed", M(app=" demo"), ["app"])
invalid("app-wrong-type", M(app=123), ["app"])
invalid("jobs-empty", M(jobs=[]), ["jobs"])
invalid("jobs-missing", M(jobs=DEL), ["jobs"])
invalid("jobs-null-is-missing", M(jobs=None), ["jobs"])
invalid("jobs-wrong-type-object", M(jobs={}), ["jobs"])
invalid("jobs-element-not-object", M(jobs=[1]), ["jobs/0"])
invalid("jobs-element-null", M(jobs=[None]), ["jobs/0"])


# Limits: 256 jobs ok, 257 too big.  Input order is reversed to also exercise sorting.
def many_jobs(n):
    return [
        {"name": "job-%03d" % k, "schedule": "@hourly", "request": {"url": "https://example.com/j"}}
        for k in reversed(range(n))
    ]


valid("jobs-256-allowed", M(*many_jobs(256)))
invalid("jobs-257-too-big", M(*many_jobs(257)), ["jobs"])

# Unknown / case-mismatched keys (decision 2).
invalid("unknown-top-level-key", M(bogus=1), ["bogus"])
invalid("key-case-sensitive-app", {"version": 1, "APP": "demo-app", "jobs": [J()]}, ["APP", "app"])
invalid(
    "key-case-sensitive-version", {"Version": 1, "app": "demo-app", "jobs": [J()]}, ["Version", "version"]
)
invalid("unknown-job-key", M(J(bogus=True)), ["jobs/0/bogus"])
invalid(
    "key-case-sensitive-job-name",
    M({"Name": "job-a", "schedule": "@daily", "request": {"url": URL_A}}),
    ["jobs/0/Name", "jobs/0/name"],
)
invalid("unknown-request-key", M(J(request=R(bogus="x"))), ["jobs/0/request/bogus"])
invalid("unknown-request-key-timeout", M(J(request=R(timeout=5))), ["jobs/0/request/timeout"])
invalid("unknown-policy-key", M(J(policy={"bogus": 1})), ["jobs/0/policy/bogus"])
invalid("unknown-retries-key", M(J(policy={"retries": {"bogus": 1}})), ["jobs/0/policy/retries/bogus"])
invalid("unknown-auth-key", M(J(auth={"bogus": []})), ["jobs/0/auth/bogus"])

# ==========================================================================
# 4. Per-job validation
# ==========================================================================

invalid("name-missing", M(J(name=DEL)), ["jobs/0/name"])
invalid("name-null-is-missing", M(J(name=None)), ["jobs/0/name"])
invalid("name-empty", M(J(name="")), ["jobs/0/name"])
invalid("name-uppercase", M(J(name="Job-a")), ["jobs/0/name"])
invalid("name-64-chars", M(J(name="j" * 64)), ["jobs/0/name"])
invalid("name-dot", M(J(name="job.a")), ["jobs/0/name"])
invalid("name-trailing-newline", M(J(name="job-a\n")), ["jobs/0/name"])
invalid("name-wrong-type", M(J(name=5)), ["jobs/0/name"])
invalid("schedule-and-schedules-both", M(J(schedules=["@daily"])), ["jobs/0"])
invalid("schedule-and-schedules-neither", M(J(schedule=DEL)), ["jobs/0"])
invalid("schedule-and-schedules-both-null", M(J(schedule=None, schedules=None)), ["jobs/0"])
invalid("schedule-empty-string", M(J(schedule="")), ["jobs/0/schedule"])
invalid("schedule-whitespace-only", M(J(schedule=" \t\u00a0")), ["jobs/0/schedule"])
invalid("schedule-wrong-type", M(J(schedule=5)), ["jobs/0/schedule"])
invalid("schedules-empty", M(J(schedule=DEL, schedules=[])), ["jobs/0/schedules"])
invalid("schedules-wrong-type", M(J(schedule=DEL, schedules="@daily")), ["jobs/0/schedules"])
invalid("schedules-element-wrong-type", M(J(schedule=DEL, schedules=["@daily", 5])), ["jobs/0/schedules/1"])
invalid("schedules-element-null", M(J(schedule=DEL, schedules=[None])), ["jobs/0/schedules/0"])
invalid(
    "schedules-element-empty", M(J(schedule=DEL, schedules=["@daily", "", "@hourly"])), ["jobs/0/schedules/1"]
)
invalid(
    "schedules-second-invalid", M(J(schedule=DEL, schedules=["@daily", "61 * * * *"])), ["jobs/0/schedules/1"]
)
invalid(
    "schedules-all-invalid-reported",
    M(J(schedule=DEL, schedules=["x", "@daily", "* * * * 7", "@every 1s"])),
    ["jobs/0/schedules/0", "jobs/0/schedules/2", "jobs/0/schedules/3"],
)
valid(
    "schedules-64-allowed",
    M(
        J(
            schedule=DEL,
            schedules=["%d * * * *" % k for k in range(60)] + ["@hourly", "@daily", "@weekly", "@monthly"],
        )
    ),
)
invalid("schedules-65-too-big", M(J(schedule=DEL, schedules=["@hourly"] * 65)), ["jobs/0/schedules"])

invalid("timezone-empty", M(J(timezone="")), ["jobs/0/timezone"])
invalid("timezone-unknown", M(J(timezone="Mars/Base")), ["jobs/0/timezone"])
invalid("timezone-localtime", M(J(timezone="localtime")), ["jobs/0/timezone"])
invalid("timezone-path-traversal", M(J(timezone="Etc/../UTC")), ["jobs/0/timezone"])
invalid("timezone-factory", M(J(timezone="Factory")), ["jobs/0/timezone"])
invalid("timezone-posixrules", M(J(timezone="posixrules")), ["jobs/0/timezone"])
invalid("timezone-posix-prefix", M(J(timezone="posix/Europe/Berlin")), ["jobs/0/timezone"])
invalid("timezone-right-prefix", M(J(timezone="right/UTC")), ["jobs/0/timezone"])
invalid("timezone-wrong-case", M(J(timezone="europe/berlin")), ["jobs/0/timezone"])
invalid("timezone-wrong-type", M(J(timezone=0)), ["jobs/0/timezone"])

invalid("request-missing", M(J(request=DEL)), ["jobs/0/request/url"])
invalid("request-null-is-missing", M(J(request=None)), ["jobs/0/request/url"])
invalid("request-empty-object", M(J(request={})), ["jobs/0/request/url"])
invalid("request-wrong-type", M(J(request=URL_A)), ["jobs/0/request"])
invalid("url-empty", M(J(request=R(url=""))), ["jobs/0/request/url"])
invalid("url-null-is-missing", M(J(request=R(url=None))), ["jobs/0/request/url"])
invalid("url-wrong-type", M(J(request=R(url=5))), ["jobs/0/request/url"])
invalid("url-scheme-ftp", M(J(request=R(url="ftp://example.com/x"))), ["jobs/0/request/url"])
invalid("url-no-scheme", M(J(request=R(url="example.com/x"))), ["jobs/0/request/url"])
invalid("url-empty-host", M(J(request=R(url="https:///x"))), ["jobs/0/request/url"])
invalid("url-scheme-only", M(J(request=R(url="https://"))), ["jobs/0/request/url"])
invalid("url-opaque-no-host", M(J(request=R(url="https:example.com"))), ["jobs/0/request/url"])
invalid("url-single-slash-no-host", M(J(request=R(url="https:/example.com/x"))), ["jobs/0/request/url"])
invalid("url-space", M(J(request=R(url="https://example.com/a b"))), ["jobs/0/request/url"])
invalid("url-leading-space-not-trimmed", M(J(request=R(url=" " + URL_A))), ["jobs/0/request/url"])
invalid("url-trailing-newline", M(J(request=R(url=URL_A + "\n"))), ["jobs/0/request/url"])
invalid("url-tab", M(J(request=R(url="https://example.com/a\tb"))), ["jobs/0/request/url"])
invalid("url-control-char", M(J(request=R(url="https://example.com/a\x01b"))), ["jobs/0/request/url"])
invalid("url-del-char", M(J(request=R(url="https://example.com/a\x7fb"))), ["jobs/0/request/url"])
invalid("url-nbsp", M(J(request=R(url="https://example.com/a\u00a0b"))), ["jobs/0/request/url"])
invalid("url-fragment", M(J(request=R(url="https://example.com/a#frag"))), ["jobs/0/request/url"])
invalid("url-empty-fragment", M(J(request=R(url="https://example.com/a#"))), ["jobs/0/request/url"])
invalid("url-bad-percent-non-hex", M(J(request=R(url="https://example.com/a%zz"))), ["jobs/0/request/url"])
invalid("url-bad-percent-truncated", M(J(request=R(url="https://example.com/a%2"))), ["jobs/0/request/url"])
invalid("url-bad-percent-in-query", M(J(request=R(url="https://example.com/a?x=%"))), ["jobs/0/request/url"])
invalid("url-non-numeric-port", M(J(request=R(url="https://example.com:abc/x"))), ["jobs/0/request/url"])
invalid("url-unclosed-ipv6", M(J(request=R(url="http://[::1/x"))), ["jobs/0/request/url"])

invalid("method-lowercase", M(J(request=R(method="get"))), ["jobs/0/request/method"])
invalid("method-head", M(J(request=R(method="HEAD"))), ["jobs/0/request/method"])
invalid("method-explicit-empty", M(J(request=R(method=""))), ["jobs/0/request/method"])
invalid("method-wrong-type", M(J(request=R(method=1))), ["jobs/0/request/method"])

invalid("headers-wrong-type", M(J(request=R(headers=["X-A"]))), ["jobs/0/request/headers"])
invalid("header-value-wrong-type", M(J(request=R(headers={"X-A": 1}))), ["jobs/0/request/headers/X-A"])
invalid("header-name-with-space", M(J(request=R(headers={"X Bad": "v"}))), ["jobs/0/request/headers/X Bad"])
invalid("header-name-with-colon", M(J(request=R(headers={"X:Y": "v"}))), ["jobs/0/request/headers/X:Y"])
invalid("header-name-with-parens", M(J(request=R(headers={"X(Y)": "v"}))), ["jobs/0/request/headers/X(Y)"])
invalid(
    "header-name-non-ascii", M(J(request=R(headers={"X-\u00e9": "v"}))), ["jobs/0/request/headers/X-\u00e9"]
)
invalid("header-name-empty", M(J(request=R(headers={"": "v"}))), ["jobs/0/request/headers/"])
invalid(
    "header-value-crlf", M(J(request=R(headers={"X-A": "a\r\nInjected: 1"}))), ["jobs/0/request/headers/X-A"]
)
invalid("header-value-lf", M(J(request=R(headers={"X-A": "a\nb"}))), ["jobs/0/request/headers/X-A"])
invalid("header-value-nul", M(J(request=R(headers={"X-A": "a\x00b"}))), ["jobs/0/request/headers/X-A"])
invalid("header-value-del", M(J(request=R(headers={"X-A": "a\x7fb"}))), ["jobs/0/request/headers/X-A"])
invalid(
    "header-duplicate-case-insensitive",
    M(J(request=R(headers={"Accept": "a", "accept": "b"}))),
    ["jobs/0/request/headers/accept"],
)
invalid(
    "header-bad-one-of-several",
    M(J(request=R(headers={"X-Good": "ok", "X-Bad": "\r"}))),
    ["jobs/0/request/headers/X-Bad"],
)
invalid("body-wrong-type", M(J(request=R(body={"a": 1}))), ["jobs/0/request/body"])

invalid("policy-wrong-type", M(J(policy=[])), ["jobs/0/policy"])
invalid("concurrency-lowercase", M(J(policy={"concurrency": "forbid"})), ["jobs/0/policy/concurrency"])
invalid("concurrency-unknown", M(J(policy={"concurrency": "Queue"})), ["jobs/0/policy/concurrency"])
invalid("concurrency-explicit-empty", M(J(policy={"concurrency": ""})), ["jobs/0/policy/concurrency"])
invalid("concurrency-wrong-type", M(J(policy={"concurrency": 1})), ["jobs/0/policy/concurrency"])
invalid(
    "concurrency-scope-capitalized",
    M(J(policy={"concurrency_scope": "Host"})),
    ["jobs/0/policy/concurrency_scope"],
)
invalid(
    "concurrency-scope-explicit-empty",
    M(J(policy={"concurrency_scope": ""})),
    ["jobs/0/policy/concurrency_scope"],
)
invalid("timeout-zero", M(J(policy={"timeout_seconds": 0})), ["jobs/0/policy/timeout_seconds"])
invalid("timeout-601", M(J(policy={"timeout_seconds": 601})), ["jobs/0/policy/timeout_seconds"])
invalid("timeout-negative", M(J(policy={"timeout_seconds": -5})), ["jobs/0/policy/timeout_seconds"])
invalid("timeout-bool", M(J(policy={"timeout_seconds": True})), ["jobs/0/policy/timeout_seconds"])
invalid("timeout-string", M(J(policy={"timeout_seconds": "60"})), ["jobs/0/policy/timeout_seconds"])
invalid(
    "timeout-int64-max-out-of-range",
    M(J(policy={"timeout_seconds": 2**63 - 1})),
    ["jobs/0/policy/timeout_seconds"],
)
invalid("retries-wrong-type", M(J(policy={"retries": 3})), ["jobs/0/policy/retries"])
invalid(
    "max-attempts-zero", M(J(policy={"retries": {"max_attempts": 0}})), ["jobs/0/policy/retries/max_attempts"]
)
invalid(
    "max-attempts-11", M(J(policy={"retries": {"max_attempts": 11}})), ["jobs/0/policy/retries/max_attempts"]
)
invalid(
    "max-attempts-float",
    M(J(policy={"retries": {"max_attempts": 2.5}})),
    ["jobs/0/policy/retries/max_attempts"],
)
invalid(
    "min-seconds-negative",
    M(J(policy={"retries": {"min_seconds": -1}})),
    ["jobs/0/policy/retries/min_seconds"],
)
invalid(
    "min-seconds-bool",
    M(J(policy={"retries": {"min_seconds": False}})),
    ["jobs/0/policy/retries/min_seconds"],
)
invalid(
    "max-seconds-zero", M(J(policy={"retries": {"max_seconds": 0}})), ["jobs/0/policy/retries/max_seconds"]
)
invalid(
    "min-greater-than-max",
    M(J(policy={"retries": {"min_seconds": 10, "max_seconds": 5}})),
    ["jobs/0/policy/retries"],
)
invalid(
    "max-seconds-zero-and-min-greater",
    M(J(policy={"retries": {"min_seconds": 5, "max_seconds": 0}})),
    ["jobs/0/policy/retries/max_seconds", "jobs/0/policy/retries"],
)

invalid("auth-wrong-type", M(J(auth=[])), ["jobs/0/auth"])
valid("secret-refs-empty-list-means-none", M(J(auth={"secret_refs": []})), literal=BASE_LIT)
invalid("secret-refs-wrong-type", M(J(auth={"secret_refs": "env:X"})), ["jobs/0/auth/secret_refs"])
invalid(
    "secret-refs-9-too-big",
    M(J(auth={"secret_refs": ["env:S%d" % k for k in range(9)]})),
    ["jobs/0/auth/secret_refs"],
)
invalid(
    "secret-ref-leading-digit", M(J(auth={"secret_refs": ["env:OK", "1abc"]})), ["jobs/0/auth/secret_refs/1"]
)
invalid("secret-ref-empty", M(J(auth={"secret_refs": [""]})), ["jobs/0/auth/secret_refs/0"])
invalid("secret-ref-space", M(J(auth={"secret_refs": ["env:A B"]})), ["jobs/0/auth/secret_refs/0"])
invalid("secret-ref-trailing-newline", M(J(auth={"secret_refs": ["env:A\n"]})), ["jobs/0/auth/secret_refs/0"])
invalid("secret-ref-129-chars", M(J(auth={"secret_refs": ["a" + "b" * 128]})), ["jobs/0/auth/secret_refs/0"])
invalid("secret-ref-wrong-type", M(J(auth={"secret_refs": [1]})), ["jobs/0/auth/secret_refs/0"])
invalid("secret-ref-null-element", M(J(auth={"secret_refs": [None]})), ["jobs/0/auth/secret_refs/0"])

# D-700: the monitoring extension (grace periods for alerts and `cronix status --missed`).
valid(
    "monitoring-both-graces",
    M(J(monitoring={"run_grace_seconds": 60, "start_grace_seconds": 300})),
    literal=BASE_LIT[:-3] + ',"monitoring":{"start_grace_seconds":300,"run_grace_seconds":60}}]}',
)
valid(
    "monitoring-one-grace",
    M(J(monitoring={"run_grace_seconds": 0})),
    literal=BASE_LIT[:-3] + ',"monitoring":{"run_grace_seconds":0}}]}',
)
valid("monitoring-empty-object-is-not-written", M(J(monitoring={})), literal=BASE_LIT)
valid("monitoring-null-is-absent", M(J(monitoring=None)), literal=BASE_LIT)
valid("monitoring-grace-at-31-days", M(J(monitoring={"start_grace_seconds": 2678400})))
invalid("monitoring-wrong-type", M(J(monitoring=300)), ["jobs/0/monitoring"])
invalid("monitoring-unknown-key", M(J(monitoring={"grace": 300})), ["jobs/0/monitoring/grace"])
invalid(
    "monitoring-start-grace-zero", M(J(monitoring={"start_grace_seconds": 0})), ["jobs/0/monitoring/start_grace_seconds"]
)
invalid(
    "monitoring-run-grace-negative",
    M(J(monitoring={"run_grace_seconds": -1})),
    ["jobs/0/monitoring/run_grace_seconds"],
)
invalid(
    "monitoring-grace-over-31-days",
    M(J(monitoring={"start_grace_seconds": 2678401})),
    ["jobs/0/monitoring/start_grace_seconds"],
)
invalid(
    "monitoring-grace-string",
    M(J(monitoring={"start_grace_seconds": "300"})),
    ["jobs/0/monitoring/start_grace_seconds"],
)

invalid(
    "duplicate-job-name",
    M(
        J(name="dup", request=R(url="https://example.com/1")),
        J(name="other"),
        J(name="dup", request=R(url="https://example.com/2")),
    ),
    ["jobs/2/name"],
)
invalid(
    "duplicate-job-name-three-times",
    M(J(name="dup"), J(name="dup"), J(name="dup")),
    ["jobs/1/name", "jobs/2/name"],
)

# All issues are reported at once.
invalid(
    "many-issues-reported-at-once",
    {
        "version": 2,
        "app": "Bad_App",
        "jobs": [
            {
                "name": "Bad",
                "request": {"method": "get"},
                "policy": {
                    "concurrency": "x",
                    "concurrency_scope": "y",
                    "timeout_seconds": 0,
                    "retries": {"max_attempts": 0, "min_seconds": -1, "max_seconds": 0},
                },
                "auth": {"secret_refs": ["env:A"] * 9},
            },
            {
                "name": "ok-job",
                "schedules": ["@daily", "* * * * 7"],
                "timezone": "Mars/Base",
                "request": {"url": "ftp://example.com/", "headers": {"Bad Name": "v"}},
            },
            {
                "name": "ok-job",
                "schedule": "@every 30s",
                "request": {"url": URL_A},
                "auth": {"secret_refs": ["env:A", "-bad"]},
            },
        ],
    },
    [
        "version",
        "app",
        "jobs/0/name",
        "jobs/0",
        "jobs/0/request/url",
        "jobs/0/request/method",
        "jobs/0/policy/concurrency",
        "jobs/0/policy/concurrency_scope",
        "jobs/0/policy/timeout_seconds",
        "jobs/0/policy/retries/max_attempts",
        "jobs/0/policy/retries/min_seconds",
        "jobs/0/policy/retries/max_seconds",
        "jobs/0/auth/secret_refs",
        "jobs/1/schedules/1",
        "jobs/1/timezone",
        "jobs/1/request/url",
        "jobs/1/request/headers/Bad Name",
        "jobs/2/schedule",
        "jobs/2/auth/secret_refs/1",
        "jobs/2/name",
    ],
)
invalid("empty-job-object", M({}), ["jobs/0/name", "jobs/0", "jobs/0/request/url"])
invalid("second-job-reported-with-index", M(J(), J(name="job-b", schedule="bad")), ["jobs/1/schedule"])

# Non-object documents expressible as JSON values (decision 6).
invalid("document-array", [], [""])
invalid("document-string", "manifest", [""])
invalid("document-null", None, [""])
invalid("document-number", 1, [""])

# ==========================================================================
# 5. Schedule grammar (section 1.4), one vector per case via `schedule`.
# ==========================================================================

SCHEDULES_VALID = [
    ("descriptor-hourly", "@hourly"),
    ("descriptor-daily", "@daily"),
    ("descriptor-midnight", "@midnight"),
    ("descriptor-weekly", "@weekly"),
    ("descriptor-monthly", "@monthly"),
    ("descriptor-yearly", "@yearly"),
    ("descriptor-annually", "@annually"),
    ("every-5m", "@every 5m"),
    ("every-no-space-5m", "@every5m"),
    ("every-plus-sign", "@every +5m"),
    ("every-leading-zero", "@every 05m"),
    ("every-120s", "@every 120s"),
    ("every-60s-floor", "@every 60s"),
    ("every-uppercase-h", "@every 2H"),
    ("every-uppercase-m", "@every 5M"),
    ("every-uppercase-s-60", "@every 60S"),
    ("every-1h", "@every 1h"),
    ("every-1m", "@every 1m"),
    ("every-extra-inner-space", "@every \t 15m"),
    ("all-stars", "* * * * *"),
    ("max-values", "59 23 31 12 6"),
    ("min-values", "0 0 1 1 0"),
    ("question-mark-every-field", "? ? ? ? ?"),
    ("question-mark-dom", "0 0 ? * 1"),
    ("list-empty-element", "1,,2 * * * *"),
    ("list-leading-comma", ",5 * * * *"),
    ("list-trailing-comma", "5, * * * *"),
    ("star-hyphen-quirk", "*-5 * * * *"),
    ("star-double-hyphen-quirk", "*-1-2 * * * *"),
    ("star-hyphen-step", "*-5/2 * * * *"),
    ("question-hyphen-quirk", "?-9 * * * *"),
    ("plus-sign-number", "+5 * * * *"),
    ("leading-zeros", "05 007 01 01 00"),
    ("range", "0-59 0-23 1-31 1-12 0-6"),
    ("range-equal-ends", "5-5 * * * *"),
    ("range-step", "1-30/7 */3 1-31/2 */4 1-5/2"),
    ("single-step", "5/15 * * * *"),
    ("step-60", "*/60 * * * *"),
    ("step-larger-than-range", "0 0 1 1/100 *"),
    ("month-names", "0 0 1 jan,jul *"),
    ("month-names-range-upper", "0 0 1 JAN-Dec *"),
    ("dow-names", "0 0 * * mon"),
    ("dow-names-range", "0 9 * * MON-FRI"),
    ("dow-names-step", "0 9 * * sun-sat/2"),
    ("dow-zero-sunday", "0 0 * * 0"),
    ("dow-list", "0 0 * * 0,6"),
    ("dom-and-dow-both", "0 0 1,15 * 1-5"),
    ("dom-31-feb", "0 0 31 2 *"),
]
SCHEDULES_INVALID = [
    ("descriptor-uppercase", "@HOURLY"),
    ("descriptor-reboot", "@reboot"),
    ("descriptor-unknown", "@fortnightly"),
    ("descriptor-with-five-fields", "@foo 1 2 3 4"),
    ("descriptor-daily-with-fields", "@daily 1 2 3 4"),
    ("every-59s-below-floor", "@every 59s"),
    ("every-1s", "@every 1s"),
    ("every-compound-1h30m", "@every 1h30m"),
    ("every-fractional", "@every 1.5h"),
    ("every-zero", "@every 0m"),
    ("every-negative", "@every -5m"),
    ("every-unit-d", "@every 1d"),
    ("every-unit-ms", "@every 5ms"),
    ("every-unit-missing", "@every 5"),
    ("every-no-duration", "@every"),
    ("every-only-unit", "@every m"),
    ("every-space-before-unit", "@every 5 m"),
    ("every-unit-x", "@every 10x"),
    ("everyday", "@everyday"),
    ("every-59-uppercase-s", "@every 59S"),
    ("field-count-1", "*"),
    ("field-count-3", "not a cron"),
    ("field-count-4", "* * * *"),
    ("field-count-6-seconds", "0 * * * * *"),
    ("field-count-7-year", "0 0 0 1 1 ? 2030"),
    ("tz-prefix-6-fields", "TZ=UTC * * * * *"),
    ("cron-tz-prefix-5-fields", "CRON_TZ=UTC 0 * * *"),
    ("minute-60-above-max", "60 * * * *"),
    ("hour-24-above-max", "* 24 * * *"),
    ("dom-0-below-min", "* * 0 * *"),
    ("dom-32-above-max", "* * 32 * *"),
    ("month-0-below-min", "* * * 0 *"),
    ("month-13-above-max", "* * * 13 *"),
    ("dow-7-above-max", "0 0 * * 7"),
    ("dow-range-to-7", "0 0 * * 1-7"),
    ("range-end-above-max", "0-60 * * * *"),
    ("range-beyond-end", "5-1 * * * *"),
    ("dow-names-range-reversed", "0 0 * * fri-mon"),
    ("step-zero", "*/0 * * * *"),
    ("step-zero-on-range", "1-5/0 * * * *"),
    ("step-negative-zero", "*/-0 * * * *"),
    ("step-negative", "*/-1 * * * *"),
    ("step-empty", "*/ * * * *"),
    ("step-non-numeric", "*/x * * * *"),
    ("too-many-hyphens", "1-2-3 * * * *"),
    ("too-many-slashes", "*/2/3 * * * *"),
    ("leading-hyphen", "-1 * * * *"),
    ("trailing-hyphen", "5- * * * *"),
    ("leading-slash", "/5 * * * *"),
    ("non-numeric", "a * * * *"),
    ("month-name-in-minute", "jan * * * *"),
    ("dow-name-in-month", "* * * mon *"),
    ("month-name-in-dow", "* * * * jan"),
    ("month-name-in-dom", "* * jan * *"),
    ("dow-name-in-hour", "* mon * * *"),
    ("name-abbrev-too-long", "0 0 * * monday"),
    ("last-day-l", "0 0 L * *"),
    ("weekday-w", "0 0 15W * *"),
    ("nth-weekday-hash", "0 0 * * 1#2"),
    ("hex-number", "0x5 * * * *"),
    ("unicode-digit", "\u0665 * * * *"),
    ("underscore-number", "1_0 * * * *"),
    ("number-overflow", "99999999999999999999 * * * *"),
]

for nm, s in SCHEDULES_VALID:
    assert schedule_ok(s), nm
    valid(
        "schedule-" + nm,
        M(J(schedule=s)),
        literal=BASE_LIT.replace(
            '"schedules":["*/5 * * * *"]', '"schedules":[' + go_json_string(go_trim(s)) + "]"
        ),
    )
for nm, s in SCHEDULES_INVALID:
    assert not schedule_ok(s), nm
    invalid("schedule-invalid-" + nm, M(J(schedule=s)), ["jobs/0/schedule"])

# ==========================================================================
# 6. Byte-level inputs (inputB64): decoding rules and decisions 3, 4, 6, 11
# ==========================================================================

BASE_TXT = (
    '{"version":1,"app":"demo-app","jobs":[{"name":"job-a","schedule":"*/5 * * * *",'
    '"request":{"url":"https://example.com/cron/job-a","body":%s}%s}]}'
)


def base_bytes(body_json=b'""', policy_json=b""):
    txt = BASE_TXT.encode("ascii") % (body_json, policy_json)
    return txt


assert json.loads(base_bytes()) == M(J(request=R(body="")))

valid_bytes("bytes-baseline", base_bytes(), BASE_LIT)
valid_bytes("bytes-surrounding-json-whitespace", b" \t\r\n" + base_bytes() + b"\n\t \r\n", BASE_LIT)
valid_bytes("bytes-pretty-printed", json.dumps(json.loads(base_bytes()), indent=4).encode(), BASE_LIT)
valid_bytes(
    "bytes-escaped-ascii-and-solidus", base_bytes(b'"\\u0041\\/\\u003c"'), base_lit_body('"A/\\u003c"')
)
valid_bytes("bytes-escaped-surrogate-pair", base_bytes(b'"\\ud83d\\ude00"'), base_lit_body('"\U0001f600"'))
valid_bytes("bytes-lone-high-surrogate-replaced", base_bytes(b'"a\\ud800b"'), base_lit_body('"a\ufffdb"'))
valid_bytes("bytes-lone-low-surrogate-replaced", base_bytes(b'"\\udc00x"'), base_lit_body('"\ufffdx"'))
valid_bytes("bytes-high-surrogate-then-non-low", base_bytes(b'"\\ud800\\u0041"'), base_lit_body('"\ufffdA"'))
valid_bytes(
    "bytes-raw-utf8-body",
    base_bytes('"caf\u00e9 \U0001f600"'.encode("utf-8")),
    base_lit_body('"caf\u00e9 \U0001f600"'),
)
valid_bytes(
    "bytes-int64-max-min-seconds",
    base_bytes(b'""', b',"policy":{"retries":{"min_seconds":9223372036854775807}}'),
    BASE_LIT.replace('"min_seconds":1', '"min_seconds":9223372036854775807'),
)

invalid_bytes("bytes-empty-input", b"", [""])
invalid_bytes("bytes-whitespace-only", b" \n\t ", [""])
invalid_bytes("bytes-utf8-bom", b"\xef\xbb\xbf" + base_bytes(), [""])
invalid_bytes("bytes-trailing-garbage", base_bytes() + b"x", [""])
invalid_bytes("bytes-trailing-second-document", base_bytes() + b"\n{}", [""])
invalid_bytes("bytes-trailing-form-feed", base_bytes() + b"\x0c", [""])
invalid_bytes("bytes-trailing-nul", base_bytes() + b"\x00", [""])
invalid_bytes("bytes-trailing-nbsp", base_bytes() + "\u00a0".encode("utf-8"), [""])
invalid_bytes("bytes-invalid-utf8-in-string", base_bytes(b'"a\xffb"'), [""])
invalid_bytes("bytes-invalid-utf8-encoded-surrogate", base_bytes(b'"\xed\xa0\x80"'), [""])
invalid_bytes("bytes-invalid-utf8-overlong", base_bytes(b'"\xc0\xaf"'), [""])
invalid_bytes("bytes-invalid-utf8-truncated-sequence", base_bytes(b'"\xe2\x82"'), [""])
invalid_bytes("bytes-raw-newline-in-string", base_bytes(b'"a\nb"'), [""])
invalid_bytes("bytes-invalid-escape", base_bytes(b'"\\x41"'), [""])
invalid_bytes("bytes-trailing-comma-in-object", base_bytes()[:-3] + b",}]}", [""])
invalid_bytes("bytes-truncated-document", base_bytes()[:-2], [""])
invalid_bytes("bytes-nan", base_bytes(b'""', b',"policy":{"timeout_seconds":NaN}'), [""])
invalid_bytes("bytes-infinity", base_bytes(b'""', b',"policy":{"timeout_seconds":Infinity}'), [""])
invalid_bytes("bytes-negative-infinity", base_bytes(b'""', b',"policy":{"timeout_seconds":-Infinity}'), [""])
invalid_bytes("bytes-single-quotes", b"{'version':1}", [""])
# Deeper than any recursive decoder allows: one root issue, never a crash.
invalid_bytes("bytes-deeply-nested-array", b"[" * 20000 + b"]" * 20000, [""])

# Duplicate keys (decision 3).
invalid_bytes(
    "bytes-duplicate-top-level-key",
    base_bytes().replace(b'{"version":1,', b'{"version":1,"version":1,', 1),
    ["version"],
)
invalid_bytes(
    "bytes-duplicate-job-key",
    base_bytes().replace(b'"name":"job-a",', b'"name":"job-a","name":"job-b",', 1),
    ["jobs/0/name"],
)
invalid_bytes(
    "bytes-duplicate-schedule-key",
    base_bytes().replace(b'"schedule":"*/5 * * * *",', b'"schedule":"@daily","schedule":"@daily",', 1),
    ["jobs/0/schedule"],
)
invalid_bytes(
    "bytes-duplicate-header-key",
    base_bytes(b'""', b',"policy":{}').replace(b'"body":""', b'"headers":{"X-A":"1","X-A":"2"}', 1),
    ["jobs/0/request/headers/X-A"],
)
invalid_bytes(
    "bytes-duplicate-retries-key",
    base_bytes(b'""', b',"policy":{"retries":{"max_attempts":2,"max_attempts":2}}'),
    ["jobs/0/policy/retries/max_attempts"],
)

# Number forms (decision 4).
invalid_bytes("bytes-version-1-0", base_bytes().replace(b'"version":1', b'"version":1.0', 1), ["version"])
invalid_bytes(
    "bytes-timeout-exponent",
    base_bytes(b'""', b',"policy":{"timeout_seconds":1e2}'),
    ["jobs/0/policy/timeout_seconds"],
)
invalid_bytes(
    "bytes-timeout-exponent-uppercase",
    base_bytes(b'""', b',"policy":{"timeout_seconds":6E1}'),
    ["jobs/0/policy/timeout_seconds"],
)
invalid_bytes(  # was the plain vector timeout-float-1-0, which a JavaScript runner reads as 1
    "bytes-timeout-float-1-0",
    base_bytes(b'""', b',"policy":{"timeout_seconds":1.0}'),
    ["jobs/0/policy/timeout_seconds"],
)
invalid_bytes(
    "bytes-timeout-float-trailing-zero",
    base_bytes(b'""', b',"policy":{"timeout_seconds":60.0}'),
    ["jobs/0/policy/timeout_seconds"],
)
invalid_bytes(
    "bytes-timeout-int64-overflow",
    base_bytes(b'""', b',"policy":{"timeout_seconds":9223372036854775808}'),
    ["jobs/0/policy/timeout_seconds"],
)
invalid_bytes(
    "bytes-timeout-int64-underflow",
    base_bytes(b'""', b',"policy":{"timeout_seconds":-9223372036854775809}'),
    ["jobs/0/policy/timeout_seconds"],
)
invalid_bytes(
    "bytes-min-seconds-huge",
    base_bytes(b'""', b',"policy":{"retries":{"min_seconds":1' + b"0" * 30 + b"}}"),
    ["jobs/0/policy/retries/min_seconds"],
)
invalid_bytes(
    "bytes-timeout-negative-zero",
    base_bytes(b'""', b',"policy":{"timeout_seconds":-0}'),
    ["jobs/0/policy/timeout_seconds"],
)

# Sanity: every inputB64 document that is valid JSON per Python agrees with the
# literal for its valid twin (guards the hand-made byte edits above).
for v in VECTORS:
    if "inputB64" in v and v["valid"] and "surrogate" not in v["name"]:
        raw = base64.b64decode(v["inputB64"])
        assert canonical(json.loads(raw.decode("utf-8"))) == v["expected"], v["name"]


def main():
    doc = {
        "$comment": (
            "Manifest conformance vectors for cronix (Python), generated by "
            "spec/vectors/generate_manifest_vectors.py - do not edit by hand. "
            "Each vector has `input` (a JSON value) or `inputB64` (standard base64 of the exact "
            "input bytes; cronix extension for byte-level cases). valid=true: the canonical "
            "output must equal `expected` byte-for-byte. valid=false: the adapter's reported "
            "paths must contain at least one `errorPaths` entry exactly (all entries are the "
            'issues expected in one report; "" is the root). See spec/vectors/README.md.'
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
    n_valid = sum(1 for v in VECTORS if v["valid"])
    print(
        "wrote %s: %d vectors (%d valid, %d invalid, %d inputB64), %d bytes"
        % (
            OUT,
            len(VECTORS),
            n_valid,
            len(VECTORS) - n_valid,
            sum(1 for v in VECTORS if "inputB64" in v),
            len(text),
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
