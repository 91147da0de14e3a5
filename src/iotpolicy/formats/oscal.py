"""The compliance state as an OSCAL 1.1 ``assessment-results`` document (``export oscal``), and
the ``assessment-plan`` it follows (``export oscal --plan``).

The plan (:func:`assessment_plan`) has one activity per rule of the catalogue (its documentation,
the controls it evidences), one task running all of them over the register (``iotpolicy check``),
the devices as its subjects and the controls the rules map to as reviewed controls. There is no
OSCAL system security plan: ``import-ssp`` points at a back-matter resource standing for the
register itself.

The results are built from the finished CheckResult (through ``Finding.to_dict()``) and the loaded
register:

- ``metadata``: title naming the organisation, policy document and as-of date; ``last-modified``
  is midnight UTC of the as-of date, ``version`` the as-of date, so the same register and date
  always give the same bytes;
- ``import-ap`` points at the plan, :data:`PLAN_FILE` beside the results; every origin names the
  plan's task;
- one ``result`` whose ``local-definitions`` hold the tool as a component and every valid device
  as an inventory item;
- one ``observation`` per rule evaluated (``pass`` or ``fail`` in its props, each finding as
  relevant evidence, the devices it reported as subjects);
- one ``finding`` per control the rules map to (``NIST AC-3`` becomes the target ``ac-3``, the id
  in NIST's own OSCAL catalogue; other frameworks a slug such as ``iso-27002-5.17``): target status
  ``not-satisfied`` when a rule mapped to it has an unsuppressed error (or warning, with
  ``strict``), else ``satisfied``;
- one ``risk`` per exception valid on the as-of date: status ``deviation-approved``, its
  compensating controls as a mitigating factor and its ``expires_on`` (end of that day, UTC) as
  the deadline.

Every UUID is a version-5 UUID of a stable name (organisation, document, kind and id, and the
as-of date for what belongs to one assessment), so identifiers survive from one export to the
next.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from iotpolicy import __version__
from iotpolicy.domain.exceptions import valid_exceptions
from iotpolicy.engine import context, secrets_of
from iotpolicy.findings import CheckResult
from iotpolicy.formats.doctext import markdown_text
from iotpolicy.grammar.escaping import one_line, visible_strings
from iotpolicy.models import Device, Policy, PolicyException
from iotpolicy.project import PROJECT_URL, RULES_DOC_URL, rule_help_uri
from iotpolicy.register import Register
from iotpolicy.rules import RULES, Rule
from iotpolicy.wording import plural

OSCAL_VERSION = "1.1.2"
"""The OSCAL version the document declares."""
NAMESPACE = f"{PROJECT_URL}/ns/oscal"
"""``ns`` of the properties OSCAL does not define itself."""
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, f"{PROJECT_URL}/oscal")
"""The namespace of every UUID of the document."""
PLAN_FILE = "assessment-plan.json"
"""Where the results expect the plan: this file name, in the results' folder."""

Json = dict[str, Any]


def render_oscal(
    register: Register, result: CheckResult, strict: bool = False, plan: bool = False
) -> str:
    """The assessment-results document (with ``plan``: the assessment plan) as indented JSON
    with a final newline; no value that looks like a credential is in it."""
    builder = _Builder(register, result, strict)
    scrub = secrets_of(register)
    document = visible_strings(scrub.data(builder.plan() if plan else builder.document()))
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def assessment_results(register: Register, result: CheckResult, strict: bool = False) -> Json:
    """The OSCAL document (``{"assessment-results": ...}``) for ``result`` on ``register``."""
    return _Builder(register, result, strict).document()


def assessment_plan(register: Register, result: CheckResult) -> Json:
    """The OSCAL assessment plan (``{"assessment-plan": ...}``) the results follow."""
    return _Builder(register, result, False).plan()


def control_id(reference: str) -> str:
    """The OSCAL control id (a token) of a framework reference: ``NIST AC-3`` -> ``ac-3``,
    ``ISO 27002 5.17`` -> ``iso-27002-5.17``, ``NIS2 21(2)(e)`` -> ``nis2-21-2-e``."""
    words = re.findall(r"[a-z0-9]+(?:\.[0-9]+)*", reference.lower())
    if words[:1] == ["nist"]:
        words = words[1:]
    token = "-".join(words) or "control"
    return token if re.match(r"[a-z_]", token) else f"control-{token}"


