"""Every pinned version tracegen emits or installs, in one place.

Bump here, regenerate output/ (`python -m tracegen build` via tests/test_output_fresh.py), and the
real-consumer tests tell you whether the new versions still accept what tracegen emits.
"""

# OpenTelemetry Collector (core and contrib release together; checked on the Go module proxy).
COLLECTOR_VERSION = "0.165.0"
# The builder (ocb) is released with the collector core.
BUILDER_VERSION = COLLECTOR_VERSION
