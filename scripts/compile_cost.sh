#!/usr/bin/env bash
# Compile cost of `#[traced]` against `#[tracing::instrument]`.
#
# Generates two crates with the same 500 instrumented functions (sync with captures, `Result`
# returns, `async fn`, methods), one using `#[traced]`, one using `#[tracing::instrument]`,
# under target/compile-cost/, then for each:
#   1. builds it from clean (its own target dir: dependencies included), and
#   2. rebuilds only the generated crate (dependencies warm): the cost of expanding and
#      compiling 500 instrumented functions, which is what a user pays on every edit.
# Prints the times and the ratios traced/tracing. Not run by CI (it takes 2-4 minutes).
#
# The machine may be shared: each measurement is repeated (REPEAT, default 2), alternating
# the two crates, and the fastest run is kept.
#
# Usage: scripts/compile_cost.sh [N]     (N functions, default 500; REPEAT=3 for more runs)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-500}"
REPEAT="${REPEAT:-2}"
OUT="$ROOT/target/compile-cost"
mkdir -p "$OUT"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

gen_traced() {
  local dir="$OUT/traced"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "cost-traced"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
trace-core = { path = "$ROOT/trace-core" }

[workspace]
TOML
  {
    echo '#![allow(dead_code, clippy::all)]'
    echo 'use trace_core::traced;'
    echo '#[derive(Debug)] pub struct Failure;'
    echo 'impl std::fmt::Display for Failure { fn fmt(&self, f: &mut std::fmt::Formatter<'"'"'_>) -> std::fmt::Result { f.write_str("failure") } }'
    echo 'pub struct Service { pub n: u64 }'
    for ((i = 0; i < N; i++)); do
      case $((i % 4)) in
        0) echo "#[traced(attrs(x, s))] pub fn f$i(x: u64, s: &str) -> u64 { x.wrapping_add(s.len() as u64 + $i) }" ;;
        1) echo "#[traced(attrs(x))] pub fn f$i(x: u64) -> Result<u64, Failure> { if x == $i { return Err(Failure); } Ok(x) }" ;;
        2) echo "#[traced(attrs(x, label = %s))] pub async fn f$i(x: u64, s: &str) -> u64 { x + s.len() as u64 }" ;;
        3) echo "impl Service { #[traced(attrs(x))] pub fn m$i(&self, x: u64) -> u64 { self.n + x } }" ;;
      esac
    done
  } > "$dir/src/lib.rs"
}

gen_tracing() {
  local dir="$OUT/tracing"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "cost-tracing"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tracing = "0.1"

[workspace]
TOML
  {
    echo '#![allow(dead_code, clippy::all)]'
    echo 'use tracing::instrument;'
    echo '#[derive(Debug)] pub struct Failure;'
    echo 'impl std::fmt::Display for Failure { fn fmt(&self, f: &mut std::fmt::Formatter<'"'"'_>) -> std::fmt::Result { f.write_str("failure") } }'
    echo 'pub struct Service { pub n: u64 }'
    for ((i = 0; i < N; i++)); do
      case $((i % 4)) in
        0) echo "#[instrument(skip_all, fields(x = x, s = s))] pub fn f$i(x: u64, s: &str) -> u64 { x.wrapping_add(s.len() as u64 + $i) }" ;;
        1) echo "#[instrument(skip_all, fields(x = x), err)] pub fn f$i(x: u64) -> Result<u64, Failure> { if x == $i { return Err(Failure); } Ok(x) }" ;;
        2) echo "#[instrument(skip_all, fields(x = x, label = %s))] pub async fn f$i(x: u64, s: &str) -> u64 { x + s.len() as u64 }" ;;
        3) echo "impl Service { #[instrument(skip_all, fields(x = x))] pub fn m$i(&self, x: u64) -> u64 { self.n + x } }" ;;
      esac
    done
  } > "$dir/src/lib.rs"
}

build() { # dir -> prints seconds
  local dir="$1"
  local start end
  start=$(now)
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --quiet -j 2 2>&1) >&2
  end=$(now)
  elapsed "$start" "$end"
}

measure() { # name -> "clean_seconds crate_only_seconds"
  local dir="$OUT/$1" pkg="cost-$1"
  rm -rf "$dir/target"
  # Resolve (and download, first time only) outside the timed region.
  (cd "$dir" && cargo fetch --quiet) >&2
  local clean crate
  clean=$(build "$dir")
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo clean --quiet -p "$pkg") >&2
  crate=$(build "$dir")
  echo "$clean $crate"
}

gen_traced
gen_tracing
echo "generated $N functions per crate under $OUT" >&2

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
traced_clean="" traced_crate="" tracing_clean="" tracing_crate=""
for ((r = 1; r <= REPEAT; r++)); do
  read -r c k < <(measure traced)
  traced_clean=$(min "$traced_clean" "$c"); traced_crate=$(min "$traced_crate" "$k")
  read -r c k < <(measure tracing)
  tracing_clean=$(min "$tracing_clean" "$c"); tracing_crate=$(min "$tracing_crate" "$k")
  echo "run $r: traced $traced_clean/$traced_crate s, tracing $tracing_clean/$tracing_crate s (best so far)" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "compile cost: $N instrumented functions, debug build, -j 2, best of $REPEAT ($(rustc --version))"
  printf '%-34s %10s %10s %8s\n' "" "traced" "tracing" "ratio"
  printf '%-34s %9ss %9ss %8s\n' "from clean (dependencies included)" "$traced_clean" "$tracing_clean" "$(ratio "$traced_clean" "$tracing_clean")"
  printf '%-34s %9ss %9ss %8s\n' "generated crate only (deps warm)" "$traced_crate" "$tracing_crate" "$(ratio "$traced_crate" "$tracing_crate")"
} | tee "$OUT/result.txt"
