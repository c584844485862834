"""Benchmark of the synthetic data generator (a script, not a test).

    .venv/bin/python bench/bench_generate.py [--users 100000] [--runs 3] [--format parquet|csv]

Times `customer_mart.generate.generate` end to end (drawing and writing all seven tables) into a
temporary folder, `--runs` times after one small warm-up run, and prints a markdown table with
the rows per table and the median wall time, total rows and rows per second (on the median wall
time). CPU time (this process, all threads) is shown too: it moves less when the machine is busy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from customer_mart.generate import generate
from customer_mart.schema import TABLES


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000, help="registered users (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported (default 3)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--now", default="2026-06-30", help="the generator's now (default 2026-06-30)")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        out = Path(tmp)
        # Warm-up: imports, reference data (world_pop, products) and the writer thread.
        generate(
            users=100,
            seed=args.seed,
            out=out / "warmup",
            file_format=args.format,
            now=args.now,
            progress=False,
        )
        times, cpu, rows = [], [], {}
        for run in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            rows = generate(
                users=args.users,
                seed=args.seed,
                out=out / "data",
                file_format=args.format,
                now=args.now,
                progress=False,
            )
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            print(f"run {run + 1}/{args.runs}: {times[-1]:.2f} s wall, {cpu[-1]:.2f} s CPU", file=sys.stderr)
        size = folder_size(out / "data")

    total = sum(rows.values())
    median = statistics.median(times)
    print(f"## generate: {args.users:,} users, {args.format}, seed {args.seed}, now {args.now}")
    print()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{os.cpu_count()} CPUs, load average {load}; wall times: " + ", ".join(f"{t:.2f} s" for t in times)
    )
    print()
    print("| table | rows |")
    print("|---|---:|")
    for table in TABLES:
        print(f"| {table} | {rows[table]:,} |")
    print(f"| **total** | **{total:,}** |")
    print()
    print(
        "| users | runs | median wall (s) | min wall (s) | median CPU (s) "
        "| total rows | rows/second | output (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.users:,} | {args.runs} | {median:.2f} | {min(times):.2f} | {statistics.median(cpu):.2f} "
        f"| {total:,} | {total / median:,.0f} | {size / 1e6:,.0f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
