#!/usr/bin/env bash
# Browser test of trace-view (issue 17): a real headless Chromium drives the UI.
#
# Starts trace-view on ephemeral ports, sends it traces from real services (the two_services
# example, and three propagation_service processes named frontend, orders and inventory
# calling each other over HTTP), then test.mjs (playwright-core) checks the list, a filter,
# the waterfall's nesting and bar widths, a span's details, orphans, links and that markup in
# span names, attributes and events is shown as text; it saves docs/trace-view.png.
#
#   bash trace-view/tests/browser/run.sh            # the test
#   BENCH=1 VIEW_PROFILE=release bash trace-view/tests/browser/run.sh
#                                                   # also the 10,000-span benchmark (BENCHMARKS.md)
#
# Needs Debian's chromium (CHROMIUM=/path to use another) and Node.js; installs
# playwright-core (no browser download) under ~/.cache/traced/trace-view-browser.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ]; then
  echo "trace-view browser test: no chromium (apt-get install chromium)" >&2
  exit 1
fi
deps="${XDG_CACHE_HOME:-$HOME/.cache}/traced/trace-view-browser"
if [ ! -e "$deps/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$deps"
  (cd "$deps" && [ -e package.json ] || echo '{"private": true}' > package.json)
  (cd "$deps" && npm install --no-audit --no-fund playwright-core@1.65.2 >/dev/null)
fi

# The examples in the dev profile; trace-view in VIEW_PROFILE (default dev too).
view_profile=${VIEW_PROFILE:-dev}
cargo build -q -p examples --example two_services --example propagation_service
cargo build -q --profile "$view_profile" -p trace-view
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin="$target/debug"
view_bin="$target/$([ "$view_profile" = dev ] && echo debug || echo "$view_profile")/trace-view"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The address a process printed: waits for a line matching $2 in file $1.
address() {
  for _ in $(seq 1 100); do
    if grep -qE "$2" "$1" 2>/dev/null; then
      grep -oE "$2" "$1" | head -1 | grep -oE '127\.0\.0\.1:[0-9]+'
      return
    fi
    sleep 0.1
  done
  echo "no address in $1:" >&2; cat "$1" >&2; exit 1
}

"$view_bin" --otlp-http 127.0.0.1:0 --otlp-grpc 127.0.0.1:0 --ui 127.0.0.1:0 --store "$work/spans.db" 2>"$work/trace-view.log" &
pids+=($!)
otlp=$(address "$work/trace-view.log" 'OTLP/HTTP on http://127\.0\.0\.1:[0-9]+')
ui=$(address "$work/trace-view.log" 'UI on http://127\.0\.0\.1:[0-9]+')
echo "trace-view: OTLP/HTTP $otlp, UI $ui"

export OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT="http://$otlp" OTEL_BSP_SCHEDULE_DELAY=100

# One process, two HTTP services: three checkouts (the second fails in the backend).
OTEL_SERVICE_NAME=shop "$bin/examples/two_services" 3 >/dev/null

# Three processes: frontend -> orders -> inventory (twice), then frontend -> inventory.
for svc in frontend orders inventory; do
  OTEL_SERVICE_NAME=$svc "$bin/examples/propagation_service" >"$work/$svc.log" 2>&1 &
  pids+=($!)
done
frontend=$(address "$work/frontend.log" 'http://127\.0\.0\.1:[0-9]+')
orders=$(address "$work/orders.log" 'http://127\.0\.0\.1:[0-9]+')
inventory=$(address "$work/inventory.log" 'http://127\.0\.0\.1:[0-9]+')
call="[{\"url\":\"http://$orders/test\",\"arguments\":[{\"url\":\"http://$inventory/test\",\"arguments\":[]},{\"url\":\"http://$inventory/test\",\"arguments\":[]}]},{\"url\":\"http://$inventory/test\",\"arguments\":[]}]"
curl -sf -X POST -H 'content-type: application/json' -d "$call" "http://$frontend/test" >/dev/null

export TV_UI="http://$ui" TV_OTLP="http://$otlp" CHROMIUM="$chromium" TV_DEPS="$deps"
export SCREENSHOT="$root/docs/trace-view.png"
node trace-view/tests/browser/test.mjs
if [ "${BENCH:-0}" = 1 ]; then
  node trace-view/tests/browser/bench.mjs
fi
