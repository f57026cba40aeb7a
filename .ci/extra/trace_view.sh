#!/usr/bin/env bash
# trace-view in a real browser (issue 17): installs Debian's chromium and playwright-core
# (no browser download) if missing, then runs trace-view/tests/browser/run.sh: real services
# send traces over OTLP/HTTP, headless Chromium checks the list, filters, the waterfall, the
# details and that markup is shown as text. About 25 s once built (first run: + apt/npm).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
bash trace-view/tests/browser/run.sh
