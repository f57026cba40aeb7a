#!/usr/bin/env bash
# Instructions per instrumented call, counted by callgrind (repeatable on a busy machine,
# unlike timings). Each mode runs 200 000 calls of one case inside `benches/benches/span.rs`;
# only the instrumented function (and what it calls) on the calling thread is counted: the
# background exporter/collector threads of every library are left out alike.
#   bash benches/scripts/instructions.sh            # all cases
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
bin=$(cargo bench -p benches --bench span --no-run 2>&1 | grep -o 'target/release/deps/span-[0-9a-f]*' | tail -1)
count() { # label function mode [extra arg]
  local n
  n=$(valgrind --tool=callgrind --toggle-collect="$2" --callgrind-out-file=/dev/null \
        "$bin" "profile-$3" ${4:-} 2>&1 | awk '/refs:/ {gsub(",","",$4); print $4}')
  printf '| %s | %d |\n' "$1" $((n / 200000))
}
echo "| case | instructions per call |"
echo "|---|---:|"
count "bare function" span::bare bare
count "traced: disabled (no tracer)" span::ours disabled
count "#[traced]: disabled (no tracer)" span::traced_info traced-disabled
count "#[traced(level = \"debug\")]: above max_level(Info)" span::traced_debug traced-above-max
count "#[traced(level = \"debug\")]: within max_level(Debug), sampled, no attributes" span::traced_debug traced-within-max
count "traced: unsampled root (AlwaysOff)" span::ours unsampled
count "traced: unsampled (non-sampled parent)" span::ours sampled parent
count "traced: sampled, 2 attributes" span::ours sampled
count "traced: sampled, no attributes" span::ours_plain plain
count "traced: sampled child (under a root), 2 attributes" span::ours child
count "traced: sampled child (under a root), no attributes" span::ours_plain child-plain
count "fastrace #[trace], no properties" span::fastrace_plain fastrace
count "fastrace, 2 properties" span::fastrace_two fastrace2
count "tracing #[instrument], 2 fields, registry + no-op layer" span::tracing_instrumented tracing
count "opentelemetry_sdk, sampled, 2 attributes" span::otel otel
count "opentelemetry_sdk, AlwaysOff" span::otel otel-off
# The batch worker's own work per sampled span (conversion into SpanData, freeing the ring
# slot, releasing what exported spans own): everything the worker thread runs during
# `profile-sampled` (the only thread it spawns), per span. Counted from the thread's entry
# point, so it does not depend on what the compiler inlines into it.
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" profile-sampled >/dev/null 2>&1
n=$(callgrind_annotate --inclusive=yes "$out" | awk '/Thread>::new::thread_start \[/ && !done {gsub(",","",$1); print $1; done = 1}')
rm -f "$out"
printf '| batch worker, per sampled span | %d |\n' $((n / 200000))
