"""Time iotpolicy on synthetic registers and print Markdown tables.

Usage: python benchmarks/run.py [--sizes 1000 10000 50000] [--work DIR]
                                [--skip-jsonschema-above N] [--history]
                                [--history-baseline SRC] [--repeat N] [--trend]

Each size gets a fresh register from benchmarks/generate.py. Each command runs in its own process,
whose wall time and peak resident memory (from wait4) are reported:

- ``check --format json`` cold (``<register>/.iotpolicy-cache`` deleted first), then warm: after
  1% of the device files (chosen by a seeded random) got a new ``name:``;
- ``report`` (every report; the register is not in git, so no history is read);
- ``check-jsonschema`` on every device file against the schema ``iotpolicy schema`` writes. When
  the file list does not fit one command line (ARG_MAX), it runs in as few invocations as needed:
  their wall times are summed and the largest peak RSS is shown.

``--history`` also builds a git repository with a register of 10,000 devices and 100 commits (a
few firmware bumps each, fixed identity and dates) and times ``history <one device>`` and
``report changes`` there; ``--sizes`` with no size runs only that. ``--history-baseline SRC``
times the same two commands with another copy of the package first on PYTHONPATH (``SRC`` is a
``src`` folder, say of main's code from ``git archive main src``), alternating with this checkout's
runs, so the two are measured in one run on the same repository; ``--repeat N`` runs each command
N times and shows the median.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

AS_OF = "2026-11-25"
CACHE = ".iotpolicy-cache"
BIN = Path(sys.executable).parent
FIRMWARE = re.compile(r'(?m)^  version: "[^"]*"$')
"""The firmware version line of a generated device file."""


@dataclass(frozen=True, slots=True)
class Timing:
    """One measured command: wall seconds, peak RSS in MB, exit code."""

    wall: float
    rss: float
    code: int


def measure(
    command: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one command run to completion. Python keeps
    its compiled bytecode as an installed package does (``PYTHONDONTWRITEBYTECODE`` is dropped:
    otherwise every run compiles iotpolicy's sources again, about 0.1 s)."""
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, process.returncode


