#!/usr/bin/env bash
# OTLP export (issues 4 and 15): examples/otlp_export through the rotel collector (installed from PyPI
# into ~/.cache/traced) and, when ../shared/conformance exists, through its strict receiver
# built on the official OTLP messages; http/protobuf, http/json and grpc, gzip off and on; and
# examples/grpc_services (the demo, then a server and a client exporting over OTLP/gRPC).
# About 15 s once the example is built (first run: + a few seconds of pip).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/otlp_e2e.sh
