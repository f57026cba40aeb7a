#!/usr/bin/env python3
"""Checks a service implementing the W3C Trace Context test-harness contract.

    python3 w3c_harness_check.py http://127.0.0.1:PORT/test

The service must answer POST /test whose body is a JSON array of {"url", "arguments"} by
POSTing `arguments` to each `url` with `traceparent`/`tracestate` injected. This script
plays the harness's part (written for this project, standard library only): it listens on
127.0.0.1 for those callbacks, sends the cases of the Trace Context specification's test
suite (traceparent and tracestate, valid and malformed) and checks the headers each
callback carries. It ends with the line "N passed, M failed" and exits 1 on any failure.
"""

import http.client
import http.server
import json
import re
import sys
import threading
import urllib.parse

TRACE = "12345678901234567890123456789012"
PARENT = "1234567890123456"
TP = f"00-{TRACE}-{PARENT}-01"
TP00 = f"00-{TRACE}-{PARENT}-00"
FORMAT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class Callbacks(http.server.BaseHTTPRequestHandler):
    received = {}
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with self.lock:
            Callbacks.received[self.path] = list(self.headers.items())
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def call(service, harness_port, headers, count=1):
    """Sends one harness request; returns the callbacks' header lists."""
    with Callbacks.lock:
        Callbacks.received.clear()
    body = json.dumps(
        [{"url": f"http://127.0.0.1:{harness_port}/{i}", "arguments": []} for i in range(count)]
    ).encode()
    url = urllib.parse.urlsplit(service)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("POST", url.path or "/")
    for name, value in headers:  # repeated names are sent as separate fields
        conn.putheader(name, value)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    status = conn.getresponse().status
    conn.close()
    assert status == 200, f"service answered {status}"
    with Callbacks.lock:
        got = dict(Callbacks.received)
    missing = [i for i in range(count) if f"/{i}" not in got]
    assert not missing, f"no callback for {missing}"
    return [got[f"/{i}"] for i in range(count)]


def context(headers):
    """(trace id, parent id, flags, tracestate dict, tracestate list) of one callback."""
    parents = [v for k, v in headers if k.lower() == "traceparent"]
    assert len(parents) == 1, f"expected one traceparent, got {parents}"
    m = FORMAT.match(parents[0])
    assert m, f"malformed traceparent {parents[0]!r}"
    assert m.group(1) == "00", f"version {m.group(1)} sent"
    assert m.group(2) != "0" * 32 and m.group(3) != "0" * 16, "all-zero id sent"
    members = []
    for k, v in headers:
        if k.lower() == "tracestate":
            members += [p.strip() for p in v.split(",") if p.strip()]
    state = dict(p.split("=", 1) for p in members)
    return m.group(2), m.group(3), m.group(4), state, members


