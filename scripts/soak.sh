#!/usr/bin/env bash
# Soak under collector faults (issue 13): the real pipeline against an in-process fake
# OTLP/HTTP collector on 127.0.0.1 that accepts, refuses, hangs, answers 503 and comes back;
# then thread churn and 64 producers during an outage; then shutdown timings. Release build
# (the bench profile). The report (markdown tables) goes to stdout, one line per second of
# samples to stderr. See benches/benches/soak.rs and RELIABILITY.md.
#
# Usage: scripts/soak.sh [--quick | --phase-secs N] [--skip-shutdown-timings]
#        (default 60 s per phase; --quick is 5 s per phase, a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "soak: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -sr), $(rustc --version)"
exec cargo bench -q -p benches --bench soak -- "$@"
