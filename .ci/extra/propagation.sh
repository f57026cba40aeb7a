#!/usr/bin/env bash
# Propagation (issue 5): one trace across two real HTTP services, the W3C Trace Context
# harness cases against examples/propagation_service, and a short fuzz run of the W3C
# parsers (libFuzzer; on stable via trace-core/fuzz/run.sh). About 3 minutes cold.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo run -q -p examples --example two_services
bash trace-http/scripts/check_propagation_service.sh
# libFuzzer's report is long: keep the final status, or the panic and the saved input.
bash trace-core/fuzz/run.sh "${FUZZ_SECONDS:-20}" 2>&1 |
    { grep -E "DONE|^Done|panicked|ERROR|SUMMARY|Test unit written|^artifact" || true; }
