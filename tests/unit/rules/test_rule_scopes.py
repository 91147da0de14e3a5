"""Every rule's scope names the subjects it judges: each finding of every rule case is about a
subject of its rule's scope (what JUnit lists as that rule's test cases)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.engine import evaluate, select_rules
from iotpolicy.register import load_register
from tests.conftest import edited_baseline, write_register
from tests.support.baseline import AS_OF
from tests.unit.rules.test_rule_cases import CASES

OTHER_SUBJECTS = {"POL-003"}
"""Rules whose findings name the record that caused them (a new device type, an advisory, an
incident) while judging the policy."""


@pytest.mark.parametrize("case", CASES)
def test_findings_are_about_subjects_of_the_rules_scope(
    case: dict[str, Any], tmp_path: Path
) -> None:
    root = write_register(tmp_path, edited_baseline(case.get("edits") or {}))
    as_of = date.fromisoformat(str(case.get("as_of", AS_OF)))
    result = evaluate(load_register(root), as_of, select_rules(), "r", subjects=True)
    for finding in result.findings:
        if finding.rule in OTHER_SUBJECTS:
            assert "policy" in result.subjects[finding.rule]
            continue
        assert finding.subject in result.subjects[finding.rule], finding
