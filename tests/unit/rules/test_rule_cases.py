"""Per-rule pass/fail cases, kept as data in tests/cases/*.yaml and run through the real CLI.

Each case edits the compliant baseline register (tests/support/baseline.py), runs
``iotpolicy check --format json`` as of ``as_of`` (default 2026-11-25), and compares the findings of
its rule with ``expect`` (an empty list: the rule must pass). Each expected finding names its
``subject`` and ``severity``, optionally ``file``, ``line``, ``suppressed_by`` and ``message`` (a
substring). A case's edits must not break the register's shape: REG-001 findings fail every case
that is not about REG-001.

Case file format::

    - rule: SEG-001
      case: active device without a segment
      edits:
        devices/plc-01.yaml: {network.segment: ~delete}
      expect:
        - {subject: plc-01, severity: error, line: 14}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.support.baseline import AS_OF
from tests.support.paths import TESTS

CASES_DIR = TESTS / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            label = f"{case['rule']}: {case['case']}"
            params.append(pytest.param(case, id=label))
    return params


CASES = _load_cases()


@pytest.mark.parametrize("case", CASES)
def test_rule_case(case: dict[str, Any], check_json: Callable[..., Any]) -> None:
    as_of = str(case.get("as_of", AS_OF.isoformat()))
    _, document = check_json(case.get("edits") or {}, as_of=as_of)
    rule = case["rule"]
    found = [f for f in document["findings"] if f["rule"] == rule]
    if rule != "REG-001":
        broken = [f for f in document["findings"] if f["rule"] == "REG-001"]
        assert not broken, f"the case's edits broke the register: {broken}"
    expected = case.get("expect") or []
    assert len(found) == len(expected), f"expected {expected}, got {found}"
    remaining = list(found)
    for want in expected:
        match = next((f for f in remaining if _matches(f, want)), None)
        assert match is not None, f"no finding matches {want}; got {remaining}"
        remaining.remove(match)


def _matches(finding: dict[str, Any], want: dict[str, Any]) -> bool:
    for key, value in want.items():
        if key == "message":
            if str(value).lower() not in finding["message"].lower():
                return False
        elif key == "suppressed_by":
            if finding["suppressed_by"] != value:
                return False
        elif finding.get(key) != value:
            return False
    return not ("suppressed_by" not in want and finding["suppressed_by"] is not None)


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    """The catalogue is covered: each rule has at least one case that passes and one that fails."""
    from iotpolicy.rules import RULES

    passing = {p.values[0]["rule"] for p in CASES if not p.values[0].get("expect")}
    failing = {p.values[0]["rule"] for p in CASES if p.values[0].get("expect")}
    assert sorted(set(RULES) - failing) == []
    assert sorted(set(RULES) - passing) == []
