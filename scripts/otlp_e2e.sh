#!/usr/bin/env bash
# End-to-end OTLP check of trace-exporters against real receivers, all on 127.0.0.1.
#
# 1. Installs the rotel OpenTelemetry collector (Rust) from its PyPI wheel into a cache dir
#    ($TRACED_CACHE, default ~/.cache/traced) and starts it with a detailed debug log.
# 2. Runs `examples/otlp_export` (configured only through OTEL_* variables) with
#    http/protobuf, http/json and grpc (to rotel's OTLP/gRPC receiver), gzip off and on, and
#    checks rotel's log: no rejected request, and each run's trace with every span, kind,
#    status, attribute type, event and link the example emits.
# 3. When ../shared/conformance exists beside the repository, runs the example the same six
#    ways against its strict receiver (otlp_sink.py, built on the official Python OTLP
#    messages, with --grpc-port) and checks every request was accepted and every span
#    decoded as expected.
# 4. examples/grpc_services: the two-service demo, then a Greeter server (--port) and a
#    client (--call), two processes, both exporting over OTLP/gRPC to the strict receiver
#    (gzip): one trace across them, client span -> server span -> handler span.
#
# Usage: scripts/otlp_e2e.sh            (exit 0 when every check passed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TRACED_CACHE:-$HOME/.cache/traced}"
ROTEL_VERSION="0.0.1a15"
ROTEL_DIR="$CACHE/rotel-$ROTEL_VERSION"
ROTEL_BIN="$ROTEL_DIR/rotel/rotel-agent"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/otlp-e2e.XXXXXX")"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf 'otlp_e2e: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port, name
  for _ in $(seq 1 100); do
    if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  fail "$2 did not start listening on 127.0.0.1:$1"
}

# --- rotel, from PyPI --------------------------------------------------------------------
if [ ! -x "$ROTEL_BIN" ]; then
  say "installing rotel $ROTEL_VERSION into $ROTEL_DIR"
  mkdir -p "$CACHE"
  rm -rf "$CACHE/rotel-dl" "$ROTEL_DIR.tmp"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$CACHE/rotel-dl" "rotel==$ROTEL_VERSION"
  python3 -m zipfile -e "$CACHE"/rotel-dl/rotel-*.whl "$ROTEL_DIR.tmp"
  chmod +x "$ROTEL_DIR.tmp/rotel/rotel-agent"
  rm -rf "$ROTEL_DIR" "$CACHE/rotel-dl"
  mv "$ROTEL_DIR.tmp" "$ROTEL_DIR"
fi
"$ROTEL_BIN" --version >&2

# --- the example ---------------------------------------------------------------------------
say "building examples/otlp_export"
(cd "$ROOT" && cargo build -q -p examples --example otlp_export --example grpc_services)
EXAMPLE="$(cd "$ROOT" && cargo metadata -q --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/examples/otlp_export"
[ -x "$EXAMPLE" ] || fail "example binary not found at $EXAMPLE"
GRPC_SERVICES="$(dirname "$EXAMPLE")/grpc_services"

COMBOS=("http/protobuf none" "http/protobuf gzip" "http/json none" "http/json gzip"
  "grpc none" "grpc gzip")

# run_example HTTP_BASE_URL GRPC_URL LABEL -> appends "trace_id protocol compression" to
# $WORK/LABEL.runs
run_example() {
  local http_base="$1" grpc_url="$2" label="$3" protocol compression tid base
  for combo in "${COMBOS[@]}"; do
    read -r protocol compression <<<"$combo"
    base="$http_base"
    [ "$protocol" = grpc ] && base="$grpc_url"
    if ! tid="$(OTEL_SERVICE_NAME="otlp-e2e" \
      OTEL_RESOURCE_ATTRIBUTES="deployment.environment=e2e,e2e.combo=${protocol}%2C${compression}" \
      OTEL_EXPORTER_OTLP_ENDPOINT="$base" \
      OTEL_EXPORTER_OTLP_PROTOCOL="$protocol" \
      OTEL_EXPORTER_OTLP_COMPRESSION="$compression" \
      OTEL_EXPORTER_OTLP_TIMEOUT=5000 \
      "$EXAMPLE")"; then
      fail "example failed against $label with $protocol/$compression"
    fi
    [[ "$tid" =~ ^[0-9a-f]{32}$ ]] || fail "example printed '$tid', not a trace id"
    say "$label: $protocol/$compression -> trace $tid"
    echo "$tid $protocol $compression" >>"$WORK/$label.runs"
  done
}

