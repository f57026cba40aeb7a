#!/usr/bin/env bash
# Builds the `parsers` fuzz target and runs it for N seconds (default 30).
#
#   trace-core/fuzz/run.sh [SECONDS]
#
# With cargo-fuzz and a nightly toolchain this is `cargo fuzz run parsers` (AddressSanitizer
# on). On stable it builds the same libFuzzer binary with the coverage instrumentation
# cargo-fuzz uses (all stable `-C` flags, no sanitizer) and runs it; findings land in
# artifacts/ either way, and a crash makes the script fail.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
mkdir -p corpus/parsers artifacts/parsers
cp seeds/* corpus/parsers/
limits=(-max_total_time="$secs" -rss_limit_mb=512 -max_len=20000 -timeout=10)

if command -v cargo-fuzz >/dev/null 2>&1 && rustc --version | grep -q nightly; then
    exec cargo fuzz run parsers corpus/parsers -- "${limits[@]}"
fi

host="$(rustc -vV | sed -n 's/^host: //p')"
# --target keeps these flags off build scripts, as cargo-fuzz does.
RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --target "$host" --bin parsers
"${CARGO_TARGET_DIR:-target}/$host/release/parsers" corpus/parsers -artifact_prefix=artifacts/parsers/ "${limits[@]}"
