#!/usr/bin/env python3
"""Do parallel writes help on this disk? Writes the same files (N files of SIZE bytes, ten per new
directory, each through a temporary file and a rename, as tracegen's writer does) with 1, 2 and 4
threads, interleaved and repeated (the file system flushed before each), and prints the median wall time of each. Prints figures; asserts
nothing.

    python3 scripts/bench_parallel_writes.py [--files 16000] [--size 2800] [--repeat 3] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor


def write_one(base: str, index: int, data: bytes) -> None:
    directory = os.path.join(base, f"d{index // 10}")
    if index % 10 == 0:
        os.mkdir(directory)
    else:
        while not os.path.isdir(directory):   # another thread makes it
            time.sleep(0)
    final = os.path.join(directory, f"f{index}.yaml")
    temporary = os.path.join(directory, f".f{index}.yaml.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(temporary, final)


def run(base: str, files: int, data: bytes, threads: int) -> float:
    os.makedirs(base)
    os.sync()   # the previous run's removals are written back before the clock starts, not during it
    started = time.perf_counter()
    if threads == 1:
        for index in range(files):
            write_one(base, index, data)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda i: write_one(base, i, data), range(files), chunksize=64))
    seconds = time.perf_counter() - started
    shutil.rmtree(base)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=16000)
    parser.add_argument("--size", type=int, default=2800)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    data = b"x" * args.size
    results: dict[int, list[float]] = {1: [], 2: [], 4: []}
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="tracegen-parallel-", dir=args.dir) as work:
        for repeat in range(args.repeat):
            for threads in results:   # interleaved, so a busy moment hurts every variant alike
                results[threads].append(run(os.path.join(work, f"{threads}-{repeat}"), args.files, data, threads))
    one = statistics.median(results[1])
    for threads, seconds in results.items():
        median = statistics.median(seconds)
        print(f"{threads} thread(s): {median:.2f} s median of {seconds and len(seconds)} "
              f"({', '.join(f'{s:.2f}' for s in seconds)}); speed-up {one / median:.2f}x")
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