# The expectations both judges share, over spans as JSON objects with the field names of
# otlp_sink.py (rotel's log is converted to the same shape).
cat >"$WORK/check.py" <<'PY'
import json, sys

def check(spans, runs, judge):
    problems = []
    by_trace = {}
    for s in spans:
        by_trace.setdefault(s["trace_id"], []).append(s)
    for tid, protocol, compression in runs:
        where = "%s %s/%s trace %s" % (judge, protocol, compression, tid)
        mine = {s["name"]: s for s in by_trace.get(tid, [])}
        parent, fetch = mine.get("otlp_export.parent"), mine.get("otlp_export.fetch")
        if parent is None or fetch is None:
            problems.append("%s: spans missing (got %s)" % (where, sorted(mine)))
            continue
        if parent["kind_name"] != "SPAN_KIND_SERVER" or fetch["kind_name"] != "SPAN_KIND_CLIENT":
            problems.append("%s: kinds %s/%s" % (where, parent["kind_name"], fetch["kind_name"]))
        if parent["parent_span_id"] != "":
            problems.append("%s: parent span has a parent" % where)
        if fetch["parent_span_id"] != parent["span_id"]:
            problems.append("%s: fetch is not a child of parent" % where)
        if fetch["status"]["code_name"] != "STATUS_CODE_ERROR" or \
           fetch["status"]["message"] != "upstream answered 503 Service Unavailable":
            problems.append("%s: fetch status %s" % (where, fetch["status"]))
        if fetch["attributes"].get("error.type") != "otlp_export::UpstreamUnavailable" or \
           fetch["attributes"].get("item_id") != 7:
            problems.append("%s: fetch attributes %s" % (where, fetch["attributes"]))
        want = {"example.bool": True, "example.int": -42, "example.double": 2.5,
                "example.string": 'héllo "otlp"'}
        for k, v in want.items():
            got = parent["attributes"].get(k)
            if got != v or type(got) is not type(v):
                problems.append("%s: attribute %s = %r, want %r" % (where, k, got, v))
        arrays = {"example.bool_array": [True, False], "example.int_array": [1, 2, 3],
                  "example.double_array": [0.5, -1.25], "example.string_array": ["a", "b"]}
        for k, v in arrays.items():
            got = parent["attributes"].get(k)
            if got != v and got != judge_array(v):
                problems.append("%s: attribute %s = %r, want %r" % (where, k, got, v))
        events = [e["name"] for e in parent["events"]]
        if events != ["cache.miss"]:
            problems.append("%s: events %s" % (where, events))
        links = parent["links"]
        if len(links) != 1 or links[0]["trace_id"] == tid or len(links[0]["trace_id"]) != 32:
            problems.append("%s: links %s" % (where, links))
        res = parent["resource_attributes"]
        if res.get("service.name") != "otlp-e2e" or res.get("telemetry.sdk.language") != "rust" \
           or res.get("e2e.combo") != "%s,%s" % (protocol, compression):
            problems.append("%s: resource %s" % (where, res))
        if not (0 < int(parent["start_time_unix_nano"]) <= int(fetch["start_time_unix_nano"])
                <= int(fetch["end_time_unix_nano"]) <= int(parent["end_time_unix_nano"])):
            problems.append("%s: times out of order" % where)
        for s in (parent, fetch):
            if s.get("warnings"):
                problems.append("%s: %s warnings %s" % (where, s["name"], s["warnings"]))
    return problems

