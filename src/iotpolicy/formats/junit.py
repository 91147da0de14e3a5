"""``--format junit``: JUnit XML for GitLab, Jenkins and other test-report viewers.

One ``testsuite`` per evaluated rule, one ``testcase`` per subject the rule judged (``classname``
``iotpolicy.RULE``, ``name`` the subject: a device, vendor, segment, exception, ``policy`` ...; see
the rules' scopes). A subject with findings carries ``file`` and ``line`` of its first finding and
is a ``failure`` when any of them is unsuppressed (``type`` error or warning, the worst of them),
``skipped`` when every one is suppressed by an exception; a subject without findings passed. A
rule that had nothing to judge is one passing testcase named ``no subject``. Paths are relative
to the repository root (to the register outside git).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import Located, located
from iotpolicy.rules import RULES

NOTHING = "no subject"
"""Name of the one testcase of a rule that had nothing to judge."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(result: CheckResult) -> str:
    """The result as a JUnit XML document with a final newline."""
    findings = sorted(located(result), key=lambda f: (f.record["rule"], f.record["subject"]))
    by_rule = {rule: list(group) for rule, group in groupby(findings, lambda f: f.record["rule"])}
    suites = ET.Element("testsuites", name="iotpolicy")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
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
            if subject not in found:
                ET.SubElement(
                    suite, "testcase", classname=f"iotpolicy.{rule_id}", name=_clean(subject)
                )
                continue
            outcome = _testcase(suite, rule_id, _clean(subject), found[subject])
            if outcome:
                counts[outcome] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("timestamp", timestamp)
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites, space="  ")
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _testcase(suite: ET.Element, rule_id: str, subject: str, found: list[Located]) -> str | None:
    """Add the testcase of one rule and subject; returns ``failures``, ``skipped`` or None."""
    first = found[0]
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"iotpolicy.{rule_id}",
        name=subject,
        file=_clean(first.path),
        line=str(first.record["line"]),
    )
    details = "\n".join(_detail(f) for f in found)
    open_ = [f for f in found if f.record["suppressed_by"] is None]
    if open_:
        severities = {f.record["severity"] for f in open_}
        failure = ET.SubElement(
            case,
            "failure",
            type="error" if "error" in severities else "warning",
            message=_clean(open_[0].record["message"]),
        )
        failure.text = details
        return "failures"
    exceptions = ", ".join(sorted({str(f.record["suppressed_by"]) for f in found}))
    skipped = ET.SubElement(case, "skipped", message=f"suppressed by exception {exceptions}")
    skipped.text = details
    return "skipped"


def _detail(f: Located) -> str:
    """``path:line: severity: message`` (with the suppressing exception, if any)."""
    record = f.record
    text = f"{f.path}:{record['line']}: {record['severity']}: {record['message']}"
    if record["suppressed_by"] is not None:
        text += f" (suppressed by exception {record['suppressed_by']})"
    return _clean(text)


def _suite_name(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return f"{rule_id} {rule.title}" if rule else rule_id


def _clean(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold (replaced by U+FFFD)."""
    return _NOT_XML.sub("\ufffd", text)
