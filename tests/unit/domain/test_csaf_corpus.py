"""CISA's published OT advisories of 2017-2022 (1,655 real CSAF files, beside the checkout in
../shared/data/csaf/cisa-ot-2017-2022.tar.xz; benchmarks/csaf_corpus.py measures the same): every
one is read without an error, at most 1% of their version statements fall back to every version,
and a batch of 50 imports by the CLI with --vendor, the six that stopped the import included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from benchmarks.csaf_corpus import CORPUS, EXAMPLE, read_statements, unpack

from iotpolicy.domain.csaf import parse_csaf
from iotpolicy.grammar.versions import range_problem
from tests.conftest import Run

pytestmark = pytest.mark.skipif(
    not CORPUS.exists(), reason="the CISA corpus is beside the checkout only"
)

CRASHED = [  # internal error (RangeError) before: model names and lists in product_version
    "icsa-17-124-02.json",
    "icsa-17-208-02.json",
    "icsa-18-093-01.json",
    "icsa-18-165-01.json",
    "icsma-19-029-02.json",
    "icsma-19-255-01.json",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return unpack(CORPUS, tmp_path_factory.mktemp("cisa-ot"))


def test_every_advisory_is_read_and_at_most_one_percent_falls_back(corpus: list[Path]) -> None:
    assert len(corpus) == 1655
    entries = 0
    for path in corpus:
        advisory = parse_csaf(path.read_bytes(), path.name)  # never raises for these
        assert all(range_problem(entry.versions) is None for entry in advisory.affected)
        entries += len(advisory.affected)
    assert entries > 10_000
    shares = read_statements(corpus)
    assert shares.total == 10_242
    assert shares.fallback <= 0.01, shares.not_understood.most_common(20)
    assert shares.translated / shares.total > 0.94


def test_a_batch_of_fifty_imports_with_vendor(
    corpus: list[Path], cli: Callable[..., Run], tmp_path: Path
) -> None:
    register = tmp_path / "register"
    shutil.copytree(EXAMPLE, register, ignore=shutil.ignore_patterns(".iotpolicy-cache"))
    chosen = [p for p in corpus if p.name in CRASHED]
    chosen += [p for p in corpus if p.name not in CRASHED][: 50 - len(chosen)]
    run = cli(
        "advisories", "import", *map(str, chosen), "--vendor", "siemens",
        "--register", str(register), "--received-on", "2026-11-01",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    created = [line for line in run.stdout.splitlines() if ": created: " in line]
    assert len(created) == 50
    dahua = yaml.safe_load((register / "advisories" / "icsa-17-124-02.yaml").read_text("utf-8"))
    assert dahua["vendor"] == "siemens"
    assert {entry["versions"] for entry in dahua["affects"]} == {"*"}  # model names: every version
    check = cli("check", "--register", str(register), "--as-of", "2026-11-25", "--format", "json")
    assert check.exit_code in (0, 1), check.stderr
    assert [f for f in check.json["findings"] if f["rule"].startswith("REG")] == []