def timestamp(day: date, end_of_day: bool = False) -> str:
    """``2026-11-25T00:00:00Z`` (or ``T23:59:59Z``)."""
    return f"{day.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}Z"


def prop(name: str, value: object, standard: bool = False) -> Json | None:
    """An OSCAL property (in our namespace unless ``standard``); None for an empty value."""
    text = one_line(str(value)) if value is not None else ""
    if not text:
        return None
    entry: Json = {"name": name, "value": text}
    if not standard:
        entry["ns"] = NAMESPACE
    return entry


def props(*entries: Json | None) -> list[Json]:
    """The given properties without the empty ones."""
    return [entry for entry in entries if entry is not None]


def _compact(node: Json) -> Json:
    """``node`` without empty lists (OSCAL arrays hold at least one item)."""
    return {key: value for key, value in node.items() if value != []}


class _Builder:
    """Builds the document; one instance per export."""

    def __init__(self, register: Register, result: CheckResult, strict: bool) -> None:
        self.register, self.result, self.strict = register, result, strict
        self.as_of = result.as_of
        record = register.policy
        self.policy: Policy | None = record.model if record is not None else None
        self.scope = "/".join(
            [
                (self.policy.organization or "") if self.policy else "",
                self.policy.document if self.policy else "",
            ]
        )
        self.findings = result.to_dict()["findings"]
        ctx = context(register, self.as_of)
        self.exceptions: list[PolicyException] = valid_exceptions(ctx)
        self.devices: dict[str, Device] = {}
        for device in sorted(ctx.devices, key=lambda r: r.model.id):
            self.devices.setdefault(device.model.id, device.model)
        self.vendor_names = {v.id: v.name for v in ctx.vendors.values()}

    def uid(self, *parts: str, dated: bool = True) -> str:
        """The UUID of a named part of the document (``dated``: it belongs to this assessment)."""
        name = "/".join([self.scope, *parts, *([self.as_of.isoformat()] if dated else [])])
        return str(uuid.uuid5(UUID_NAMESPACE, name))

    def document(self) -> Json:
        """The whole results document."""
        return {
            "assessment-results": {
                "uuid": self.uid("assessment-results"),
                "metadata": self.metadata(),
                "import-ap": {
                    "href": PLAN_FILE,
                    "remarks": "The assessment plan iotpolicy export oscal --plan writes: every "
                    "rule of the catalogue is an activity, evaluated over the whole register.",
                },
                "results": [self.result_entry()],
            }
        }

    def plan(self) -> Json:
        """The whole plan document."""
        resource = self.uid("resource", "register", dated=False)
        activities = [self.activity(RULES[rule_id]) for rule_id in self.rule_ids()]
        every_device = {
            "type": "inventory-item",
            "description": "Every device of the register; each rule's scope says which it judges.",
            "include-all": {},
        }
        return {
            "assessment-plan": {
                "uuid": self.uid("assessment-plan", __version__, dated=False),
                "metadata": self.metadata(plan=True),
                "import-ssp": {
                    "href": f"#{resource}",
                    "remarks": "There is no OSCAL system security plan: the register (policy.yaml "
                    "and its record folders) describes the system.",
                },
                "local-definitions": {
                    "components": [self.tool_component()],
                    "activities": activities,
                },
                "reviewed-controls": self.reviewed_controls(),
                "assessment-subjects": [every_device],
                "tasks": [
                    {
                        "uuid": self.task_uuid(),
                        "type": "action",
                        "title": "Run iotpolicy check over the register",
                        "description": "iotpolicy check evaluates every activity (rule) over the "
                        "register as of a date; iotpolicy export oscal records the outcome as "
                        "assessment results.",
                        "associated-activities": [
                            {"activity-uuid": a["uuid"], "subjects": [every_device]}
                            for a in activities
                        ],
                    }
                ],
                "back-matter": {
                    "resources": [
                        {
                            "uuid": resource,
                            "title": "The iotpolicy register",
                            "description": "The register folder: policy.yaml, people.yaml and "
                            "one YAML file per device, segment, vendor, exception, advisory and "
                            "incident, kept in git.",
                            "props": props(prop("register", self.result.register)),
                        },
                        {
                            "uuid": self.uid("resource", "catalogue", dated=False),
                            "title": "The iotpolicy rule catalogue",
                            "rlinks": [{"href": RULES_DOC_URL, "media-type": "text/markdown"}],
                        },
                    ]
                },
            }
        }

    def task_uuid(self) -> str:
        """The plan's one task (running iotpolicy check)."""
        return self.uid("task", "check", dated=False)

    def activity(self, rule: Rule) -> Json:
        """One rule as an activity of the plan."""
        return {
            "uuid": self.uid("activity", rule.id, dated=False),
            "title": f"{rule.id} {rule.title}",
            "description": markdown_text(rule.doc or rule.title),
            "props": props(
                prop("rule", rule.id),
                prop("severity", rule.severity_label),
                prop("source", f"P35S {rule.source}"),
            ),
            "links": [{"href": rule_help_uri(rule.id), "rel": "help"}],
            "related-controls": {
                "control-selections": [
                    {
                        "include-controls": [
                            {"control-id": token}
                            for token in dict.fromkeys(control_id(c) for c in rule.controls)
                        ]
                    }
                ]
            },
        }

    def reviewed_controls(self) -> Json:
        """Every control the evaluated rules map to."""
        return {
            "control-selections": [
                {"include-controls": [{"control-id": token} for token in self.controls()]}
            ]
        }

    def metadata(self, plan: bool = False) -> Json:
        """Title, dates, versions and the organisation."""
        policy = self.policy
        subject = policy.title if policy else "IoT/OT security policy"
        if policy and policy.document:
            subject = f"{policy.document} {subject}"
        organisation = policy.organization if policy else None
        title = f"{'Assessment plan for' if plan else 'Assessment of'} {subject}"
        if organisation:
            title += f" at {organisation}"
        metadata: Json = {
            "title": f"{title}, as of {self.as_of.isoformat()}",
            "last-modified": timestamp(self.as_of),
            "version": __version__ if plan else self.as_of.isoformat(),
            "oscal-version": OSCAL_VERSION,
            "props": props(
                prop("policy-document", policy.document if policy else None),
                prop("policy-revision", self.revision_in_force()),
                prop("classification", policy.classification if policy else None),
                prop("tool-version", __version__),
            ),
        }
        if organisation:
            metadata["parties"] = [
                {
                    "uuid": self.uid("party", "organization", dated=False),
                    "type": "organization",
                    "name": " ".join(organisation.split()),
                }
            ]
        return _compact(metadata)

    def revision_in_force(self) -> str | None:
        """Number of the latest revision dated on or before the as-of date."""
        if not self.policy:
            return None
        dated = [r for r in self.policy.revisions if r.date <= self.as_of]
        return dated[-1].number if dated else None

    def result_entry(self) -> Json:
        """The one result: local definitions, reviewed controls, observations, risks, findings."""
        observations = self.observations()
        risks = self.risks()
        summary = self.result.summary
        return _compact(
            {
                "uuid": self.uid("result"),
                "title": f"Compliance state as of {self.as_of.isoformat()}",
                "description": (
                    f"iotpolicy check over {plural(summary.devices, 'device file')}: "
                    f"{plural(summary.errors, 'error')}, {plural(summary.warnings, 'warning')}, "
                    f"{summary.suppressed} suppressed by exceptions."
                ),
                "start": timestamp(self.as_of),
                "end": timestamp(self.as_of),
                "local-definitions": _compact(
                    {
                        "components": [self.tool_component()],
                        "inventory-items": [self.inventory_item(d) for d in self.devices.values()],
                    }
                ),
                "reviewed-controls": self.reviewed_controls(),
                "observations": observations,
                "risks": risks,
                "findings": self.control_findings(),
            }
        )

    def origins(self) -> list[Json]:
        """The tool as the actor behind every observation, finding and risk, doing the plan's
        task."""
        return [
            {
                "actors": [{"type": "tool", "actor-uuid": self.uid("component", dated=False)}],
                "related-tasks": [{"task-uuid": self.task_uuid()}],
            }
        ]

    def tool_component(self) -> Json:
        """iotpolicy itself, the tool that made every observation."""
        return {
            "uuid": self.uid("component", dated=False),
            "type": "software",
            "title": "iotpolicy",
            "description": "Compliance checks for an IoT/OT security policy register kept as YAML "
            "in git.",
            "props": [prop("version", __version__, standard=True)],
            "links": [{"href": PROJECT_URL, "rel": "homepage"}],
            "status": {"state": "operational"},
        }

    def inventory_item(self, device: Device) -> Json:
        """One device with its identity, placement and firmware."""
        network, firmware, location = device.network, device.firmware, device.location
        ip = network.ip if network else None
        address = "ipv6-address" if ip and ":" in ip else "ipv4-address"
        vendor = self.vendor_names.get(device.vendor or "", device.vendor)
        where = ", ".join(p for p in (location.site, location.area) if p) if location else None
        return {
            "uuid": self.uid("device", device.id, dated=False),
            "description": " ".join(device.name.split()) or device.id,
            "props": props(
                prop("asset-id", device.id, standard=True),
                prop("asset-type", "appliance", standard=True),
                prop("vendor-name", vendor, standard=True),
                prop("model", device.model, standard=True),
                prop("serial-number", device.serial, standard=True),
                prop("software-version", firmware.version if firmware else None, standard=True),
                prop(address, ip, standard=True),
                prop("mac-address", network.mac if network else None, standard=True),
                prop("fqdn", network.hostname if network else None, standard=True),
                prop("category", device.category.value),
                prop("device-type", device.type),
                prop("status", device.status.value),
                prop("segment", network.segment if network else None),
                prop("location", where),
                prop("owner", device.owner),
                prop("end-of-support", device.end_of_support),
            ),
        }

    def rule_ids(self) -> list[str]:
        """Every rule evaluated (and any rule with a finding), by id."""
        return sorted({*self.result.rules, *(f["rule"] for f in self.findings)})

    def controls(self) -> dict[str, str]:
        """Control id -> the reference as the catalogue writes it, sorted by id."""
        found: dict[str, str] = {}
        for rule_id in self.rule_ids():
            for reference in RULES[rule_id].controls:
                found.setdefault(control_id(reference), reference)
        return dict(sorted(found.items()))

    def failing(self, record: dict[str, Any]) -> bool:
        """True when a finding counts against its controls."""
        if record["suppressed_by"] is not None:
            return False
        return record["severity"] == "error" or self.strict

    def observations(self) -> list[Json]:
        """One observation per rule evaluated."""
        by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in self.findings:
            by_rule[record["rule"]].append(record)
        entries = []
        for rule_id in self.rule_ids():
            rule, found = RULES[rule_id], by_rule.get(rule_id, [])
            open_ = [f for f in found if f["suppressed_by"] is None]
            outcome = "fail" if any(self.failing(f) for f in found) else "pass"
            subjects = sorted({f["subject"] for f in found if f["subject"] in self.devices})
            entries.append(
                _compact(
                    {
                        "uuid": self.uid("observation", rule_id),
                        "title": f"{rule_id} {rule.title}",
                        "description": markdown_text(rule.doc or rule.title),
                        "props": props(
                            prop("rule", rule_id),
                            prop("outcome", outcome),
                            prop("errors", sum(f["severity"] == "error" for f in open_)),
                            prop("warnings", sum(f["severity"] == "warning" for f in open_)),
                            prop("suppressed", len(found) - len(open_)),
                        ),
                        "links": [{"href": f"{RULES_DOC_URL}#{rule_id.lower()}", "rel": "help"}],
                        "methods": ["TEST"],
                        "types": ["control-objective"],
                        "origins": self.origins(),
                        "subjects": [
                            {
                                "subject-uuid": self.uid("device", s, dated=False),
                                "type": "inventory-item",
                                "title": s,
                            }
                            for s in subjects
                        ],
                        "relevant-evidence": [_evidence(f) for f in found],
                        "collected": timestamp(self.as_of),
                        "remarks": _remarks(outcome, found),
                    }
                )
            )
        return entries

    def risks(self) -> list[Json]:
        """One deviation-approved risk per exception valid on the as-of date."""
        entries = []
        for exception in self.exceptions:
            rule = RULES.get(exception.rule.strip())
            subjects = ", ".join(s.strip() for s in exception.subjects)
            about = f"{exception.rule.strip()} ({rule.title})" if rule else exception.rule
            statement = f"Findings of {about} about {subjects} are accepted"
            if exception.expires_on:
                statement += f" until {exception.expires_on.isoformat()}"
            entry: Json = {
                "uuid": self.uid("risk", exception.id, dated=False),
                "title": f"Exception {exception.id}: {exception.rule.strip()} for {subjects}",
                "description": exception.justification or "No justification recorded.",
                "statement": statement + ".",
                "props": props(
                    prop("exception", exception.id),
                    prop("rule", exception.rule.strip()),
                    prop("approved-by", exception.approved_by),
                    prop("approved-on", exception.approved_on),
                ),
                "status": "deviation-approved",
                "origins": self.origins(),
            }
            if exception.compensating_controls:
                entry["mitigating-factors"] = [
                    {
                        "uuid": self.uid("mitigating-factor", exception.id, dated=False),
                        "description": exception.compensating_controls,
                    }
                ]
            if exception.expires_on:
                entry["deadline"] = timestamp(exception.expires_on, end_of_day=True)
            if rule and rule.id in self.rule_ids():
                entry["related-observations"] = [
                    {"observation-uuid": self.uid("observation", rule.id)}
                ]
            entries.append(_compact(entry))
        return entries

    def control_findings(self) -> list[Json]:
        """One finding per control: satisfied unless a rule mapped to it fails."""
        rules_of: dict[str, list[str]] = defaultdict(list)
        for rule_id in self.rule_ids():
            for reference in RULES[rule_id].controls:
                token = control_id(reference)
                if rule_id not in rules_of[token]:
                    rules_of[token].append(rule_id)
        failing_rules = {f["rule"] for f in self.findings if self.failing(f)}
        entries = []
        for token, reference in self.controls().items():
            rule_ids = rules_of[token]
            failed = [r for r in rule_ids if r in failing_rules]
            state = "not-satisfied" if failed else "satisfied"
            if failed:
                description = f"{reference} is not satisfied: {', '.join(failed)} failed."
            else:
                description = f"{reference} is satisfied: {', '.join(rule_ids)} passed."
            risks = [
                self.uid("risk", e.id, dated=False)
                for e in self.exceptions
                if e.rule.strip() in rule_ids
            ]
            entries.append(
                _compact(
                    {
                        "uuid": self.uid("finding", token),
                        "title": reference,
                        "description": description,
                        "props": props(prop("rules", " ".join(rule_ids))),
                        "origins": self.origins(),
                        "target": {
                            "type": "objective-id",
                            "target-id": token,
                            "title": reference,
                            "status": {"state": state, "reason": "fail" if failed else "pass"},
                        },
                        "related-observations": [
                            {"observation-uuid": self.uid("observation", r)} for r in rule_ids
                        ],
                        "related-risks": [{"risk-uuid": r} for r in risks],
                    }
                )
            )
        return entries


def _evidence(record: dict[str, Any]) -> Json:
    """One finding as relevant evidence of its rule's observation."""
    text = f"{record['file']} line {record['line']}, {record['subject']}: {record['message']}"
    text += f" ({record['severity']}"
    if record["suppressed_by"] is not None:
        text += f", suppressed by exception {record['suppressed_by']}"
    return {"description": text + ")"}


def _remarks(outcome: str, found: list[dict[str, Any]]) -> str:
    """How many findings the rule gave, and its outcome."""
    if not found:
        return "No findings."
    return f"{plural(len(found), 'finding')}; outcome: {outcome}."
