"""One meta-test over the whole registry: every rule is documented and mapped to controls."""

from __future__ import annotations

import re

import pytest

from iotpolicy.findings import Severity
from iotpolicy.rules import RULES
from iotpolicy.rules.base import RULE_ID, split_controls
from tests.support.paths import SHARED

SPEC = SHARED / "spec" / "controls.md"


@pytest.mark.parametrize("rule", sorted(RULES.values(), key=lambda r: r.id), ids=lambda r: r.id)
def test_rule_properties(rule: object) -> None:
    from iotpolicy.rules.base import Rule

    assert isinstance(rule, Rule)
    assert RULE_ID.match(rule.id)
    assert isinstance(rule.severity, Severity)
    assert rule.source.strip()
    assert rule.controls and all(c.strip() == c and c for c in rule.controls)
    assert len(rule.doc.splitlines()) >= 2, "the docstring is the rule's documentation"
    assert "Passes" in rule.doc and "Fails" in rule.doc, "each rule documents an example"


def test_catalogue_has_the_32_rules_of_the_contract() -> None:
    assert len(RULES) == 33


def test_split_controls_expands_shared_prefixes() -> None:
    assert split_controls("NIST AC-3, AC-6") == ("NIST AC-3", "NIST AC-6")
    assert split_controls("ISO 27002 5.17, NIST IA-5") == ("ISO 27002 5.17", "NIST IA-5")
    assert split_controls("GDPR Art. 32, 35; ETSI EN 303 645 5.8") == (
        "GDPR Art. 32",
        "GDPR Art. 35",
        "ETSI EN 303 645 5.8",
    )


@pytest.mark.skipif(not SPEC.exists(), reason="the shared spec is beside the checkout only")
def test_rules_match_the_contract_table() -> None:
    """Ids, severities, sources and controls are exactly those of controls.md."""
    rows = re.findall(
        r"^\| ([A-Z]+-\d{3}) \| ([a-z /]+) \| .*? \| ([^|]+) \| ([^|]+) \|$",
        SPEC.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert len(rows) == 33
    for rule_id, severity, source, controls in rows:
        rule = RULES[rule_id]
        assert rule.severity_label == severity.strip()
        assert rule.source == source.strip()
        assert rule.controls == split_controls(controls.strip())
