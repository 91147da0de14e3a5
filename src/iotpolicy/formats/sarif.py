"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run, identified by ``automationDetails.id`` ``iotpolicy/<register path>/`` (so two registers
in one repository keep their own alerts); ``tool.driver.rules`` describes every evaluated rule in
plain text and Markdown, with what code scanning ranks alerts by: ``security-severity`` (see
:data:`SECURITY_SEVERITY`), ``precision``, ``problem.severity`` and the tags ``security`` plus the
rule's frameworks and controls. One result per finding; its region is the finding's line
(``startLine`` and ``endLine``; no columns: the whole line) and its
``partialFingerprints.primaryLocationLineHash`` the fingerprint of ``formats.common.located``,
which survives lines moving. FW-002 results carry the advisories' ``cvss`` and known-exploited
status in ``properties`` and lead their message with them.

File locations are relative to the repository root (percent-encoded where needed) with
``uriBaseId`` ``%SRCROOT%``, as CodeQL writes them; outside a git repository they are relative to
the register folder with ``uriBaseId`` ``REGISTERROOT``, described in ``run.originalUriBaseIds``.
A suppressed finding carries an external, accepted suppression whose justification names the
exception. Register text passes through :func:`iotpolicy.grammar.escaping.visible`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from iotpolicy import __version__
from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import Located, located
from iotpolicy.formats.doctext import markdown_text, plain_text
from iotpolicy.grammar.escaping import visible
from iotpolicy.project import PROJECT_URL, rule_help_uri
from iotpolicy.reports.coverage import split_control
from iotpolicy.rules import RULES, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
"""The ``$schema`` GitHub's documentation uses for SARIF 2.1.0."""
REPOSITORY_BASE = "%SRCROOT%"
"""``uriBaseId`` of paths relative to the repository root."""
REGISTER_BASE = "REGISTERROOT"
"""``uriBaseId`` of paths relative to the register folder (a register outside git)."""
FINGERPRINT = "primaryLocationLineHash"
"""The ``partialFingerprints`` key code scanning reads (see ``formats.common.located``)."""

SCORES = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
"""``security-severity`` of each level, the middle of the band GitHub maps to it (critical above
9.0, high 7.0 to 8.9, medium 4.0 to 6.9, low 0.1 to 3.9)."""
SECURITY_SEVERITY: dict[str, str] = {
    # An attacker's way in: known vulnerabilities, default or stored credentials, forbidden
    # conduits, insecure services, unapproved remote access, unsupported firmware.
    "FW-002": "high",
    "ACC-002": "high",
    "REG-004": "high",
    "SEG-004": "high",
    "CFG-002": "high",
    "ACC-004": "high",
    "VEN-003": "high",
    "LIF-001": "high",
    # Weakened controls: access, segmentation, integrity, monitoring, disposal, privacy.
    "ACC-001": "medium",
    "ACC-003": "medium",
    "CFG-001": "medium",
    "FW-001": "medium",
    "FW-003": "medium",
    "INV-001": "medium",
    "LIF-002": "medium",
    "MON-001": "medium",
    "PRV-001": "medium",
    "SEG-001": "medium",
    "SEG-002": "medium",
    "SEG-003": "medium",
    "VEN-001": "medium",
    # Governance and bookkeeping: the register, the policy document, reviews, exceptions.
    "CFG-003": "low",
    "EXC-001": "low",
    "INV-002": "low",
    "POL-001": "low",
    "POL-002": "low",
    "POL-003": "low",
    "POL-004": "low",
    "POL-005": "low",
    "REG-001": "low",
    "REG-002": "low",
    "REG-003": "low",
    "VEN-002": "low",
}
"""Rule id -> how much a finding exposes the plant, for code scanning's ranking. A rule missing
here (a new one) ranks by its severity: medium for errors, low for warnings."""
PRECISION = {"FW-002": "high", "FW-003": "medium"}
"""``precision`` of the rules that judge by matching names (advisories to devices); every other
rule reads declared facts and is ``very-high``."""


