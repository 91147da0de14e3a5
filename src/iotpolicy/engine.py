"""Run the rules over a loaded register, turn violations into findings, apply exceptions, sort."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from iotpolicy.domain.exceptions import UNSUPPRESSIBLE, valid_exceptions
from iotpolicy.errors import UsageError
from iotpolicy.findings import CheckResult, Finding
from iotpolicy.grammar.secrets import Scrubber, hidden_values
from iotpolicy.register import Register
from iotpolicy.rules import RULES, Rule
from iotpolicy.view import Context


def select_rules(ids: Iterable[str] = ()) -> list[Rule]:
    """The rules named by ``ids`` (all when empty), in catalogue order; unknown ids are a usage
    error."""
    wanted = [i.strip().upper() for i in ids]
    unknown = sorted(set(wanted) - set(RULES))
    if unknown:
        raise UsageError(
            f"unknown rule id {', '.join(unknown)} (see iotpolicy rules for the catalogue)"
        )
    return [
        rule
        for rule in sorted(RULES.values(), key=lambda r: r.id)
        if not wanted or rule.id in wanted
    ]


def context(register: Register, as_of: date) -> Context:
    """The query layer over ``register`` as of ``as_of``, knowing the rule catalogue (for rule
    references): what rules, reports, the review, the editing commands and OSCAL read."""
    return Context(register=register, as_of=as_of, known_rules=frozenset(RULES))


def evaluate(
    register: Register,
    as_of: date,
    rules: list[Rule],
    label: str,
    subjects: bool = False,
    prior: Sequence[Finding] = (),
) -> CheckResult:
    """Every finding of ``rules`` on ``register`` as of ``as_of``, exceptions applied, sorted;
    with ``subjects``, also the subjects each rule judged. ``prior``: findings made earlier of
    the device files the register took from elsewhere (the check cache), kept for the selected
    rules."""
    ctx = context(register, as_of)
    scrub = secrets_of(register)
    findings: list[Finding] = []
    for rule in rules:
        for violation in rule.check(ctx):
            findings.append(
                Finding(
                    rule=rule.id,
                    severity=violation.severity or rule.severity,
                    subject=scrub(violation.subject),
                    file=violation.file,
                    line=violation.line,
                    message=scrub(violation.message),
                    controls=rule.controls,
                    properties=violation.properties,
                )
            )
    selected = {rule.id for rule in rules}
    findings.extend(f for f in prior if f.rule in selected)
    findings = apply_exceptions(ctx, findings)
    findings.sort(key=lambda f: f.sort_key)
    return CheckResult(
        register=label,
        as_of=as_of,
        findings=tuple(findings),
        devices=register.device_files,
        rules=tuple(rule.id for rule in rules),
        subjects={rule.id: ctx.subjects(rule.scope) for rule in rules} if subjects else {},
    )


def secrets_of(register: Register) -> Scrubber:
    """What takes the register's credential-looking values out of any output made from it: a
    finding quotes values (an id, a reference, a remote access method, an unknown key), and
    none of them may carry a secret into an output. Only the files whose text may hold a
    credential (``Register.flagged``, judged once as they were read) are walked."""
    values: set[str] = set()
    for record in register.all_records():
        if record.file in register.flagged:
            values |= hidden_values(record.data)
    # The device files the cache spared reading hold no credential-looking value: the cache
    # keeps no file with a REG-004 finding or such a fact (CheckCache.save).
    return Scrubber(values)


def apply_exceptions(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """Mark each finding that a valid exception covers (rule and subject) as suppressed by it;
    REG and EXC findings are never suppressed, and nothing is dropped."""
    cover: dict[tuple[str, str], str] = {}
    for exception in valid_exceptions(ctx):
        for subject in exception.subjects:
            cover.setdefault((exception.rule.strip(), subject.strip()), exception.id)
    result = []
    for finding in findings:
        exception_id = cover.get((finding.rule, finding.subject))
        if exception_id and finding.rule.split("-")[0] not in UNSUPPRESSIBLE:
            finding = finding.suppressed(exception_id)
        result.append(finding)
    return result
