#!/usr/bin/env python3
"""Throughput and latency of the generated local pipeline, on loopback, as figures (not a test).

Builds tests/e2e/blueprints/local.yaml with the real CLI, starts the backend stand-ins, two
gateways and an agent on the real collector (the cached all-components test distribution), sends
a burst of traces through the Python SDK and prints:

- SDK -> agent: traces and spans per second the agent accepted (one Python process generates the
  traffic, so on a small machine this figure is bounded by the generator, not the agent);
- end to end: for traces that must be kept (errors, slow), the time from the SDK ending the root
  span to the last span arriving at the backend, as percentiles. The tail sampler's decision_wait
  is the floor of this figure by design.

    python scripts/bench_pipeline.py --traces 5000

Every loop is bounded in count and time and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")   # grpc's C core logs every GOAWAY otherwise
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT))

from harness import analysis, pipeline as pipeline_module  # noqa: E402
from harness.processes import wait_until  # noqa: E402
from harness.traffic import SPANS_PER_TRACE, Traffic, mixed_plan  # noqa: E402

BLUEPRINT = ROOT / "tests" / "e2e" / "blueprints" / "local.yaml"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=3000, help="traces to send (default 3000)")
    parser.add_argument("--timeout", type=float, default=180.0, help="give up waiting after this many seconds")
    args = parser.parse_args()

    binary = pipeline_module.collector_binary(BLUEPRINT)
    with tempfile.TemporaryDirectory(prefix="tracegen-bench-") as tmp:
        work = Path(tmp)
        result = pipeline_module.build(BLUEPRINT, work / "out")
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            return 1
        running = pipeline_module.start(BLUEPRINT, work / "out", binary, work,
                                        {"HONEYCOMB_API_KEY": "bench-" + secrets.token_hex(8)})
        traffic = Traffic(running.agent_endpoint)
        try:
            n = args.traces
            mix = {"healthy": n - 2 * (n // 10), "error": n // 10, "slow": n // 10}
            started = time.monotonic()
            sent = traffic.send_mix(mixed_plan(mix, seed=7), deadline_s=args.timeout)
            traffic.flush(args.timeout)
            flushed = time.monotonic() - started
            target = n * SPANS_PER_TRACE
            wait_until(lambda: running.agent.metric("otelcol_receiver_accepted_spans") >= target,
                       args.timeout, interval_s=0.2)
            accepted_s = time.monotonic() - started
            must = [t for t in sent if t.cls in analysis.MUST_KEEP]
            backend = running.receivers["jaeger"]
            wait_until(lambda: not analysis.missing_spans(must, backend.spans()), args.timeout, interval_s=0.5)
            arrival: dict[str, float] = {}
            for item in backend.received():
                for rs in item.request.resource_spans:
                    for ss in rs.scope_spans:
                        for span in ss.spans:
                            tid = span.trace_id.hex()
                            arrival[tid] = max(arrival.get(tid, 0.0), item.at)
            latencies = [arrival[t.trace_id] - t.sent_at for t in must if t.trace_id in arrival]
            print(f"traces sent            {n} ({target} spans), SDK flushed in {flushed:.2f}s")
            print(f"agent accepted         {target / accepted_s:,.0f} spans/s "
                  f"({n / accepted_s:,.0f} traces/s) over {accepted_s:.2f}s")
            if latencies:
                print(f"end-to-end latency     error/slow traces, {len(latencies)} of {len(must)} arrived: "
                      f"p50 {percentile(latencies, 0.5):.2f}s  p90 {percentile(latencies, 0.9):.2f}s  "
                      f"p99 {percentile(latencies, 0.99):.2f}s  max {max(latencies):.2f}s  "
                      f"mean {statistics.fmean(latencies):.2f}s (decision_wait {running.decision_wait_s:g}s)")
            for name, receiver in running.receivers.items():
                for line in analysis.format_tally(f"backend {name}:", analysis.tally(sent, receiver.spans())):
                    print(line)
        finally:
            traffic.shutdown()
            running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