def judge_array(v):
    # rotel's debug log prints arrays as Slice(Bool(true), Int(1), ...)
    def one(x):
        if isinstance(x, bool):
            return "Bool(%s)" % ("true" if x else "false")
        if isinstance(x, int):
            return "Int(%d)" % x
        if isinstance(x, float):
            return "Double(%s)" % x
        return "Str(%s)" % x
    return "Slice(%s)" % ", ".join(one(x) for x in v)

if __name__ == "__main__":
    spans_file, runs_file, judge = sys.argv[1:4]
    spans = [json.loads(l) for l in open(spans_file, encoding="utf-8") if l.strip()]
    runs = [l.split() for l in open(runs_file) if l.strip()]
    problems = check(spans, runs, judge)
    for p in problems:
        print("otlp_e2e: " + p, file=sys.stderr)
    print("otlp_e2e: %s: %d runs, %d spans checked, %d problems" % (judge, len(runs), len(spans), len(problems)),
          file=sys.stderr)
    sys.exit(1 if problems else 0)
PY

# Converts rotel's detailed debug log to one JSON object per span (otlp_sink.py's field
# names); exits 1 when rotel logged an ERROR (a rejected request).
cat >"$WORK/rotel_log.py" <<'PY'
import json, re, sys
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOG = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s+(TRACE|DEBUG|INFO|WARN|ERROR)\b")
FIELD = re.compile(r"^ {4}(Trace ID|Parent ID|ID|Name|Kind|Status code|Status message)\s*: ?(.*)$")
ARROW = re.compile(r"^(\s+)-> (.*?): ?(.*)$")

def value(v):
    m = re.fullmatch(r"(Str|Int|Bool|Double)\((.*)\)", v, re.S)
    if not m:
        return v
    t, x = m.groups()
    try:
        return {"Str": str, "Int": int, "Double": float, "Bool": lambda s: s == "true"}[t](x)
    except ValueError:
        return v

spans, errors, res, span, target, section = [], 0, {}, None, None, None
for raw in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = ANSI.sub("", raw.rstrip("\n"))
    m = LOG.match(line)
    if m:
        if m.group(1) == "ERROR" or "Failed to decode" in line:
            errors += 1
            print("rotel: " + line, file=sys.stderr)
        target = None
        continue
    if line.startswith("ResourceSpans #"):
        res, target, section = {}, None, "resource"
    elif line == "Resource attributes:":
        target = res
    elif line.startswith(("ScopeSpans", "InstrumentationScope", "Resource SchemaURL")):
        target = None
    elif line.startswith("Span #"):
        span = {"trace_id": "", "span_id": "", "parent_span_id": "", "name": "", "kind_name": "",
                "start_time_unix_nano": 0, "end_time_unix_nano": 0,
                "status": {"code_name": "STATUS_CODE_UNSET", "message": ""},
                "attributes": {}, "events": [], "links": [], "resource_attributes": res}
        spans.append(span)
        target, section = None, "span"
    elif span is not None and FIELD.match(line):
        k, v = FIELD.match(line).groups()
        key = {"Trace ID": "trace_id", "Parent ID": "parent_span_id", "ID": "span_id",
               "Name": "name", "Kind": "kind_name"}.get(k)
        if key:
            span[key] = v if key == "name" else v.strip()
        elif k == "Status code":
            span["status"]["code_name"] = v.strip()
        else:
            span["status"]["message"] = v
    elif span is not None and line.startswith(("Start time:", "End time:")):
        k, v = line.split(":", 1)
        span["start_time_unix_nano" if k == "Start time" else "end_time_unix_nano"] = int(v.strip())
    elif span is not None and line == "Attributes:":
        target, section = span["attributes"], "attrs"
    elif span is not None and line == "Events:":
        section, target = "events", None
    elif span is not None and line == "Links:":
        section, target = "links", None
    elif span is not None and line.startswith("SpanEvent #"):
        span["events"].append({"name": "", "attributes": {}})
        target = None
    elif span is not None and line.startswith("SpanLink #"):
        span["links"].append({"trace_id": "", "span_id": "", "attributes": {}})
        target = None
    else:
        m = ARROW.match(line)
        if not m:
            continue
        indent, k, v = m.groups()
        if section == "events" and span["events"]:
            ev = span["events"][-1]
            if len(indent) > 5:
                ev["attributes"][k] = value(v)
            elif k == "Name":
                ev["name"] = v
        elif section == "links" and span["links"]:
            ln = span["links"][-1]
            if k == "Trace ID":
                ln["trace_id"] = v.strip()
            elif k == "ID":
                ln["span_id"] = v.strip()
        elif target is not None:
            target[k] = value(v)
