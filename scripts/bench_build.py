#!/usr/bin/env python3
"""Benchmark tracegen itself: load, check, plan, render and write for the example blueprints and for
synthetic estates of growing size. Prints figures; asserts nothing (speed belongs here, not in tests).

    python3 scripts/bench_build.py [--services 50 200 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.standards.engine import check
from tracegen.targets import build_all
from tracegen.writer import write

ROOT = Path(__file__).resolve().parent.parent


def synthetic(services: int) -> str:
    """checkout.yaml with `services` services (languages and messaging cycled) and 3 environments."""
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text())
    template = list(data["services"].values())
    data["services"] = {}
    for index in range(services):
        service = copy.deepcopy(template[index % len(template)])
        service["calls"] = []
        service["edge"] = index == 0
        data["services"][f"svc-{index:04d}"] = service
    data["environments"]["dev"] = copy.deepcopy(data["environments"]["staging"])
    data.pop("suppress", None)
    for service in data["services"].values():
        service["span_attributes"] = [a for a in service.get("span_attributes", []) if a != "order.id"]
    return yaml.safe_dump(data, sort_keys=False)


def measure(text: str, name: str, repeat: int) -> dict:
    timings: dict[str, list[float]] = {stage: [] for stage in ("load", "check", "plan", "render", "write")}
    peak = 0
    artifacts = []
    for _ in range(repeat):
        tracemalloc.start()
        started = time.perf_counter()
        loaded = load_text(text, f"{name}.yaml")
        timings["load"].append(time.perf_counter() - started)
        started = time.perf_counter()
        check(loaded)
        timings["check"].append(time.perf_counter() - started)
        started = time.perf_counter()
        plan = build_plan(loaded, f"{name}.yaml")
        timings["plan"].append(time.perf_counter() - started)
        started = time.perf_counter()
        artifacts = build_all(plan)
        timings["render"].append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            write(artifacts, Path(directory) / "out", f"{name}.yaml")
            timings["write"].append(time.perf_counter() - started)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    size = sum(len(a.content.encode()) for a in artifacts)
    return {"timings": {k: statistics.median(v) for k, v in timings.items()}, "peak": peak,
            "artifacts": len(artifacts), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="*", default=[50, 200, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = [(p.stem, p.read_text()) for p in sorted((ROOT / "blueprints").glob("*.yaml"))]
    cases += [(f"synthetic-{n}", synthetic(n)) for n in args.services]
    print(f"{'blueprint':<18}{'load':>8}{'check':>8}{'plan':>8}{'render':>8}{'write':>8}{'total':>8}"
          f"{'artifacts':>10}{'MiB out':>9}{'peak MiB':>9}   (seconds, median of {args.repeat})")
    for name, text in cases:
        figures = measure(text, name, args.repeat)
        t = figures["timings"]
        print(f"{name:<18}{t['load']:>8.3f}{t['check']:>8.3f}{t['plan']:>8.3f}{t['render']:>8.3f}{t['write']:>8.3f}"
              f"{sum(t.values()):>8.3f}{figures['artifacts']:>10}{figures['bytes'] / 2**20:>9.1f}"
              f"{figures['peak'] / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
