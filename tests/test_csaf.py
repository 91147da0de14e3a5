"""CSAF 2.0 parsing: the real CISA files and the files written for the tests (expected.yaml), the
range translation, the product tree's corners, and documents that are not CSAF."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import yaml

from iotpolicy.csaf import CsafError, RangeError, parse_csaf, translate_range
from iotpolicy.versions import in_range
from tests.realworld import CSAF

EXPECTED: dict[str, Any] = yaml.safe_load((CSAF / "expected.yaml").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_documents_give_their_expected_advisory(name: str) -> None:
    want = EXPECTED[name]
    advisory = parse_csaf((CSAF / name).read_bytes(), name)
    assert advisory.id == want["id"]
    assert advisory.title == want["title"]
    assert advisory.published_on == want["published_on"]
    assert advisory.revised_on == want["revised_on"]
    assert advisory.revision == want["revision"]
    assert list(advisory.cves) == want["cves"]
    assert list(advisory.vendors) == want["vendors"]
    assert advisory.reference == want["reference"]
    got = [[a.product.model, a.versions, list(a.cves)] for a in advisory.affected]
    assert got == want["affects"]
    assert advisory.warnings == ()


def test_every_written_range_is_valid_register_syntax() -> None:
    for name in EXPECTED:
        for affected in parse_csaf((CSAF / name).read_bytes()).affected:
            assert affected.versions == "*" or all(
                term[:1] in "<>=" for term in affected.versions.split(",")
            )
            in_range("1.0", affected.versions)  # never raises


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("vers:all/*", ("*",)),
        ("vers:all/<V8.0", ("<V8.0",)),
        ("vers:intdot/<4.6.1", ("<4.6.1",)),
        ("vers:intdot/>=2.0|<2.3|>=3.0|<3.1", (">=2.0,<2.3", ">=3.0,<3.1")),
        ("vers:intdot/<3.1|>=2.0|>=3.0|<2.3", (">=2.0,<2.3", ">=3.0,<3.1")),  # any order
        ("vers:generic/1.0|>=2.0", (">=2.0", "==1.0")),
        ("vers:semver/1.0.0%2Bbuild.5", ("==1.0.0+build.5",)),  # %-encoded version
        ("vers:npm/!=1.0.3", ("*",)),  # != only widens
        ("<=8.1.1.3", ("<=8.1.1.3",)),
        ("< V5.5.0", ("<V5.5.0",)),
        ("<V19_Update_2", ("<V19_Update_2",)),
        (">=2.0 <2.5", (">=2.0,<2.5",)),
        (">= 2.0, < 2.5", (">=2.0,<2.5",)),
        ("All versions < V2.3", ("<V2.3",)),
        ("All versions", ("*",)),
        ("*", ("*",)),
        ("3.1 and prior", ("<=3.1",)),
        ("Version 3.1 and earlier", ("<=3.1",)),
        ("prior to 2.0", ("<2.0",)),
        ("V2.0 and later", (">=V2.0",)),
        ("2.3", ("==2.3",)),
        ("=2.3", ("==2.3",)),
    ],
)
def test_translate_range(text: str, ranges: tuple[str, ...]) -> None:
    assert translate_range(text) == ranges


@pytest.mark.parametrize(
    "text",
    [
        "",
        "banana split",
        "1.0 2.0",
        ">=1 latest",
        "vers:intdot/",
        "vers:intdot/>=1|>=2",
        "vers:semver/%3E%3D1.0.0",  # an operator %-encoded into the version
    ],
)
def test_ranges_that_cannot_be_read(text: str) -> None:
    with pytest.raises(RangeError):
        translate_range(text)


def test_translated_ranges_mean_what_the_vendor_said() -> None:
    (low, high) = translate_range("vers:intdot/>=2.0|<2.3|>=3.0|<3.1")
    assert [v for v in ("1.9", "2.0", "2.2.9", "2.3", "3.0.1", "3.1") if in_range(v, low)] == [
        "2.0",
        "2.2.9",
    ]
    assert [v for v in ("2.9", "3.0", "3.0.9", "3.1") if in_range(v, high)] == ["3.0", "3.0.9"]
    (update,) = translate_range("<V19_Update_2")
    assert in_range("V19 Update 1".replace(" ", "_"), update)
    assert not in_range("V19_Update_2", update)


def _document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Example Automation GmbH"},
            "title": "Example",
            "tracking": {
                "id": "EX-2025-001",
                "version": "3",
                "current_release_date": "2025-05-02T10:00:00+02:00",
                "initial_release_date": "2025-04-01T00:00:00Z",
                "status": "final",
                "revision_history": [],
            },
        },
        "product_tree": {},
        "vulnerabilities": [],
    }
    document.update(overrides)
    return document


def _parse(data: Any) -> Any:
    return parse_csaf(json.dumps(data).encode(), "doc.json")


def _branch(category: str, name: str, *inner: Any, product: Any = None) -> dict[str, Any]:
    branch: dict[str, Any] = {"category": category, "name": name}
    if inner:
        branch["branches"] = list(inner)
    if product:
        branch["product"] = product
    return branch


def test_first_and_last_affected_and_fixed_versions_make_one_range() -> None:
    tree = {
        "branches": [
            _branch(
                "vendor",
                "Example",
                _branch(
                    "product_name",
                    "Gate 9",
                    _branch("product_version", "1.2", product={"name": "a", "product_id": "A"}),
                    _branch("product_version", "1.8", product={"name": "b", "product_id": "B"}),
                    _branch("product_version", "2.0", product={"name": "c", "product_id": "C"}),
                    _branch("product_version", "1.0", product={"name": "d", "product_id": "D"}),
                ),
                _branch(
                    "product_name",
                    "Gate 7",
                    _branch("product_version", "4.1", product={"name": "e", "product_id": "E"}),
                    _branch("product_version", "5.0", product={"name": "f", "product_id": "F"}),
                ),
                _branch(
                    "product_name",
                    "Gate 5",
                    _branch("product_version", "V3.2", product={"name": "g", "product_id": "G"}),
                ),
            )
        ]
    }
    vulnerabilities = [
        {
            "cve": "CVE-2025-0001",
            "product_status": {"first_affected": ["A"], "fixed": ["D", "C"], "last_affected": []},
        },
        {"title": "No CVE yet", "product_status": {"fixed": ["E", "F"]}},
        {"cve": "cve-2025-0002", "product_status": {"known_affected": ["G"]}},
    ]
    advisory = _parse(_document(product_tree=tree, vulnerabilities=vulnerabilities))
    got = {(a.product.model, a.versions): a.cves for a in advisory.affected}
    assert got == {
        ("Gate 9", ">=1.2,<2.0"): ("CVE-2025-0001",),  # the lowest fixed version above 1.2
        ("Gate 7", "<5.0"): ("No CVE yet",),  # below the highest fixed version: conservative
        ("Gate 5", "==V3.2"): ("CVE-2025-0002",),
    }
    assert advisory.cves == ("CVE-2025-0001", "CVE-2025-0002")
    assert advisory.published_on == date(2025, 4, 1)
    assert advisory.revised_on == date(2025, 5, 2)  # the date as written, time zone ignored
    assert advisory.id == "ex-2025-001"


def test_full_product_names_relationships_and_helpers() -> None:
    tree = {
        "branches": [
            _branch(
                "vendor",
                "Example Automation",
                _branch(
                    "product_name",
                    "EX-100 firmware",
                    _branch(
                        "product_version_range",
                        "vers:intdot/<2.1",
                        product={"name": "EX-100 firmware < 2.1", "product_id": "FW"},
                    ),
                ),
            )
        ],
        "full_product_names": [
            {
                "name": "EX-100 controller",
                "product_id": "HW",
                "product_identification_helper": {
                    "model_numbers": ["EX100-*"],
                    "serial_numbers": ["SN-1*"],
                    "cpe": "cpe:2.3:h:example_automation:ex-100:-:*:*:*:*:*:*:*",
                },
            }
        ],
        "relationships": [
            {
                "category": "installed_on",
                "product_reference": "FW",
                "relates_to_product_reference": "HW",
                "full_product_name": {"name": "EX-100 firmware < 2.1 on EX-100", "product_id": "R"},
            }
        ],
    }
    advisory = _parse(
        _document(
            product_tree=tree,
            vulnerabilities=[{"cve": "CVE-2025-0003", "product_status": {"known_affected": ["R"]}}],
        )
    )
    (affected,) = advisory.affected
    product = affected.product
    assert (product.vendor, product.model, affected.versions) == (
        "Example Automation",
        "EX-100 firmware",
        "<2.1",
    )
    assert product.other_models == ("EX-100 controller",)
    assert product.model_numbers == ("EX100-*",)
    assert product.serial_numbers == ("SN-1*",)
    assert product.cpes == ("cpe:2.3:h:example_automation:ex-100:-:*:*:*:*:*:*:*",)
    hardware = next(p for p in advisory.products if p.product_id == "HW")
    assert hardware.vendor == "example automation"  # from the CPE


def test_unknown_product_ids_and_unreadable_ranges_are_warnings() -> None:
    tree = {
        "branches": [
            _branch(
                "product_name",
                "Thing",
                _branch(
                    "product_version_range",
                    "every odd build",
                    product={"name": "Thing", "product_id": "T"},
                ),
            )
        ]
    }
    advisory = _parse(
        _document(
            product_tree=tree,
            vulnerabilities=[
                {"cve": "CVE-2025-0004", "product_status": {"known_affected": ["T", "X"]}}
            ],
        )
    )
    assert [a.versions for a in advisory.affected] == ["*"]
    assert advisory.affected[0].product.vendor == "Example Automation GmbH"  # the vendor publisher
    assert len(advisory.warnings) == 2
    assert "'X' is not in the product tree" in advisory.warnings[0]
    assert "'every odd build' not understood" in advisory.warnings[1]


def test_newer_revision() -> None:
    advisory = parse_csaf((CSAF / "ssa-979901.json").read_bytes())
    assert advisory.is_newer_than("1", date(2025, 2, 11))
    assert advisory.is_newer_than(None, None)
    assert not advisory.is_newer_than("2", date(2025, 3, 11))
    assert not advisory.is_newer_than("1", date(2025, 4, 1))  # a later release on record
    assert advisory.is_newer_than("1", None)
    assert not advisory.is_newer_than("10", None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b"{not json", "invalid JSON at line 1"),
        (b"[1, 2]", "no 'document' object"),
        (json.dumps({"document": {"title": "x"}}).encode(), "document.csaf_version is missing"),
        (json.dumps({"document": {"csaf_version": "1.2"}}).encode(), "is not 2.0"),
        (
            json.dumps({"document": {"csaf_version": "2.0", "title": "x"}}).encode(),
            "document.category, document.tracking.id, document.tracking.version, "
            "document.tracking.current_release_date, document.tracking.initial_release_date "
            "are missing",
        ),
        (b"[" * 100_000, "not a CSAF document"),
        (
            # a CycloneDX SBOM is JSON, but not CSAF
            json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}).encode(),
            "no 'document' object",
        ),
    ],
)
def test_not_csaf_is_one_clear_error(content: bytes, message: str) -> None:
    with pytest.raises(CsafError) as caught:
        parse_csaf(content, "sbom.json")
    assert str(caught.value).startswith("sbom.json: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
