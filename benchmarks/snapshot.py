"""Record what iotpolicy prints and writes on a register, to compare two versions of the code.

Usage: python benchmarks/snapshot.py OUT [--src SRC] [--devices N]

Runs, in fresh copies of the example register (``register/``) and of a generated register of
``N`` devices (default 1,000; ``benchmarks/generate.py``): ``check`` in every format, ``rules`` in
every format, ``schema``, every report, ``export oscal`` and ``export devices``, ``advisories
list`` (text, JSON), and the importers as far as they go without git (``import devices``,
``reconcile``, ``advisories import``, ``match``, ``kev``). Each command's exit code, standard
output, standard error and the files it wrote or changed go to ``OUT/<register>/<step>.txt``.
``--src`` puts another copy of the package first on PYTHONPATH (a ``src`` folder, say of an older
commit from ``git archive``). The copies live in one fixed folder, so that paths printed are the
same from run to run: ``diff -r OUT1 OUT2`` shows every difference in behaviour. ``reconcile
--create-planned`` writes today's date into its stubs: compare snapshots taken on the same day.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/iotpolicy-snapshot-work")
AS_OF = "2026-11-25"
DATA = ROOT / "tests" / "data"
CHECK_FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")

Step = tuple[str, list[str], bool]
"""(name, arguments after ``iotpolicy``, True when it writes into the register)."""


def steps(register: Path, out: Path) -> list[Step]:
    """Every command of the snapshot, in order (``{reg}`` is the register copy)."""
    reg = ["--register", str(register)]
    day = ["--as-of", AS_OF]
    found: list[Step] = []
    for fmt in CHECK_FORMATS:
        found.append((f"check-{fmt}", ["check", *reg, *day, "--no-cache", "-f", fmt], False))
    found.append(("check-strict-json", ["check", *reg, *day, "--strict", "-f", "json"], False))
    found.append(("check-rule", ["check", *reg, *day, "--rule", "FW-002", "-f", "json"], False))
    for fmt in ("table", "json", "markdown"):
        found.append((f"rules-{fmt}", ["rules", "-f", fmt], False))
    found.append(("schema", ["schema", *reg, "-o", str(out / "schemas")], False))
    found.append(("report", ["report", *reg, *day, "-o", str(out / "reports")], False))
    found.append(("oscal", ["export", "oscal", *reg, *day], False))
    found.append(("export-devices", ["export", "devices", *reg], False))
    for fmt in ("text", "json"):
        found.append((f"advisories-list-{fmt}", ["advisories", "list", *reg, "-f", fmt], False))
    found.append(
        (
            "import-devices-dry",
            ["import", "devices", str(DATA / "realworld" / "inventory.csv"), "--dry-run", *reg],
            True,
        )
    )
    found.append(
        (
            "import-devices",
            [
                "import",
                "devices",
                str(DATA / "realworld" / "inventory.csv"),
                "--skip-invalid",
                *reg,
            ],
            True,
        )
    )
    scan = str(DATA / "realworld" / "scan-2026-11-20.xml")
    for fmt in ("text", "json", "markdown"):
        found.append((f"reconcile-{fmt}", ["reconcile", scan, "-f", fmt, *reg], False))
    found.append(("reconcile-create", ["reconcile", scan, "--create-planned", *reg], True))
    csaf = sorted(str(p) for p in (DATA / "csaf").glob("*.json"))
    found.append(
        ("advisories-import", ["advisories", "import", *csaf, "--received-on", AS_OF, *reg], True)
    )
    found.append(("advisories-match-dry", ["advisories", "match", "--dry-run", *reg], True))
    found.append(("advisories-match", ["advisories", "match", *reg], True))
    kev = str(DATA / "kev" / "kev-extract.json")
    found.append(("advisories-kev", ["advisories", "kev", kev, *reg], True))
    found.append(("check-after-imports", ["check", *reg, *day, "--no-cache", "-f", "json"], False))
    return found


def files_of(folder: Path) -> dict[str, str]:
    """Relative path -> content hash of every file below ``folder`` (the cache folder aside)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".iotpolicy-cache" not in p.parts
    }


def snapshot(source: Path, name: str, out: Path, env: dict[str, str]) -> None:
    """Run every step on a copy of ``source``; write what each printed and wrote."""
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work / "register")
    register = work / "register"
    target = out / name
    target.mkdir(parents=True, exist_ok=True)
    for number, (step, args, writes) in enumerate(steps(register, work)):
        before = files_of(register)
        shutil.rmtree(work / "reports", ignore_errors=True)
        shutil.rmtree(work / "schemas", ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-m", "iotpolicy", *args],
            capture_output=True,
            env=env,
            cwd=work,
            check=False,
        )
        lines = [f"$ iotpolicy {' '.join(args)}", f"exit {done.returncode}", "--- stdout"]
        lines += [done.stdout.decode("utf-8", "replace"), "--- stderr"]
        lines += [done.stderr.decode("utf-8", "replace")]
        after = files_of(register)
        written = [rel for rel in sorted(after) if before.get(rel) != after[rel]]
        written += [f"{rel} (removed)" for rel in sorted(before) if rel not in after]
        if written and not writes:
            lines.append(f"--- UNEXPECTED writes: {written}")
        for rel in written:
            path = register / rel
            lines += [
                f"--- file {rel}",
                path.read_text("utf-8", "replace") if path.exists() else "",
            ]
        for folder in ("reports", "schemas"):
            for rel in files_of(work / folder) if (work / folder).exists() else {}:
                text = (work / folder / rel).read_text("utf-8", "replace")
                lines += [f"--- {folder}/{rel}", text]
        (target / f"{number:02d}-{step}.txt").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--src", type=Path, default=None, help="a src folder to run instead")
    parser.add_argument("--devices", type=int, default=1000)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB", "GITLAB", "CI"))}
    env.update(COLUMNS="100", NO_COLOR="1", TERM="dumb", IOTPOLICY_REGISTER="")
    if args.src is not None:
        env["PYTHONPATH"] = str(args.src.resolve())
    generated = WORK / f"source-{args.devices}"
    if not generated.exists():
        generate(generated, args.devices)
    snapshot(ROOT / "register", "example", args.out, env)
    snapshot(generated, f"generated-{args.devices}", args.out, env)


if __name__ == "__main__":
    main()