def render_sarif(result: CheckResult) -> str:
    """The result as one SARIF 2.1.0 log, indented, with a final newline."""
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: CheckResult) -> dict[str, Any]:
    """The SARIF log as a dict."""
    findings = located(result)
    rule_ids = sorted({*result.rules, *(f.record["rule"] for f in findings)})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    base = REPOSITORY_BASE if result.repository_path is not None else REGISTER_BASE
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iotpolicy",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [rule_descriptor(RULES[rule_id]) for rule_id in rule_ids],
            }
        },
        "automationDetails": {"id": automation_id(result)},
    }
    if result.repository_path is None:
        run["originalUriBaseIds"] = {
            REGISTER_BASE: {
                "description": {"text": "The register folder (the one holding policy.yaml)."}
            }
        }
    run["results"] = [_result(f, base, index[f.record["rule"]]) for f in findings]
    run["properties"] = {"register": visible(result.register), "asOf": result.as_of.isoformat()}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def automation_id(result: CheckResult) -> str:
    """``iotpolicy/<register path in the repository>/`` (``iotpolicy/`` for a register at the
    top or outside git): the category code scanning keeps this register's alerts under."""
    path = visible(result.repository_path or "")
    return f"iotpolicy/{path}/" if path else "iotpolicy/"


def security_severity(rule: Rule) -> str:
    """The rule's ``security-severity`` score (see :data:`SECURITY_SEVERITY`)."""
    default = "medium" if rule.severity.value == "error" else "low"
    return SCORES[SECURITY_SEVERITY.get(rule.id, default)]


def rule_tags(rule: Rule) -> list[str]:
    """``security``, the frameworks the rule maps to, then its controls."""
    frameworks = dict.fromkeys(split_control(reference)[0] for reference in rule.controls)
    return ["security", *frameworks, *rule.controls]


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """The ``reportingDescriptor`` of one rule."""
    controls = ", ".join(rule.controls)
    doc = rule.doc or rule.title
    heading = f"**{rule.title}** ({rule.severity_label}; source: P35S {rule.source})"
    return {
        "id": rule.id,
        "name": pascal_case(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": plain_text(doc)},
        "help": {
            "text": f"{plain_text(doc)}\n\nControls: {controls}",
            "markdown": f"{heading}\n\nControls: {controls}\n\n{markdown_text(doc)}",
        },
        "helpUri": rule_help_uri(rule.id),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {
            "tags": rule_tags(rule),
            "precision": PRECISION.get(rule.id, "very-high"),
            "problem.severity": rule.severity.value,
            "security-severity": security_severity(rule),
            "source": f"P35S {rule.source}",
        },
    }


def _result(f: Located, base: str, rule_index: int) -> dict[str, Any]:
    record = f.record
    extra = {name: value for name, value in f.properties.items() if name != "lead"}
    entry: dict[str, Any] = {
        "ruleId": record["rule"],
        "ruleIndex": rule_index,
        "level": record["severity"],
        "message": {"text": visible(message_text(f))},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(f.path, errors="surrogateescape"),
                        "uriBaseId": base,
                    },
                    "region": {"startLine": record["line"], "endLine": record["line"]},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: f.fingerprint},
        "properties": {"subject": visible(record["subject"]), "tags": record["controls"], **extra},
    }
    if record["suppressed_by"] is not None:
        entry["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"exception {visible(record['suppressed_by'])}",
            }
        ]
    return entry


def message_text(f: Located) -> str:
    """``subject: message``, after what makes the finding urgent when its properties say so
    (FW-002): ``known exploited (CISA KEV, due ...), CVSS 9.8: subject: firmware ...`` (the
    message's own lead, the known-exploited label, moves before the subject)."""
    subject, message = f.record["subject"], f.record["message"]
    lead, cvss = f.properties.get("lead"), f.properties.get("cvss")
    if lead and message.startswith(f"{lead}: "):
        message = message.removeprefix(f"{lead}: ")
    else:
        lead = None
    front = ", ".join(part for part in (lead, cvss is not None and f"CVSS {cvss:.1f}") if part)
    return f"{front}: {subject}: {message}" if front else f"{subject}: {message}"


def pascal_case(title: str) -> str:
    """``Vendors are assessed by the General Manager`` -> ``VendorsAreAssessedByTheGeneralManager``
    (SARIF's rule ``name``)."""
    return "".join(word[0].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))