def timed(
    command: list[str],
    ok: tuple[int, ...] = (0, 1),
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Timing:
    """:func:`measure` ``command``; SystemExit when its exit code is not in ``ok``."""
    timing = Timing(*measure(command, cwd, env))
    if timing.code not in ok:
        raise SystemExit(f"{' '.join(command[:6])} ... failed with exit code {timing.code}")
    return timing


def iotpolicy(*args: str) -> list[str]:
    """The command line running ``iotpolicy ARGS`` with this interpreter."""
    return [sys.executable, "-m", "iotpolicy", *args]


def touch_one_percent(register: Path, seed: int) -> int:
    """Give 1% of the device files (at least one; a seeded choice) a new ``name:``; returns how
    many."""
    files = sorted((register / "devices").glob("*.yaml"))
    chosen = random.Random(seed).sample(files, max(1, len(files) // 100))
    for path in chosen:
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^name: (.*)$", r"name: \1 (renamed)", text, count=1))
    return len(chosen)


def chunks(args: list[str], budget: int) -> list[list[str]]:
    """``args`` split into runs whose command-line size (text, NUL and pointer) stays in budget."""
    runs: list[list[str]] = [[]]
    used = 0
    for arg in args:
        cost = len(os.fsencode(arg)) + 1 + 8
        if runs[-1] and used + cost > budget:
            runs.append([])
            used = 0
        runs[-1].append(arg)
        used += cost
    return runs


def jsonschema_timing(register: Path, schemas: Path) -> tuple[Timing, int]:
    """check-jsonschema over every device file (relative paths, run in the register): summed wall
    time, largest peak RSS, worst exit code, and the number of invocations."""
    files = sorted(p.relative_to(register).as_posix() for p in register.glob("devices/*.yaml"))
    base = [str(BIN / "check-jsonschema"), "--schemafile", str(schemas / "device.schema.json")]
    environment = sum(len(k) + len(v) + 2 + 8 for k, v in os.environ.items())
    budget = os.sysconf("SC_ARG_MAX") - environment - 65536
    runs = [timed([*base, *run], cwd=register) for run in chunks(files, budget)]
    total = Timing(sum(t.wall for t in runs), max(t.rss for t in runs), max(t.code for t in runs))
    return total, len(runs)


def row(size: int, command: str, timing: Timing | None, note: str = "") -> None:
    """One Markdown row of the timings table."""
    if timing is None:
        print(f"| {size:,} | {command} | skipped | | {note} |")
    else:
        print(f"| {size:,} | {command} | {timing.wall:.2f} s | {timing.rss:.0f} MB | {note} |")


def bench_size(size: int, work: Path, skip_jsonschema_above: int | None) -> dict[str, Timing]:
    """Generate a register of ``size`` devices and time every command on it (prints the rows)."""
    register = generate(work / f"register-{size}", size)
    check = iotpolicy("check", "--register", str(register), "--as-of", AS_OF, "--format", "json")
    shutil.rmtree(register / CACHE, ignore_errors=True)
    found: dict[str, Timing] = {"cold": timed(check)}
    cache = "cache written" if (register / CACHE).exists() else "no cache written"
    row(size, "`check --format json` cold", found["cold"], cache)
    touched = touch_one_percent(register, seed=size)
    found["warm"] = timed(check)
    row(size, "`check --format json` warm", found["warm"], f"{touched:,} files changed")
    reports = work / f"reports-{size}"
    found["report"] = timed(
        iotpolicy(
            "report", "--register", str(register), "--output-dir", str(reports), "--as-of", AS_OF
        ),
        ok=(0,),
    )
    row(size, "`report` (all)", found["report"])
    if skip_jsonschema_above is not None and size > skip_jsonschema_above:
        row(
            size,
            "`check-jsonschema` devices",
            None,
            f"--skip-jsonschema-above {skip_jsonschema_above}",
        )
        return found
    schemas = work / f"schemas-{size}"
    timed(iotpolicy("schema", "--register", str(register), "--output-dir", str(schemas)), ok=(0,))
    found["jsonschema"], invocations = jsonschema_timing(register, schemas)
    note = f"exit {found['jsonschema'].code}, {invocations} invocation(s)"
    row(size, "`check-jsonschema` devices", found["jsonschema"], note)
    return found


def verdict(text: str, ok: bool) -> str:
    """A measured value with whether it meets its target."""
    return f"{text} ({'met' if ok else 'NOT met'})"


def print_targets(results: dict[int, dict[str, Timing]]) -> None:
    """The ratios the performance targets name, per size; a target that applies at that size says
    if it is met."""
    print("\n| devices | check-jsonschema / cold | warm / cold | report / cold | check peak RSS |")
    print("|---:|---:|---:|---:|---:|")
    for size, found in results.items():
        cold = found["cold"].wall
        warm, report = found["warm"].wall / cold, found["report"].wall / cold
        rss = max(found["cold"].rss, found["warm"].rss)
        schema = found["jsonschema"].wall / cold if "jsonschema" in found else None
        cells = [
            "skipped" if schema is None else f"{schema:.2f}",
            verdict(f"{warm:.2f}", warm <= 0.10) if size >= 10_000 else f"{warm:.2f}",
            verdict(f"{report:.2f}", report <= 2),
            f"{rss:.0f} MB",
        ]
        if size == 10_000:
            cells[0] = cells[0] if schema is None else verdict(cells[0], schema >= 5)
            cells[3] = verdict(cells[3], rss < 300)
        print(f"| {size:,} | {' | '.join(cells)} |")
    print(
        "\nTargets: check-jsonschema / cold >= 5 and check peak RSS < 300 MB at 10,000 devices; "
        "warm / cold <= 0.10 from 10,000 devices (below, starting Python and importing the "
        "models, about 0.25 s, is most of a warm run); report / cold <= 2 at every size; "
        "cold check < 60 s at 50,000."
    )
    if 50_000 in results:
        wall = results[50_000]["cold"].wall
        print(f"Cold check at 50,000 devices: {verdict(f'{wall:.1f} s', wall < 60)}.")


def git(top: Path, *args: str, when: str = "2026-01-01T09:00:00+00:00") -> None:
    """Run git in ``top`` with a fixed identity and date and no outside configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    identity = ["-c", "user.name=Ole Hansen", "-c", "user.email=ole.hansen@example.com"]
    quiet = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    subprocess.run(
        ["git", *identity, *quiet, *args], cwd=top, env=env, check=True, stdout=subprocess.DEVNULL
    )


def build_history(top: Path, devices: int, commits: int, watched: str) -> Path:
    """A repository at ``top`` holding a register of ``devices`` devices and ``commits`` commits:
    the first adds everything, each later one bumps the firmware of three devices (``watched``
    every tenth). Returns the register."""
    if top.exists():
        shutil.rmtree(top)
    register = generate(top / "register", devices)
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "Initial register")
    rng = random.Random(8)
    for number in range(1, commits):
        names = {f"dev-{rng.randrange(devices):06d}" for _ in range(3)}
        if number % 10 == 0:
            names.add(watched)
        paths = [f"register/devices/{name}.yaml" for name in sorted(names)]
        for rel in paths:
            path = top / rel
            version = f'  version: "2.1.{4 + number}"'
            path.write_text(FIRMWARE.sub(version, path.read_text(encoding="utf-8"), count=1))
        when = f"2026-{1 + number // 28:02d}-{1 + number % 28:02d}T10:00:00+01:00"
        git(top, "add", "--", *paths, when=when)
        git(top, "commit", "-q", "-m", f"Firmware bumps {number}", when=when)
    return register


def bench_history(
    work: Path,
    devices: int = 10_000,
    commits: int = 100,
    baseline: Path | None = None,
    repeat: int = 1,
) -> None:
    """Time ``history`` of one device and the ``changes`` report on a generated repository (and,
    with ``baseline``, the same with that copy of the package, alternating)."""
    watched = "dev-000042"
    start = time.perf_counter()
    register = build_history(work / "history", devices, commits, watched)
    built = time.perf_counter() - start
    print(f"\nGit history: {devices:,} devices, {commits} commits (built in {built:.1f} s)\n")
    print("| devices | command | wall time | peak RSS | note |")
    print("|---:|---|---:|---:|---|")
    log = ["git", "log", "--no-renames", "--raw", "--no-abbrev", "-z"]
    log += ["--relative", "HEAD", "--", "."]
    row(devices, "`git log --raw` (reference)", timed(log, ok=(0,), cwd=register))
    out = str(work / "history-reports")
    changes = ("report", "changes", "--register", str(register), "-o", out, "--as-of", AS_OF)
    commands = {
        f"`history {watched}`": (iotpolicy("history", watched, "--register", str(register)), ""),
        "`report changes`": (iotpolicy(*changes), "loads and evaluates the register too"),
    }
    codes = {"this checkout" if baseline else "": dict(os.environ)}
    if baseline is not None:
        paths = [p for p in (str(baseline.resolve()), os.environ.get("PYTHONPATH")) if p]
        codes[f"baseline {baseline}"] = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    for name, (command, note) in commands.items():
        runs: dict[str, list[Timing]] = {code: [] for code in codes}
        for _ in range(repeat):
            for code, env in codes.items():  # alternating: a slower minute hurts both alike
                runs[code].append(timed(command, ok=(0,), env=env))
        for code, timings in runs.items():
            median = Timing(
                statistics.median(t.wall for t in timings), max(t.rss for t in timings), 0
            )
            what = "; ".join(n for n in (code, note, f"median of {repeat}" * (repeat > 1)) if n)
            row(devices, name, median, what)


def build_trend_history(top: Path, devices: int, months: int = 12) -> tuple[Path, str]:
    """A repository at ``top`` whose register of ``devices`` devices gets one commit a month
    (the 15th, 2026), 1% of the device files changing in each; returns the register and the
    first commit."""
    if top.exists():
        shutil.rmtree(top)
    register = generate(top / "register", devices)
    git(top, "init", "-q", "-b", "main")
    first = ""
    for month in range(1, months + 1):
        if month > 1:
            touch_one_percent(register, seed=month)
        when = f"2026-{month:02d}-15T10:00:00+00:00"
        git(top, "add", "-A", when=when)
        git(top, "commit", "-q", "-m", f"Month {month}", when=when)
        if month == 1:
            head = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=top, capture_output=True, text=True, check=True
            )
            first = head.stdout.strip()
    return register, first


def bench_trend(work: Path, devices: int = 10_000, repeat: int = 1) -> None:
    """Time ``trend --every month`` over the year and ``check --at`` of the first commit against
    a cold ``check`` of the same register (median of ``repeat`` runs each, alternating)."""
    start = time.perf_counter()
    register, first = build_trend_history(work / "trend", devices)
    built = time.perf_counter() - start
    print(
        f"\nTrend: {devices:,} devices, 12 monthly commits, 1% of the devices changed in each"
        f" (built in {built:.1f} s)\n"
    )
    base = ["--register", str(register), "--format", "json"]
    commands = {
        "`check` cold": iotpolicy("check", *base, "--as-of", "2026-12-31", "--no-cache"),
        "`trend --every month`": iotpolicy(
            "trend", *base, "--from", "2026-01-01", "--to", "2026-12-31", "--every", "month"
        ),
        "`check --at` first commit": iotpolicy("check", *base, "--at", first),
    }
    runs: dict[str, list[Timing]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(timed(command, cwd=register))
    found = {
        name: Timing(statistics.median(t.wall for t in ts), max(t.rss for t in ts), 0)
        for name, ts in runs.items()
    }
    print("| devices | command | wall time | peak RSS | note |")
    print("|---:|---|---:|---:|---|")
    for name, timing in found.items():
        row(devices, name, timing, f"median of {repeat}" if repeat > 1 else "")
    cold = found["`check` cold"]
    trend, at = found["`trend --every month`"], found["`check --at` first commit"]
    print("\n| trend / cold | check --at / cold | trend peak RSS / cold | check --at RSS / cold |")
    print("|---:|---:|---:|---:|")
    cells = [
        verdict(f"{trend.wall / cold.wall:.2f}", trend.wall <= 3 * cold.wall),
        verdict(f"{at.wall / cold.wall:.2f}", at.wall <= 1.2 * cold.wall),
        verdict(f"{trend.rss / cold.rss:.2f}", trend.rss <= 1.5 * cold.rss),
        verdict(f"{at.rss / cold.rss:.2f}", at.rss <= 1.5 * cold.rss),
    ]
    print(f"| {' | '.join(cells)} |")
    print("\nTargets: trend <= 3x a cold check, check --at <= 1.2x, peak memory <= 1.5x.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 50000])
    parser.add_argument("--work", type=Path, default=None, help="where registers are generated")
    parser.add_argument(
        "--skip-jsonschema-above",
        type=int,
        default=None,
        metavar="N",
        help="do not run check-jsonschema on registers of more than N devices",
    )
    parser.add_argument("--history", action="store_true", help="also run the git history benchmark")
    parser.add_argument(
        "--history-baseline",
        type=Path,
        default=None,
        metavar="SRC",
        help="also time the history commands with the package in SRC (a src folder)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each history command")
    parser.add_argument(
        "--trend", action="store_true", help="also run the trend benchmark (12 monthly commits)"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="iotpolicy-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, as of {AS_OF}\n")
    results: dict[int, dict[str, Timing]] = {}
    if args.sizes:
        print("| devices | command | wall time | peak RSS | note |")
        print("|---:|---|---:|---:|---|")
        for size in args.sizes:
            results[size] = bench_size(size, work, args.skip_jsonschema_above)
        print_targets(results)
    if args.history:
        bench_history(work, baseline=args.history_baseline, repeat=max(1, args.repeat))
    if args.trend:
        bench_trend(work, repeat=max(1, args.repeat))


if __name__ == "__main__":
    main()
