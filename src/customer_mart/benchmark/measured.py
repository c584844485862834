"""Run one command and report its wall time, CPU time and peak memory, from a small process.

    python -m customer_mart.benchmark.measured REPORT.json STALL_SECONDS -- COMMAND [ARGS...]

Why a process of its own: Linux counts a process's peak resident memory from the moment it is
forked, and keeps that count across exec, so a command forked straight from the benchmark (a
Python process that has read whole marts by then) would report the benchmark's own peak, not its
own. This script imports nothing but the standard library, forks the command, waits for it and
writes what the kernel says about it to REPORT.json. STALL_SECONDS > 0: the command is killed
once it has used no CPU time for that long (under a memory cap a library thread that could not
start can leave it waiting forever). Resource limits set on this process pass to the command.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def cpu_ticks(pid: int) -> int:
    """User and system CPU time of a running process so far, in clock ticks (/proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # from the third field, the state, on
    return int(fields[11]) + int(fields[12])


def wait_watching(pid: int, stall_seconds: float | None) -> tuple[int, os.struct_rusage, str | None]:
    """os.wait4 on a child; with `stall_seconds`, kill it once it has used no CPU for that long.

    Returns its wait status, its resource usage, and why it was killed (None if it exited).
    """
    if not stall_seconds:
        _, status, usage = os.wait4(pid, 0)
        return status, usage, None
    last, since = -1, time.monotonic()
    while True:
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited:
            return status, usage, None
        ticks, now = cpu_ticks(pid), time.monotonic()
        if ticks != last:
            last, since = ticks, now
        elif now - since >= stall_seconds:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return status, usage, f"used no CPU for {stall_seconds:g} s (stuck), killed"
        time.sleep(min(1.0, stall_seconds / 4))


def main() -> None:
    report, stall, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        sys.exit(__doc__)
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    status, usage, stalled = wait_watching(pid, float(stall))
    Path(report).write_text(
        json.dumps(
            {
                "exit_code": os.waitstatus_to_exitcode(status),
                "seconds": time.perf_counter() - started,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_mb": usage.ru_maxrss / 1024,
                "stalled": stalled,
            }
        )
    )


if __name__ == "__main__":
    main()
