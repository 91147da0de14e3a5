"""``--format junit``: JUnit XML for GitLab, Jenkins and other test-report viewers, valid against
the JUnit schema Jenkins' xUnit plugin checks (``junit-10.xsd``).

One ``testsuite`` per evaluated rule, one ``testcase`` per subject the rule judged (``classname``
``iotpolicy.RULE``, ``name`` the subject: a device, vendor, segment, exception, ``policy`` ...; see
the rules' scopes). Each unsuppressed finding is a ``failure`` of its subject's testcase (``type``
error or warning, ``message`` the finding's message, the text ``path:line: severity: message``);
a subject whose findings are all suppressed by exceptions is ``skipped``; a subject without
findings passed. A testcase with findings lists them all, suppressed ones included, in its
``system-out`` (the schema has no place for a file or line attribute). A rule that had nothing to
judge is one passing testcase named ``no subject``. ``tests`` counts testcases, ``failures`` and
``skipped`` the elements, as junitparser counts them; ``time`` is always ``0`` (the output stays
deterministic). Paths are relative to the repository root (to the register outside git); text
passes through :func:`iotpolicy.grammar.escaping.visible`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import Located, located
from iotpolicy.grammar.escaping import one_line, visible
from iotpolicy.rules import RULES

NOTHING = "no subject"
"""Name of the one testcase of a rule that had nothing to judge."""
TIME = "0"
"""``time`` of every suite and case: the check is not a timed test run."""


def render_junit(result: CheckResult) -> str:
    """The result as a JUnit XML document with a final newline."""
    findings = sorted(located(result), key=lambda f: (f.record["rule"], f.record["subject"]))
    by_rule = {rule: list(group) for rule, group in groupby(findings, lambda f: f.record["rule"])}
    suites = ET.Element("testsuites", name="iotpolicy", time=TIME)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    timestamp = f"{result.as_of.isoformat()}T00:00:00"
    for rule_id in sorted({*result.rules, *by_rule}):
        suite = ET.SubElement(suites, "testsuite", name=_suite_name(rule_id))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        found = {
            subject: list(group)
            for subject, group in groupby(by_rule.get(rule_id, []), lambda f: f.record["subject"])
        }
        judged = sorted({*result.subjects.get(rule_id, ()), *found}) or [NOTHING]
        for subject in judged:
            counts["tests"] += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"iotpolicy.{rule_id}",
                name=visible(subject),
                time=TIME,
            )
            for outcome in _outcomes(case, found.get(subject, [])):
                counts[outcome] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
        for key in totals:
            totals[key] += counts[key]
        suite.set("time", TIME)
        suite.set("timestamp", timestamp)
    for key, value in totals.items():  # testsuites has no skipped in junit-10.xsd
        suites.set(key, str(value))
    ET.indent(suites, space="  ")
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _outcomes(case: ET.Element, found: list[Located]) -> list[str]:
    """Add the findings of one testcase: a ``failure`` per unsuppressed finding, or one
    ``skipped`` when all are suppressed, then every finding in ``system-out``; returns what was
    added (``failures``, ``skipped``), one entry per element."""
    if not found:
        return []
    open_ = [f for f in found if f.record["suppressed_by"] is None]
    outcomes = []
    for f in open_:
        failure = ET.SubElement(
            case, "failure", type=f.record["severity"], message=one_line(f.record["message"])
        )
        failure.text = _detail(f)
        outcomes.append("failures")
    if not open_:
        exceptions = ", ".join(sorted({visible(str(f.record["suppressed_by"])) for f in found}))
        skipped = ET.SubElement(case, "skipped", message=f"suppressed by exception {exceptions}")
        skipped.text = "\n".join(_detail(f) for f in found)
        outcomes.append("skipped")
    ET.SubElement(case, "system-out").text = "\n".join(_detail(f) for f in found)
    return outcomes


def _detail(f: Located) -> str:
    """``path:line: severity: message`` (with the suppressing exception, if any)."""
    record = f.record
    text = f"{f.path}:{record['line']}: {record['severity']}: {record['message']}"
    if record["suppressed_by"] is not None:
        text += f" (suppressed by exception {record['suppressed_by']})"
    return visible(text)


def _suite_name(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return f"{rule_id} {rule.title}" if rule else rule_id
