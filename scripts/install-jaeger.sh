#!/usr/bin/env bash
# Build the real Jaeger the end-to-end tests export to (tests/e2e/test_sampling_promise.py): the
# all-in-one `cmd/jaeger` of github.com/jaegertracing/jaeger at tracegen.versions.JAEGER_VERSION,
# from the Go module proxy, into ${TRACEGEN_CACHE:-~/.cache/tracegen}/jaeger/<version>/.
# Called by scripts/test.sh; re-running reuses the cache and takes a second.
#
#   scripts/install-jaeger.sh [MODULE_VERSION]
#
# Go >= 1.26 must be on PATH (GOTOOLCHAIN=local: the build never downloads a Go toolchain). A
# first build downloads and compiles for several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m tracegen.toolchain.install jaeger "$@"
