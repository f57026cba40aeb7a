#!/usr/bin/env bash
# OTLP export (issue 4): examples/otlp_export through the rotel collector (installed from PyPI
# into ~/.cache/traced) and, when ../shared/conformance exists, through its strict receiver
# built on the official OTLP messages; http/protobuf and http/json, gzip off and on.
# About 15 s once the example is built (first run: + a few seconds of pip).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/otlp_e2e.sh