for s in spans:
    print(json.dumps(s))
sys.exit(1 if errors else 0)
PY

# --- 1. rotel -----------------------------------------------------------------------------
HTTP_PORT="$(free_port)"
GRPC_PORT="$(free_port)"
say "starting rotel on 127.0.0.1:$HTTP_PORT (OTLP/gRPC on $GRPC_PORT)"
NO_COLOR=1 "$ROTEL_BIN" start --otlp-http-endpoint "127.0.0.1:$HTTP_PORT" \
  --otlp-grpc-endpoint "127.0.0.1:$GRPC_PORT" --exporter blackhole \
  --debug-log traces --debug-log-verbosity detailed >"$WORK/rotel.log" 2>&1 &
ROTEL_PID=$!
PIDS+=("$ROTEL_PID")
wait_port "$HTTP_PORT" rotel
wait_port "$GRPC_PORT" "rotel (gRPC)"
run_example "http://127.0.0.1:$HTTP_PORT" "http://127.0.0.1:$GRPC_PORT" rotel
sleep 1 # rotel logs asynchronously
kill "$ROTEL_PID" 2>/dev/null || true
wait "$ROTEL_PID" 2>/dev/null || true
if ! python3 "$WORK/rotel_log.py" "$WORK/rotel.log" >"$WORK/rotel.jsonl"; then
  fail "rotel rejected a request (log above)"
fi
python3 "$WORK/check.py" "$WORK/rotel.jsonl" "$WORK/rotel.runs" rotel ||
  fail "rotel's log does not hold the expected spans"

# --- 2. the strict receiver from ../shared/conformance ------------------------------------
CONFORMANCE="$ROOT/../shared/conformance"
if [ -d "$CONFORMANCE" ]; then
  say "setting up the strict receiver from $CONFORMANCE"
  eval "$("$CONFORMANCE/setup.sh" | tail -2)"
  SINK_PORT="$(free_port)"
  SINK_GRPC_PORT="$(free_port)"
  "$KIT_PYTHON" "$CONFORMANCE/otlp_sink.py" --port "$SINK_PORT" --grpc-port "$SINK_GRPC_PORT" \
    --out "$WORK/sink.jsonl" --requests "$WORK/requests.jsonl" --quiet >"$WORK/sink.log" 2>&1 &
  PIDS+=("$!")
  wait_port "$SINK_PORT" otlp_sink.py
  wait_port "$SINK_GRPC_PORT" "otlp_sink.py (gRPC)"
  run_example "http://127.0.0.1:$SINK_PORT" "http://127.0.0.1:$SINK_GRPC_PORT" sink
  python3 - "$WORK/requests.jsonl" <<'PY' || fail "the strict receiver rejected a request"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [r for r in reqs if r["status"] != 200]
for r in bad:
    print("otlp_e2e: sink answered %s to %s/%s: %s" % (r["status"], r["encoding"], r["content_encoding"],
          r.get("error")), file=sys.stderr)
# gRPC's own grpc-encoding never reaches the servicer's metadata: the sink records every
# gRPC request as "identity" (the tonic tests check the header; rotel decodes gzip above).
seen = {(r["encoding"], r["content_encoding"]) for r in reqs}
want = {("protobuf", "identity"), ("protobuf", "gzip"), ("json", "identity"), ("json", "gzip"),
        ("grpc", "identity")}
