#!/usr/bin/env python3
"""Benchmark tracegen against the disk's own floor: for synthetic estates of growing size (services
x 3 environments), time `tracegen check` and `tracegen build` (as users run it, and with
TRACEGEN_FSYNC=1, the writer flushing the file system before its renames) next to `cp -r` of the
build's own output and a plain Python loop writing the same files (neither flushes), print the
ratios and peak RSS, and fit how cost grows with services. Prints figures; asserts nothing (speed belongs here, not in tests).

    python3 scripts/bench_build.py [--services 100 1000 10000] [--repeat 3] [--repeat-largest 1]
                                   [--fsync-up-to 1000] [--dir /tmp]

Each measurement is its own process, timed by wall clock around it (interpreter start and imports
included, as a user waits for them); peak RSS and CPU time come from that process's rusage
(`os.wait4`), so nothing instruments the code being timed. Figures are medians of the repeats,
peak RSS the maximum. The page cache is warm for every contestant alike.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 1000, 10000)
TARGET_RATIO = 2.0          # build <= 2x cp -r of its output, at 1,000 services
TARGET_CHECK_SECONDS = 0.3  # check at 1,000 services
TARGET_RSS_MIB = 200
TARGET_EXPONENT = 1.1       # "linear": cost ~ services^k with k at most this

# Reads every file under argv[1] into memory, then times writing them all under argv[2] the plain
# way (mkdir per directory, open/write/close per file): the floor for any Python writer.
PYTHON_LOOP = """
import os, sys, time
source, target = sys.argv[1], sys.argv[2]
files = []
for top, _, names in os.walk(source):
    for name in names:
        path = os.path.join(top, name)
        with open(path, "rb") as handle:
            files.append((os.path.relpath(path, source), handle.read()))
started = time.perf_counter()
made = set()
for relative, data in files:
    path = os.path.join(target, relative)
    parent = os.path.dirname(path)
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)
    with open(path, "wb") as handle:
        handle.write(data)
