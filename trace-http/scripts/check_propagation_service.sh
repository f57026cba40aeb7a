#!/usr/bin/env bash
# Builds and starts examples/propagation_service on 127.0.0.1, runs the W3C Trace Context
# harness checks against it (w3c_harness_check.py), and stops it. Exits non-zero on any
# failure. Run from anywhere inside the repository.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

cargo build -q -p examples --example propagation_service
log="$(mktemp)"
OTEL_TRACES_EXPORTER=none "${CARGO_TARGET_DIR:-target}/debug/examples/propagation_service" --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^listening on //p' "$log")"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "propagation_service did not start"; cat "$log"; exit 1; }

python3 "$here/w3c_harness_check.py" "$url"