grpc = sum(1 for r in reqs if r["encoding"] == "grpc")
if seen != want or grpc != 2:
    print("otlp_e2e: sink saw %s (%d over gRPC), want %s (2 over gRPC)" % (sorted(seen), grpc, sorted(want)),
          file=sys.stderr)
sys.exit(1 if bad or seen != want or grpc != 2 else 0)
PY
  python3 "$WORK/check.py" "$WORK/sink.jsonl" "$WORK/sink.runs" otlp_sink ||
    fail "the strict receiver does not hold the expected spans"

  # --- 4. grpc_services: two processes, one trace, exported over OTLP/gRPC ---------------
  say "grpc_services: the two-service demo"
  "$GRPC_SERVICES" >"$WORK/grpc_demo.out" || { cat "$WORK/grpc_demo.out" >&2; fail "the grpc_services demo failed"; }
  cat "$WORK/grpc_demo.out" >&2
  GREETER_PORT="$(free_port)"
  export OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_GRPC_PORT" OTEL_BSP_SCHEDULE_DELAY=100
  OTEL_SERVICE_NAME=greeter "$GRPC_SERVICES" --port "$GREETER_PORT" >"$WORK/greeter.log" 2>&1 &
  GREETER_PID=$!
  PIDS+=("$GREETER_PID")
  wait_port "$GREETER_PORT" "grpc_services --port"
  reply="$(OTEL_SERVICE_NAME=greeter-client "$GRPC_SERVICES" --call "http://127.0.0.1:$GREETER_PORT" --name e2e)" ||
    fail "grpc_services --call failed"
  [ "$reply" = "Hello e2e!" ] || fail "grpc_services --call printed '$reply'"
  kill -INT "$GREETER_PID"
  wait "$GREETER_PID" || fail "the Greeter server did not stop cleanly ($(cat "$WORK/greeter.log"))"
  unset OTEL_EXPORTER_OTLP_PROTOCOL OTEL_EXPORTER_OTLP_COMPRESSION OTEL_EXPORTER_OTLP_ENDPOINT \
    OTEL_BSP_SCHEDULE_DELAY
  python3 - "$WORK/sink.jsonl" <<'PY' || fail "the Greeter's trace is not in the strict receiver"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
name = "helloworld.Greeter/SayHello"
client = [s for s in spans if s["name"] == name and s["kind_name"] == "SPAN_KIND_CLIENT"]
server = [s for s in spans if s["name"] == name and s["kind_name"] == "SPAN_KIND_SERVER"]
problems = []
if len(client) != 1 or len(server) != 1:
    problems.append("want one client and one server span, got %d and %d" % (len(client), len(server)))
else:
    c, s = client[0], server[0]
    if s["trace_id"] != c["trace_id"] or s["parent_span_id"] != c["span_id"]:
        problems.append("the server span is not the client span's child")
    if c["resource_attributes"].get("service.name") != "greeter-client" or \
       s["resource_attributes"].get("service.name") != "greeter":
        problems.append("service names %s / %s" % (c["resource_attributes"].get("service.name"),
                                                   s["resource_attributes"].get("service.name")))
    for span in (c, s):
        a = span["attributes"]
        if a.get("rpc.system.name") != "grpc" or a.get("rpc.method") != name or \
           a.get("rpc.status_code") != "OK" or a.get("server.address") != "127.0.0.1":
            problems.append("%s attributes %s" % (span["kind_name"], a))
    handler = [x for x in spans if x["name"] == "compose_greeting" and x["parent_span_id"] == s["span_id"]]
    if len(handler) != 1:
        problems.append("no compose_greeting span under the server span")
for p in problems:
    print("otlp_e2e: grpc_services: " + p, file=sys.stderr)
print("otlp_e2e: grpc_services: %d problems" % len(problems), file=sys.stderr)
sys.exit(1 if problems else 0)
PY
else
  say "no $CONFORMANCE: strict receiver skipped"
fi
say "all checks passed"
