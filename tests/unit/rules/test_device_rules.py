"""Device-rule behaviour that the data cases (tests/cases/INV.yaml, SEG.yaml ...) cannot express.

* Service names are lower-case words in the model (register.md), so ``Telnet`` is a REG-001
  error and CFG-002 never sees it through the CLI. The rule itself still matches names ignoring
  case and surrounding spaces (controls.md, "Text matching"), checked on models built past
  validation (line numbers still come from the file as written).
* A suppressed CFG-002 finding does not fail the check; an expired exception's does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iotpolicy.register import load_register
from iotpolicy.rules import RULES
from iotpolicy.view import Context
from tests.support.baseline import AS_OF

TELNET = {"name": "telnet", "port": 23, "protocol": "tcp", "justification": "Legacy HMI"}


def _exception(approved_on: str, expires_on: str) -> dict[str, Any]:
    return {
        "id": "exc-1",
        "rule": "CFG-002",
        "subjects": ["plc-01"],
        "justification": "The HMI only speaks telnet.",
        "approved_by": "anna-berg",
        "approved_on": approved_on,
        "expires_on": expires_on,
    }


def test_a_capitalised_service_name_is_a_model_error_not_a_cfg_002_finding(
    check_json: Callable[..., Any],
) -> None:
    code, document = check_json({"devices/plc-01.yaml": {"hardening.services.0.name": "Telnet"}})
    assert code == 1
    found = {(f["rule"], f["subject"], f["line"]) for f in document["findings"]}
    assert ("REG-001", "plc-01", 25) in found
    assert not [f for f in document["findings"] if f["rule"] == "CFG-002"]


def _context(root: Path, services: tuple[str, ...], insecure: tuple[str, ...] | None) -> Context:
    """The register at ``root`` with plc-01's service names and the insecure list replaced without
    validation (as if the model accepted any case)."""
    register = load_register(root)
    devices = register.records["device"]
    index = next(i for i, r in enumerate(devices) if r.subject == "plc-01")
    record = devices[index]
    hardening = record.model.hardening
    template = hardening.services[0]
    new_services = tuple(template.model_copy(update={"name": name}) for name in services)
    model = record.model.model_copy(
        update={"hardening": hardening.model_copy(update={"services": new_services})}
    )
    devices[index] = dataclasses.replace(record, model=model)
    if insecure is not None:
        policy = register.policy
        settings = policy.model.settings.model_copy(update={"insecure_services": insecure})
        register.policy = dataclasses.replace(
            policy, model=policy.model.model_copy(update={"settings": settings})
        )
    return Context(register=register, as_of=AS_OF, known_rules=frozenset(RULES))


def test_cfg_002_matches_service_names_ignoring_case_and_spaces(
    make_register: Callable[..., Path],
) -> None:
    root = make_register()
    ctx = _context(root, (" Telnet ", "s7comm"), None)
    violations = list(RULES["CFG-002"].check(ctx))
    assert [(v.subject, v.line) for v in violations] == [("plc-01", 25)]
    assert "Telnet" in violations[0].message

    ctx = _context(root, ("S7COMM",), ("telnet", " S7comm "))
    assert [v.subject for v in RULES["CFG-002"].check(ctx)] == ["plc-01"]

    ctx = _context(root, ("ssh",), ("TELNET",))
    assert list(RULES["CFG-002"].check(ctx)) == []


def test_a_valid_exception_keeps_the_check_green(check_json: Callable[..., Any]) -> None:
    edits = {
        "devices/plc-01.yaml": {"hardening.services.1": TELNET},
        "exceptions/exc-1.yaml": _exception("2026-06-01", "2027-05-31"),
    }
    code, document = check_json(edits)
    assert code == 0
    assert [(f["rule"], f["suppressed_by"]) for f in document["findings"]] == [("CFG-002", "exc-1")]
    assert document["summary"]["errors"] == 0
    assert document["summary"]["suppressed"] == 1


def test_an_expired_exception_fails_the_check(check_json: Callable[..., Any]) -> None:
    edits = {
        "devices/plc-01.yaml": {"hardening.services.1": TELNET},
        "exceptions/exc-1.yaml": _exception("2025-12-01", "2026-11-24"),
    }
    code, document = check_json(edits)
    assert code == 1
    rules = sorted((f["rule"], f["suppressed_by"]) for f in document["findings"])
    assert rules == [("CFG-002", None), ("EXC-001", None)]
    assert document["summary"]["suppressed"] == 0
