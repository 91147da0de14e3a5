"""The example register gives exactly its documented findings (a snapshot, byte for byte).

To update the snapshot after a deliberate change to the register or the rules:
``iotpolicy check --register register --as-of 2026-11-25 --format json
--output tests/data/example-register-check.json`` (from the repository root), then review the diff.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Run
from tests.support.paths import REPO

ROOT = REPO
SNAPSHOT = ROOT / "tests" / "data" / "example-register-check.json"


def test_example_register_matches_its_snapshot(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    run = cli("check", "--register", "register", "--as-of", "2026-11-25", "--format", "json")
    assert run.exit_code == 1
    assert run.stdout == SNAPSHOT.read_text(encoding="utf-8")
    document = run.json
    assert document["summary"] == {"errors": 2, "warnings": 3, "suppressed": 2, "devices": 33}


def test_every_deliberate_finding_is_marked_in_the_register(cli: Callable[..., Run]) -> None:
    """Each finding's line carries (or, for a missing field, heads) a DELIBERATE FINDING comment
    naming its rule, so the demo explains itself."""
    run = cli("check", "--register", str(ROOT / "register"), "--as-of", "2026-11-25", "-f", "json")
    for finding in run.json["findings"]:
        lines = (ROOT / "register" / finding["file"]).read_text(encoding="utf-8").splitlines()
        assert f"DELIBERATE FINDING ({finding['rule']})" in lines[finding["line"] - 1]
