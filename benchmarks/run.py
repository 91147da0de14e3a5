"""Time ``iotpolicy check`` on synthetic registers and print a Markdown table.

Usage: python benchmarks/run.py [--sizes 1000 10000] [--work DIR]

Each size gets a fresh register from benchmarks/generate.py; each command runs in its own process,
whose wall time and peak resident memory (from wait4) are reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate


def measure(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one command run to completion."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=None, help="where registers are generated")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="iotpolicy-bench-"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print("| devices | command | wall time | peak RSS |")
    print("|---:|---|---:|---:|")
    for size in args.sizes:
        register = generate(work / f"register-{size}", size)
        command = [
            sys.executable,
            "-m",
            "iotpolicy",
            "check",
            "--register",
            str(register),
            "--as-of",
            "2026-11-25",
            "--format",
            "json",
        ]
        wall, rss, code = measure(command)
        if code not in (0, 1):
            raise SystemExit(f"iotpolicy check failed with exit code {code}")
        print(f"| {size:,} | `iotpolicy check --format json` | {wall:.2f} s | {rss:.0f} MB |")


if __name__ == "__main__":
    main()
