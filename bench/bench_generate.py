"""Benchmark of the synthetic data generator (a script, not a test).

    .venv/bin/python bench/bench_generate.py [--users 100000] [--runs 3] [--format parquet|csv]

Times `customer_mart.generate.generate` end to end (drawing and writing all seven tables) into a
temporary folder, `--runs` times after one small warm-up run, and prints a markdown table with
the rows per table and the median wall time, total rows and rows per second (on the median wall
time; rows per CPU second too, which says more on a busy machine). Each timed run is a child
process forked after the warm-up (imports and reference data loaded, as in `customer-mart
generate`), so the kernel gives each run's own CPU time (all threads) and peak resident memory
(`ru_maxrss`, which includes what the child shares with this process). The last line compares
with the target: over 1M rows per second, peak under 4 GB at any size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

from customer_mart.generate import CHUNK_USERS, generate
from customer_mart.schema import TABLES


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


TARGET_ROWS_PER_SECOND = 1_000_000
TARGET_PEAK_MB = 4000


def forked_run(**kwargs) -> tuple[dict[str, int], float, float, float]:
    """generate(**kwargs) in a forked child: (rows per table, wall s, CPU s, peak RSS MB)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report through the pipe, never return into the parent's code
        status = 1
        try:
            os.close(read_end)
            started = time.perf_counter()
            rows = generate(**kwargs)
            wall = time.perf_counter() - started
            with os.fdopen(write_end, "w") as pipe:
                json.dump({"rows": rows, "wall": wall}, pipe)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        payload = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    if status != 0 or not payload:
        raise SystemExit(f"the generator failed in the child process (wait status {status})")
    result = json.loads(payload)
    return result["rows"], result["wall"], usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000, help="registered users (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported (default 3)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--now", default="2026-06-30", help="the generator's now (default 2026-06-30)")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument(
        "--chunk-users",
        type=int,
        default=CHUNK_USERS,
        help=f"users drawn and written per chunk (default {CHUNK_USERS}, as customer-mart generate)",
    )
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
        times, cpu, peaks, rows = [], [], [], {}
        for run in range(args.runs):
            rows, wall, seconds, peak = forked_run(
                users=args.users,
                seed=args.seed,
                out=out / "data",
                file_format=args.format,
                now=args.now,
                progress=False,
                chunk_users=args.chunk_users,
            )
            times.append(wall)
            cpu.append(seconds)
            peaks.append(peak)
            print(
                f"run {run + 1}/{args.runs}: {wall:.2f} s wall, {seconds:.2f} s CPU, peak RSS {peak:,.0f} MB",
                file=sys.stderr,
            )
        size = folder_size(out / "data")

    total = sum(rows.values())
    median = statistics.median(times)
    print(
        f"## generate: {args.users:,} users, {args.format}, seed {args.seed}, now {args.now}, "
        f"chunks of {args.chunk_users:,} users"
    )
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
        "| total rows | rows/second | rows/CPU second | peak RSS (MB) | output (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rate, peak = total / median, max(peaks)
    print(
        f"| {args.users:,} | {args.runs} | {median:.2f} | {min(times):.2f} | {statistics.median(cpu):.2f} "
        f"| {total:,} | {rate:,.0f} | {total / statistics.median(cpu):,.0f} | {peak:,.0f} "
        f"| {size / 1e6:,.0f} |"
    )
    print()
    met = rate > TARGET_ROWS_PER_SECOND and peak < TARGET_PEAK_MB
    print(
        f"Target (over {TARGET_ROWS_PER_SECOND:,} rows/s, peak RSS under {TARGET_PEAK_MB:,} MB): "
        f"{'met' if met else 'missed'} ({rate:,.0f} rows/s, {peak:,.0f} MB at most over the runs)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