print(time.perf_counter() - started)
"""


def synthetic(services: int) -> str:
    """checkout.yaml with `services` services (its five cycled: languages, frameworks, messaging, the
    edge) and 3 environments (prod, staging, and a dev copied from staging that exports where staging does)."""
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text())
    template = list(data["services"].values())
    data["services"] = {}
    for index in range(services):
        service = copy.deepcopy(template[index % len(template)])
        service["calls"] = []
        # The estate carries checkout's traffic, spread over its services; every copy of the edge
        # gateway is an edge, so a trace stays checkout-sized (spans per trace, tail buffer).
        service["peak_rps"] = service["peak_rps"] * len(template) / services
        service["span_attributes"] = [a for a in service.get("span_attributes", []) if a != "order.id"]
        # Each copy of the five is its own small estate: its topics are its own, as real estates'
        # are (one topic with every copy as producer made alert text grow with services squared).
        group = index // len(template)
        for direction in ("produces", "consumes"):
            for topic in service.get("messaging", {}).get(direction, []):
                topic["topic"] = f"{topic['topic']}-{group}"
        data["services"][f"svc-{index:05d}"] = service
    data["environments"]["dev"] = copy.deepcopy(data["environments"]["staging"])
    for backend in data["backends"].values():
        if "staging" in backend.get("environments", []):
            backend["environments"].append("dev")
    data.pop("suppress", None)
    return yaml.safe_dump(data, sort_keys=False)


@dataclass(frozen=True)
class Run:
    seconds: float      # wall clock around the process
    cpu: float          # user + system CPU of the process and its children
    rss_mib: float      # peak resident set size
    stdout: str = ""


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `command` as its own process; its rusage alone gives CPU and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            sys.exit(f"{' '.join(command)} exited {process.returncode}:\n{err.read().decode()[-2000:]}")
        return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode())


@dataclass
class Row:
    """The figures of one estate size."""

    services: int
    files: int = 0
    mib: float = 0.0
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, name: str, result: Run) -> None:
        self.runs.setdefault(name, []).append(result)

    def seconds(self, name: str) -> float:
        return statistics.median(r.seconds for r in self.runs[name]) if name in self.runs else math.nan

    def cpu(self, name: str) -> float:
        return statistics.median(r.cpu for r in self.runs[name]) if name in self.runs else math.nan

    def rss(self, name: str) -> float:
        return max(r.rss_mib for r in self.runs[name]) if name in self.runs else math.nan


def measure(services: int, repeat: int, work: Path, fsync: bool = True) -> Row:
    row = Row(services)
    blueprint = work / f"synthetic-{services}.yaml"
    blueprint.write_text(synthetic(services))
    out, copy_dir, loop_dir = work / "out", work / "copy", work / "loop"
    tracegen = [sys.executable, "-m", "tracegen"]
    for _ in range(repeat):   # contestants interleaved, so a busy moment hurts all of them alike
        for directory in (out, copy_dir, loop_dir):
            shutil.rmtree(directory, ignore_errors=True)
        row.add("check", run(tracegen + ["check", str(blueprint)]))
        if fsync:   # "build": flushed (TRACEGEN_FSYNC=1); "nosync": the default build
            row.add("build", run(tracegen + ["build", str(blueprint), "-o", str(out)], {"TRACEGEN_FSYNC": "1"}))
            shutil.rmtree(out)
        row.add("nosync", run(tracegen + ["build", str(blueprint), "-o", str(out)]))
        row.add("cp", run(["cp", "-r", str(out), str(copy_dir)]))
        loop = run([sys.executable, "-c", PYTHON_LOOP, str(out), str(loop_dir)])
        row.add("loop", Run(float(loop.stdout), loop.cpu, loop.rss_mib))
    sizes = [p.stat().st_size for p in out.rglob("*") if p.is_file()]
    row.files, row.mib = len(sizes), sum(sizes) / 2**20
    for directory in (out, copy_dir, loop_dir):
        shutil.rmtree(directory, ignore_errors=True)
    return row


def exponent(sizes: list[float], values: list[float]) -> float:
    """k in value ~ c * size^k: the least-squares slope of log(value) on log(size)."""
    if len(sizes) < 2 or len(sizes) != len(values):
        raise ValueError("need at least two (size, value) pairs")
    xs, ys = [math.log(s) for s in sizes], [math.log(v) for v in values]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        raise ValueError("sizes must differ")
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread


def header() -> list[str]:
    return [f"{'services':>8}{'files':>8}{'MiB':>6}{'check s':>9}{'cpu':>6}{'fsync s':>9}{'cpu':>7}"
             f"{'build s':>9}{'cpu':>7}{'cp -r s':>9}{'cpu':>6}{'py loop s':>10}{'fsync/cp':>9}{'build/cp':>9}"
             f"{'fsync/loop':>11}{'RSS MiB':>9}{'runs':>5}",
             f"{'':>20}(seconds: wall, then user+sys CPU, medians of the runs; RSS: peak of check or build)"]


def line(row: Row) -> str:
    build_rss = row.rss("build") if "build" in row.runs else 0
    return (f"{row.services:>8,}{row.files:>8,}{row.mib:>6.0f}{row.seconds('check'):>9.2f}"
            f"{row.cpu('check'):>6.2f}{row.seconds('build'):>9.2f}{row.cpu('build'):>7.2f}"
            f"{row.seconds('nosync'):>9.2f}{row.cpu('nosync'):>7.2f}"
            f"{row.seconds('cp'):>9.2f}{row.cpu('cp'):>6.2f}{row.seconds('loop'):>10.2f}"
            f"{row.seconds('build') / row.seconds('cp'):>9.1f}{row.seconds('nosync') / row.seconds('cp'):>9.1f}"
            f"{row.seconds('build') / row.seconds('loop'):>11.1f}"
            f"{max(row.rss('check'), row.rss('nosync'), build_rss):>9.0f}{len(row.runs['nosync']):>5}")


def report(rows: list[Row]) -> str:
    """The table, the growth fit and the targets, as printed."""
    lines = header() + [line(row) for row in rows]
    if len(rows) >= 2:
        sizes = [row.services for row in rows]
        measures = {"check": lambda r: r.seconds("check"), "check cpu": lambda r: r.cpu("check"),
                    "build": lambda r: r.seconds("nosync"), "its cpu": lambda r: r.cpu("nosync"),
                    "its RSS": lambda r: r.rss("nosync")}
        growth = ", ".join(f"{name} {exponent(sizes, [measure(row) for row in rows]):.2f}"
                           for name, measure in measures.items())
        lines.append(f"growth with services (k in cost ~ services^k; 1 is linear): {growth}")
    lines += targets(rows)
    return "\n".join(lines)


def targets(rows: list[Row]) -> list[str]:
    """One line per target of issue 15 that these rows can judge."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = []
    at_1000 = next((row for row in rows if row.services == 1000), None)
    if at_1000:
        ratio = at_1000.seconds("nosync") / at_1000.seconds("cp")   # the build as users run it
        lines.append(f"target build <= {TARGET_RATIO:g}x cp -r at 1,000 services: {ratio:.1f}x, "
                     f"{verdict(ratio <= TARGET_RATIO)}")
        seconds = at_1000.seconds("check")
        lines.append(f"target check <= {TARGET_CHECK_SECONDS:g} s at 1,000 services: {seconds:.2f} s, "
                     f"{verdict(seconds <= TARGET_CHECK_SECONDS)}")
    for row in ([at_1000] if at_1000 and at_1000 is not rows[-1] else []) + rows[-1:]:
        peak = float(line(row).split()[-2])
        lines.append(f"target peak RSS <= {TARGET_RSS_MIB} MiB at {row.services:,} services (check or build): "
                     f"{peak:.0f} MiB, {verdict(peak <= TARGET_RSS_MIB)}")
    if len(rows) >= 2:   # between the two largest estates, where start-up no longer hides the growth
        small, large = rows[-2], rows[-1]
        k = exponent([small.services, large.services], [small.cpu("nosync"), large.cpu("nosync")])
        lines.append(f"target linear to {large.services:,} services: build CPU grows as services^{k:.2f} from "
                     f"{small.services:,} to {large.services:,}, {verdict(k <= TARGET_EXPONENT)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-largest", type=int, default=1,
                        help="runs for the largest estate (10,000 services take minutes per build)")
    parser.add_argument("--fsync-up-to", type=int, default=None,
                        help="no TRACEGEN_FSYNC=1 build for larger estates (flushing 300,000 files takes long)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to build and copy (the disk being measured); a temporary directory by default")
    args = parser.parse_args()
    rows = []
    # Wall times are only as good as the machine is quiet: say how busy it was.
    print("load average (1, 5, 15 min) at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    print("\n".join(header()), flush=True)
    with tempfile.TemporaryDirectory(prefix="tracegen-bench-", dir=args.dir) as work:
        sizes = sorted(args.services)
        for services in sizes:
            repeat = args.repeat_largest if services == sizes[-1] and len(sizes) > 1 else args.repeat
            fsync = args.fsync_up_to is None or services <= args.fsync_up_to
            rows.append(measure(services, repeat, Path(work), fsync))
            print(line(rows[-1]), flush=True)
    print(report(rows))
    print("load average (1, 5, 15 min) at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
