"""How ``import devices --dry-run`` scales: the time per row of a CSV of N new devices, for each N.

Usage: python benchmarks/import_scaling.py [--rows 10000 100000] [--seed 1]

Each run imports N rows (every one a new, valid planned device with its own id, IP address and
MAC, spread over the 20 segments of a generated register of 100 devices) with ``--dry-run``: the
whole import is drafted and checked, nothing is written. Import time is linear when the time per
row stays flat; the README quotes the figures (the goal: 100,000 rows at most 1.5 times the cost
per row of 10,000, and under 3 minutes).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import TYPES, generate

HEADER = ["Asset ID", "Device Name", "Manufacturer", "Model", "Serial No.", "IP-Address", "MAC"]
HEADER += ["Site", "Segment", "Status", "Category", "Type", "Owner"]


def write_csv(path: Path, rows: int) -> None:
    """``rows`` new planned devices, each in one of the generated register's segments."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            index, host = n % 20 + 1, n // 20 + 256  # ot-01 .. ot-10, iot-11 .. iot-20
            category = "ot" if index <= 10 else "iot"
            mine = [t for t in TYPES if t[1] == category]
            kind, _, vendor, model = mine[n // 20 % len(mine)]
            ip = f"10.{index}.{host // 256}.{host % 256}"
            mac = "02:00:" + ":".join(f"{(n >> shift) & 255:02x}" for shift in (24, 16, 8, 0))
            where = ["main-plant", f"{category}-{index:02d}", "planned", category, kind, "ops-1"]
            writer.writerow(
                [f"new-{n:06d}", f"New {kind} {n}", vendor, model, f"SN{n:08d}", ip, mac, *where]
            )


def time_import(register: Path, sheet: Path) -> float:
    """Seconds of one ``import devices --dry-run`` in a fresh process."""
    rest = ("--register", str(register))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "iotpolicy", "import", "devices", str(sheet), "--dry-run", *rest],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"import failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        register = generate(Path(tmp) / "register", 100, args.seed)
        base = None
        print("| rows | seconds | ms per row | per row vs the first |")
        print("|---:|---:|---:|---:|")
        for rows in args.rows:
            sheet = Path(tmp) / f"devices-{rows}.csv"
            write_csv(sheet, rows)
            seconds = time_import(register, sheet)
            per_row = seconds / rows * 1000
            base = base or per_row
            print(f"| {rows:,} | {seconds:.1f} | {per_row:.2f} | {per_row / base:.2f}x |")


if __name__ == "__main__":
    main()
