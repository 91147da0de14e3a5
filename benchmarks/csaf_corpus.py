"""Import CISA's published OT advisories of 2017-2022 as a user would, and measure the reading of
their version statements.

Usage: python benchmarks/csaf_corpus.py [--corpus TAR] [--vendor ID] [--batch N] [--forms N]

The corpus (1,655 unmodified CSAF 2.0 files, ``../shared/data/csaf/cisa-ot-2017-2022.tar.xz``
beside the checkout, see its README) is unpacked into a temporary folder. Then:

1. every ``product_version`` and ``product_version_range`` statement of the product trees is read
   as the importer reads it: *translated* into register ranges, *no version* (the text names no
   version of the product: ``No version``, ``All versions with Ethernet interface``, a model or
   order number, a serial number or date) or *not understood*; both of the last two are recorded
   as every version (``*``) with a warning;
2. ``iotpolicy advisories import --vendor ID`` runs in batches of N files into a scratch copy of
   the example register (``register/``), as a user would: each batch must exit 0 without an
   internal error;
3. one ``advisories import --vendor ID`` of every file into a fresh scratch copy, and ``check`` of
   that register with all of them recorded, are timed (wall and CPU seconds, best of three).

It prints Markdown: the shares, the timings against the targets (import under 10 s, check under
1 s) and the statements not understood, most frequent first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iotpolicy.grammar.vendor_ranges import NoVersion, RangeError, translate_range

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "csaf" / "cisa-ot-2017-2022.tar.xz"
EXAMPLE = ROOT / "register"
BIN = Path(sys.executable).parent
RECEIVED_ON = "2026-11-01"
AS_OF = "2026-11-25"
STATEMENTS = ("product_version", "product_version_range")


def unpack(archive: Path, folder: Path) -> list[Path]:
    """The corpus's JSON files, unpacked into ``folder``."""
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return sorted(folder.rglob("*.json"))


def statements(path: Path) -> Iterator[str]:
    """Every product_version and product_version_range statement of a document's product tree."""
    data = json.loads(path.read_bytes())

    def walk(branches: Any) -> Iterator[str]:
        for branch in branches if isinstance(branches, list) else []:
            if not isinstance(branch, dict):
                continue
            name = branch.get("name")
            if branch.get("category") in STATEMENTS and isinstance(name, str):
                yield name
            yield from walk(branch.get("branches"))

    yield from walk((data.get("product_tree") or {}).get("branches"))


@dataclass
class Shares:
    """How the statements of a corpus read."""

    translated: int = 0
    no_version: int = 0
    not_understood: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.translated + self.no_version + sum(self.not_understood.values())

    @property
    def fallback(self) -> float:
        """The share of statements not understood (recorded as ``*`` with a warning)."""
        return sum(self.not_understood.values()) / self.total if self.total else 0.0


def read_statements(paths: list[Path]) -> Shares:
    """Read every statement of ``paths`` as the importer does."""
    shares = Shares()
    for path in paths:
        for text in statements(path):
            try:
                translate_range(" ".join(text.split()))
            except NoVersion:
                shares.no_version += 1
            except RangeError:
                shares.not_understood[" ".join(text.split())] += 1
            else:
                shares.translated += 1
    return shares


def _run(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, CPU seconds, result) of one iotpolicy command."""
    before = os.times()
    start = time.perf_counter()
    result = subprocess.run([str(BIN / "iotpolicy"), *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, result


def _import(register: Path, files: list[Path], vendor: str) -> tuple[float, float]:
    """Import ``files`` into ``register``; fails loudly on an error exit or internal error."""
    args = ["advisories", "import", "--vendor", vendor, "--received-on", RECEIVED_ON]
    wall, cpu, result = _run([*args, "--register", str(register), *map(str, files)])
    if result.returncode != 0 or "internal error" in result.stderr:
        raise SystemExit(f"import failed ({result.returncode}): {result.stderr.strip()[:500]}")
    return wall, cpu


def _scratch(work: Path, name: str) -> Path:
    register = work / name
    shutil.copytree(EXAMPLE, register, ignore=shutil.ignore_patterns(".iotpolicy-cache"))
    return register


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus (.tar.xz)")
    parser.add_argument("--vendor", default="siemens", help="vendor id of the example register")
    parser.add_argument("--batch", type=int, default=50, help="files per batch import")
    parser.add_argument("--forms", type=int, default=40, help="statements not understood shown")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iotpolicy-csaf-") as temp:
        work = Path(temp)
        files = unpack(options.corpus, work / "corpus")
        shares = read_statements(files)

        batches = _scratch(work, "batches")
        batch_wall = 0.0
        for start in range(0, len(files), options.batch):
            batch_wall += _import(batches, files[start : start + options.batch], options.vendor)[0]

        imports, checks = [], []
        for attempt in range(3):
            register = _scratch(work, f"all-{attempt}")
            imports.append(_import(register, files, options.vendor))
            check = ["check", "--register", str(register), "--as-of", AS_OF, "--format", "json"]
            wall, cpu, result = _run(check)
            if result.returncode not in (0, 1):
                raise SystemExit(f"check failed ({result.returncode}): {result.stderr.strip()}")
            checks.append((wall, cpu))
        recorded = len(list((register / "advisories").glob("*.yaml")))

    total = shares.total
    unread = sum(shares.not_understood.values())
    print(f"## CISA OT advisories 2017-2022: {len(files)} files, {total} version statements\n")
    print("| statements | count | share |\n|---|---:|---:|")
    for label, count in (
        ("translated into register ranges", shares.translated),
        ("naming no version (recorded as `*`, warned)", shares.no_version),
        ("not understood (recorded as `*`, warned)", unread),
    ):
        print(f"| {label} | {count} | {100 * count / total:.2f}% |")
    import_wall, import_cpu = min(imports)
    check_wall, check_cpu = min(checks)
    print("\n| step | wall s | CPU s | target |\n|---|---:|---:|---|")
    print(
        f"| {-(-len(files) // options.batch)} batch imports of {options.batch} | "
        f"{batch_wall:.1f} | | no internal error |"
    )
    print(f"| one import of all {len(files)} | {import_wall:.2f} | {import_cpu:.2f} | < 10 s |")
    print(f"| check, {recorded} advisories recorded | {check_wall:.2f} | {check_cpu:.2f} | < 1 s |")
    print(f"\n### Statements not understood ({unread})\n")
    for text, count in shares.not_understood.most_common(options.forms):
        print(f"- {count} x `{text}`")


if __name__ == "__main__":
    main()
