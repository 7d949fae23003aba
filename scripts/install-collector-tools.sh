#!/usr/bin/env bash
# Prepare what the collector e2e tests need: check Go, install the Collector Builder and build the
# test distribution (every catalog component buildable at the pinned collector version) into
# ${TRACEGEN_CACHE:-~/.cache/tracegen}. Re-running reuses the cache and takes a second.
#
#   scripts/install-collector-tools.sh [COLLECTOR_VERSION]
#
# Go >= 1.26 must be on PATH (https://go.dev/dl; Debian's golang-go is too old). GOTOOLCHAIN=local:
# the build never downloads a Go toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m tracegen.toolchain.install collector "$@"
