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
exec python3 - "$@" <<'PY'
import sys, time
from tracegen.errors import ToolError
from tracegen.toolchain import jaeger
from tracegen.versions import JAEGER_VERSION

version = sys.argv[1] if len(sys.argv) > 1 else JAEGER_VERSION
start = time.monotonic()
try:
    binary = jaeger.ensure_jaeger(version, progress=lambda line: print(line, flush=True))
except ToolError as error:
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(1)
print(f"Jaeger {jaeger.release_name(version)} (module {version}): {binary} ({time.monotonic() - start:.0f}s)")
PY