def cases():
    """(name, headers, check(trace, parent, flags, state, members))."""
    same = lambda t, *_: t == TRACE  # noqa: E731
    new = lambda t, *_: t != TRACE  # noqa: E731

    def keeps(**kv):
        return lambda t, p, f, s, m: t == TRACE and all(s.get(k) == v for k, v in kv.items())

    def drops(*keys):
        return lambda t, p, f, s, m: t == TRACE and all(k not in s for k in keys)

    yield "no headers", [], lambda *_: True
    yield "valid traceparent", [("traceparent", TP)], lambda t, p, *_: t == TRACE and p != PARENT
    yield "duplicated traceparent", [
        ("traceparent", f"00-{TRACE[:-1]}1-{PARENT}-01"),
        ("traceparent", TP),
    ], lambda t, *_: t not in (TRACE, TRACE[:-1] + "1")
    for name in ("trace-parent", "trace.parent"):
        yield f"wrong name {name}", [(name, TP)], new
    for name in ("TraceParent", "TrAcEpArEnT", "TRACEPARENT"):
        yield f"name casing {name}", [(name, TP)], same
    for value in (f"{TP}.", f"{TP}-what-the-future-will-be-like"):
        yield f"version 00 trailing {value[55:]!r}", [("traceparent", value)], new
    yield "version cc", [("traceparent", f"cc-{TRACE}-{PARENT}-01")], same
    yield "version cc with future fields", [
        ("traceparent", f"cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like")
    ], same
    yield "version cc without dash", [
        ("traceparent", f"cc-{TRACE}-{PARENT}-01.what-the-future-will-be-like")
    ], new
    bad = [
        f"ff-{TRACE}-{PARENT}-01",
        f".0-{TRACE}-{PARENT}-01",
        f"0.-{TRACE}-{PARENT}-01",
        f"000-{TRACE}-{PARENT}-01",
        f"0000-{TRACE}-{PARENT}-01",
        f"0-{TRACE}-{PARENT}-01",
        f"00-{'0' * 32}-{PARENT}-01",
        f"00-.{TRACE[1:]}-{PARENT}-01",
        f"00-{TRACE[:-1]}.-{PARENT}-01",
        f"00-{TRACE.upper().replace('1', 'A')}-{PARENT}-01",
        f"00-{TRACE}3-{PARENT}-01",
        f"00-{TRACE[:-1]}-{PARENT}-01",
        f"00-{TRACE}-{'0' * 16}-01",
        f"00-{TRACE}-.{PARENT[1:]}-01",
        f"00-{TRACE}-{PARENT[:-1]}.-01",
        f"00-{TRACE}-{PARENT}7-01",
        f"00-{TRACE}-{PARENT[:-1]}-01",
        f"00-{TRACE}-{PARENT}-.0",
        f"00-{TRACE}-{PARENT}-0.",
        f"00-{TRACE}-{PARENT}-001",
        f"00-{TRACE}-{PARENT}-1",
    ]
    for value in bad:
        yield f"invalid {value!r}", [("traceparent", value)], new
    for value in (f" {TP}", f"\t{TP}", f"{TP} ", f"{TP}\t", f"\t {TP} \t"):
        yield f"OWS {value!r}", [("traceparent", value)], same
    yield "tracestate without traceparent", [("tracestate", "foo=1")], lambda t, p, f, s, m: "foo" not in s
    yield "tracestate inherited", [("traceparent", TP00), ("tracestate", "foo=1,bar=2")], keeps(foo="1", bar="2")
    for name in ("trace-state", "trace.state"):
        yield f"tracestate wrong name {name}", [("traceparent", TP00), (name, "foo=1")], drops("foo")
    for name in ("TraceState", "TrAcEsTaTe", "TRACESTATE"):
        yield f"tracestate casing {name}", [("traceparent", TP00), (name, "foo=1")], keeps(foo="1")
    yield "tracestate empty", [("traceparent", TP00), ("tracestate", "")], same
    yield "tracestate empty then value", [
        ("traceparent", TP00), ("tracestate", ""), ("tracestate", "foo=1")
    ], keeps(foo="1")
    yield "tracestate value then empty", [
        ("traceparent", TP00), ("tracestate", "foo=1"), ("tracestate", "")
    ], keeps(foo="1")
    order = ["foo=1", "bar=2", "rojo=1", "congo=2", "baz=3"]
    yield "tracestate multiple fields keep order", [
        ("traceparent", TP00), ("tracestate", "foo=1,bar=2"), ("tracestate", "rojo=1,congo=2"),
        ("tracestate", "baz=3"),
    ], lambda t, p, f, s, m: [x for x in m if x in order] == order
    # Trace Context, 2026 revision: a repeated key keeps one member (the first), the header
    # is not dropped.
    for fields in (["foo=1,foo=1"], ["foo=1,foo=2"], ["foo=1", "foo=1"], ["foo=1", "foo=2"]):
        yield f"tracestate duplicated keys {fields}", [("traceparent", TP00)] + [
            ("tracestate", v) for v in fields
        ], lambda t, p, f, s, m: s.get("foo") == "1" and sum(1 for x in m if x.startswith("foo=")) == 1
    key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
    value = "".join(map(chr, list(range(0x20, 0x2C)) + list(range(0x2D, 0x3D)) + list(range(0x3E, 0x7F))))
    yield "tracestate all characters", [("traceparent", TP00), ("tracestate", f"{key}={value}")], \
        lambda t, p, f, s, m: s.get(key) == value
    vkey = key + "@a-z0-9_-*/"
    yield "tracestate all characters, vendor key", [("traceparent", TP00), ("tracestate", f"{vkey}={value}")], \
        lambda t, p, f, s, m: s.get(vkey) == value
    for ows in ("foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"):
        yield f"tracestate OWS {ows!r}", [("traceparent", TP00), ("tracestate", ows)], keeps(foo="1", bar="2", baz="3")
    for ows in (" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"):
        yield f"tracestate OWS {ows!r}", [("traceparent", TP00), ("tracestate", ows)], keeps(foo="1")
    for bad_key in ("foo =1", "FOO=1", "foo.bar=1"):
        yield f"tracestate illegal key {bad_key!r}", [("traceparent", TP00), ("tracestate", bad_key)], \
            lambda t, p, f, s, m, k=bad_key.split("=")[0]: t == TRACE and k not in s
    # The 2026 key grammar: `@` is a key character anywhere but first.
    for vendor in ("foo@=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2"):
        yield f"tracestate key with @ {vendor!r}", [("traceparent", TP00), ("tracestate", vendor)], keeps(bar="2")
    yield "tracestate illegal key '@foo'", [("traceparent", TP00), ("tracestate", "@foo=1,bar=2")], drops("bar")
    members = [f"bar{i:02d}={i:02d}" for i in range(1, 34)]
    fields = [members[0:10], members[10:20], members[20:30]]
    yield "tracestate 32 members", [("traceparent", TP00)] + [
        ("tracestate", ",".join(f)) for f in fields + [members[30:32]]
    ], lambda t, p, f, s, m: s.get("bar01") == "01" and len(s) == 32
    yield "tracestate 33 members", [("traceparent", TP00)] + [
        ("tracestate", ",".join(f)) for f in fields + [members[30:33]]
    ], drops("bar01")
    for extra, ok in (
        ("z" * 256 + "=1", True),
        ("z" * 257 + "=1", False),
        ("t" * 241 + "@" + "v" * 14 + "=1", True),
        ("t" * 242 + "@v=1", True),
        ("t@" + "v" * 15 + "=1", True),
        ("t" * 241 + "@" + "v" * 15 + "=1", False),
    ):
        yield f"tracestate key length {len(extra) - 2}", [
            ("traceparent", TP00), ("tracestate", "foo=1"), ("tracestate", extra)
        ], keeps(foo="1") if ok else drops("foo")
    yield "tracestate value 'bar=baz'", [("traceparent", TP00), ("tracestate", "foo=bar=baz")], drops("foo")
    yield "tracestate empty value", [("traceparent", TP00), ("tracestate", "foo=,bar=3")], drops("foo", "bar")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    service = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callbacks)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    passed = failed = 0

    def record(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name} {detail}")

    for name, headers, check in cases():
        try:
            (got,) = call(service, port, headers)
            ctx = context(got)
            record(name, check(*ctx), f"got traceparent ...{ctx[0]}-{ctx[1]}-{ctx[2]} tracestate {ctx[4]}")
        except (AssertionError, OSError, ValueError) as e:
            record(name, False, str(e))

    for name, headers, same_trace in (
        ("three callbacks, valid traceparent", [("traceparent", TP)], True),
        ("three callbacks, no traceparent", [], False),
        ("three callbacks, invalid traceparent", [("traceparent", f"00-{'0' * 32}-{PARENT}-01")], False),
    ):
        try:
            ctxs = [context(h) for h in call(service, port, headers, count=3)]
            traces = {c[0] for c in ctxs}
            parents = {c[1] for c in ctxs}
            ok = len(parents) == 3 and len(traces) == 1 and ((TRACE in traces) == same_trace)
            record(name, ok, f"traces {traces} parents {parents}")
        except (AssertionError, OSError, ValueError) as e:
            record(name, False, str(e))

    server.shutdown()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
