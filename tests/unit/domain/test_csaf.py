"""CSAF 2.0 parsing: the real CISA files and the files written for the tests (expected.yaml), the
range translation, the product tree's corners, and documents that are not CSAF."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from iotpolicy.domain.csaf import CsafError, RangeError, parse_csaf, translate_range
from iotpolicy.grammar.vendor_ranges import NoVersion
from iotpolicy.grammar.versions import in_range, range_problem
from tests.support.realworld import CSAF

EXPECTED: dict[str, Any] = yaml.safe_load((CSAF / "expected.yaml").read_text("utf-8"))
CISA_OT = CSAF / "cisa-ot"
CISA_EXPECTED: dict[str, Any] = yaml.safe_load((CISA_OT / "expected.yaml").read_text("utf-8"))
EVERY_VERSION = {"vers:all/*", "*", "All versions"}


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


# The forms real vendors and CISA write (the CISA corpus of 2017-2022).
VENDOR_FORMS = [
    # versions as vendors write them
    ("< V16 Update 4", ("<V16 Update 4",)),
    ("< V4.8 HF4", ("<V4.8 HF4",)),
    ("< V14 SP1 Update 14", ("<V14 SP1 Update 14",)),
    ("<= 3.4.4 Build 16102416", ("<=3.4.4 Build 16102416",)),
    ("< V15.1 Upd 4", ("<V15.1 Upd 4",)),
    ("<= 15.2(5)EA.fc4", ("<=15.2(5)EA.fc4",)),  # Cisco's parentheses are part of the version
    ("<= 01.07.13(10)", ("<=01.07.13(10)",)),
    ("<=W", ("<=W",)),  # a revision letter
    # conjunctions
    (">= V2.3 and < V6.30.016", (">=V2.3,<V6.30.016",)),
    ("> V1.1 and < V1.3.2", (">V1.1,<V1.3.2",)),
    (">V1.1<V2.0.1", (">V1.1,<V2.0.1",)),
    ("vers:all/>=V2.0<V2.1", (">=V2.0,<V2.1",)),  # CISA omits the |
    (">= V17 Update 2 < V17 Update 4", (">=V17 Update 2,<V17 Update 4",)),
    ("All versions between V2.5 (including) and V2.7 (excluding)", (">=V2.5,<V2.7",)),
    ("2.0.3.00.016 (including) and 2.0.6 (excluding)", (">=2.0.3.00.016,<2.0.6",)),
    ("Versions 2.00 to 6.11", (">=2.00,<=6.11",)),
    ("V1.81.01 - V1.81.03", (">=V1.81.01,<=V1.81.03",)),
    ("All versions V14 < V14 SP3", (">=V14,<V14 SP3",)),  # the V14 line before SP3
    ("16 <= 20", (">=16,<=20",)),
    # | constraints as the vers specification reads them, with or without vers:
    (">=15.00|<=20.4", (">=15.00,<=20.4",)),  # one interval, not "either bound"
    (">=2.0|<2.3|>=3.0|<3.1", (">=2.0,<2.3", ">=3.0,<3.1")),
    (">= 1.0 | <= 1.32", (">=1.0,<=1.32",)),
    ("> 4.001 | < 4.005 | > 5.011 | < 5.017", (">4.001,<4.005", ">5.011,<5.017")),
    (
        "<= 1.12.0.27 | 1.12.13.2 | 1.12.14.5",
        ("<=1.12.0.27", "==1.12.13.2", "==1.12.14.5"),  # a bare version is one more alternative
    ),
    ("< 1.99 | 2.20 | 2.40", ("<1.99", "==2.20", "==2.40")),
    ("5.1 | 6.0 | 6.1", ("==5.1", "==6.0", "==6.1")),
    (
        "1SAP500900R0101 | 1.91 <= 2.8.0.367",  # an order number among them names no version
        (">=1.91,<=2.8.0.367",),
    ),
    ("* | 1.5.0 plus205", ("*",)),  # one alternative is every version
    # several upper bounds in a vendor's own text: their union (never for a strict vers range)
    ("<= 4.2.21 | <= 5.0.27 | <= 5.1.19 | <= 6.0.16", ("<=6.0.16",)),
    ("<= 2.0.11 / 3.0.11", ("<=3.0.11",)),
    # qualifier words before or after the bound
    ("All versions < V2.3", ("<V2.3",)),
    ("All BIOS versions < V1.0.212N", ("<V1.0.212N",)),
    ("All firmware versions < V6.00.320", ("<V6.00.320",)),
    ("NMC2 <= 6.9.6", ("<=6.9.6",)),
    ("< CPC80 V16.30", ("<V16.30",)),
    ("< SIMATIC WinAC RTX 2010 SP3", ("<2010 SP3",)),
    ("V4.7: < V4.7 HF27", (">=V4.7,<V4.7 HF27",)),
    ("All versions < V 4.83", ("<V4.83",)),
    ("<=firmware_65", ("<=65",)),  # CISA's underscores for spaces
    # remarks: dropped, or another spelling of the range (their union)
    ("< 12.4 (firmware 1.46)", ("<12.4",)),
    ("All versions < V2.1 SP3 (2.1.670)", ("<V2.1 SP3",)),
    ("<= 9.6 (excluding 9.4.2.6 and 9.5.3.2)", ("<=9.6",)),  # dropped: wider, never narrower
    ("< 2.15 (Firmware versions prior to 8.26.4)", ("<8.26.4",)),
    ("<= Version 4.02C (aka <= Version 10.95.208.31)", ("<=10.95.208.31",)),
    ("< R02 (or Software Version 1.1.13166)", ("<R02",)),
    (
        "<= 7.20 (7.50 and 7.60 may also be affected if WibuKey was installed manually)",
        ("<=7.20", "==7.50", "==7.60"),
    ),
    ("4.1.1.7662 (and possibly prior versions)", ("<=4.1.1.7662",)),
    ("<=(R4.10)", ("<=R4.10",)),
    # conditions after the bound: dropped, which can only widen
    ("All versions <= V2.3.0 and Function State (FS) <= 3", ("<=V2.3.0",)),
    ("All versions < V8.1 with WinCC V7.3 Upd 19", ("<V8.1",)),
    (">= V5.2.0 < V5.3 only when running on ROX II V2.14.0", (">=V5.2.0,<V5.3",)),
    ("<= 5.12.2 | all microsoft windows operating systems", ("<=5.12.2",)),
    ("<= PI SDK 2018 SP1 Version 1.4.7.602", ("<=2018 SP1",)),  # 1.4.7.602 < 2018: covered
    # lists of exact versions
    ("V1.1, V1.2, and V1.3", ("==V1.1", "==V1.2", "==V1.3")),
    ("V15, V15.1 and V16", ("==V15", "==V15.1", "==V16")),
    ("Version B, Firmware A.01.09, Part #: N/A (Replaced by Version C)", ("==A.01.09",)),
    # wildcards and whole-number ranges: every version of the line
    ("2.X", (">=2,<3",)),
    ("12.2.*", (">=12.2,<12.3",)),
    ("1.2 *", (">=1.2,<1.3",)),
    ("All versions <= V7.x", ("<V8",)),
    (">= 4.0.x | <= 4.6.4", (">=4.0,<=4.6.4",)),
    (">= 2.3x | <= 6.00.327", (">=2.3,<=6.00.327",)),
    ("=< 4.6.20304.x | >= 4.6.0", (">=4.6.0,<4.6.20305",)),
    ("20-33", (">=20,<34",)),  # Rockwell's firmware revisions 20 to 33
    ("V191-V195", (">=191,<196",)),
]


@pytest.mark.parametrize(("text", "ranges"), VENDOR_FORMS)
def test_vendor_forms(text: str, ranges: tuple[str, ...]) -> None:
    assert translate_range(text) == ranges
    assert all(range_problem(expression) is None for expression in ranges)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("vers:all/>=V2.0<V2.1", ["V2.0", "V2.0.5"], ["V1.9", "V2.1", "V3.0"]),
        ("< V16 Update 4", ["V15", "V16", "V16 Update 3"], ["V16 Update 4", "V17"]),
        ("< V4.8 HF4", ["V4.8", "V4.8 HF3"], ["V4.8 Hotfix 4", "V4.9"]),
        (">=15.00|<=20.4", ["15.00", "18.2", "20.4"], ["14.9", "20.5"]),
        (
            "<= 1.12.0.27 | 1.12.13.2 | 1.12.14.5",
            ["1.12.0.26", "1.12.0.27", "1.12.13.2", "1.12.14.5"],
            ["1.12.0.28", "1.12.13.3", "1.12.14"],
        ),
        ("All BIOS versions < V1.0.212N", ["V1.0.212", "1.0.211"], ["V1.0.212N", "V1.0.213"]),
        ("12.2.*", ["12.2", "12.2.0", "12.2.99"], ["12.1.9", "12.3"]),
    ],
)
def test_translated_ranges_hold_what_the_vendor_said(
    text: str, inside: list[str], outside: list[str]
) -> None:
    ranges = translate_range(text)
    assert [v for v in inside if not any(in_range(v, r) for r in ranges)] == []
    assert [v for v in outside if any(in_range(v, r) for r in ranges)] == []


@pytest.mark.parametrize(
    "text",
    [
        "No version",
        "All versions with Ethernet interface",
        "All versions with U-Boot < V2016.05RS09",  # the bound is another component's
        "All versions only when running on ROX II < V2.15.1",
        "Versions including affected DNS modules",
        "DH-IPC-HDBW23A0RN-ZS,",  # a model name in product_version (crashed the import)
        "HEN32204",
        "2700988",  # an order number
        "1783-SAD4T0SBK9",
        "<=the_first_5_digits_of_serial_number_22081",
        "5  digits of serial number <= 24031",
        "<=Production_date_July_2020",
        "distributed  < april 1, 2018",  # a date
        "CODESYS Control RTE V3",  # a number in a product name
        "banana split",
    ],
)
def test_statements_that_name_no_version(text: str) -> None:
    with pytest.raises(NoVersion):
        translate_range(text)


@pytest.mark.parametrize(
    "text",
    [
        "< 17 | 4",  # CISA's split of "< V17 Update 4": read as <17 it would miss V17 Update 3
        "< 4.8 | SP5",
        "<= 4.1 | < january 20 2017.",  # a version and a date: neither can be dropped
        "R202",  # a version or a model: not guessed
        "S7-1211",
        "2.02 | 2.51 2.52 | 2.54",
        "< SP3 Update 6",
        "<= 2.0 and < 3.0",
        ">= 3.0 and < 2.0",  # an empty interval is a typo, not "no version"
        ">= <= 2.2",
        "V04 2.0",
        "vers:intdot/>=1|>=2",  # the vers specification's validation
        "vers:intdot/<1|<2",
    ],
)
def test_statements_that_are_not_guessed(text: str) -> None:
    with pytest.raises(RangeError) as caught:
        translate_range(text)
    assert not isinstance(caught.value, NoVersion)


_PIECES = st.sampled_from(
    [
        *"<>=!|,;&/()*.-_ vVxXRab0123456789",
        "and ",
        "or ",
        "to ",
        "SP",
        "Update ",
        "Build ",
        "All versions ",
        "with ",
        "(including)",
        "(excluding)",
        "prior",
        "vers:all/",
        "between ",
        "%3E",
        "april ",
        "serial number",
        "\x00",
        "\u2014",
        "\u00a0",
        "²",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_any_text_gives_valid_ranges_or_a_range_error(text: str) -> None:
    """No input makes the translation raise anything else, and whatever it returns reads in
    the register (the model's validator): the import can always record it."""
    try:
        ranges = translate_range(text)
    except RangeError:
        return
    assert ranges
    assert all(range_problem(expression) is None for expression in ranges)


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


@pytest.mark.parametrize("name", sorted(CISA_EXPECTED))
def test_real_cisa_advisories_are_read_whatever_their_versions(name: str) -> None:
    """CISA's older advisories, converted from text: model names, lists and remarks in
    product_version (six of these stopped the import with an internal error)."""
    advisory = parse_csaf((CISA_OT / name).read_bytes(), name)
    got: list[list[str | None]] = []
    for entry in advisory.affected:
        row = [entry.product.model, entry.product.version_range or entry.product.version]
        if [*row, entry.versions] not in got:
            got.append([*row, entry.versions])
    assert got == CISA_EXPECTED[name]
    assert all(range_problem(versions) is None for *_, versions in got)
    unread = {str(text) for _, text, versions in got if versions == "*"} - EVERY_VERSION
    named = {text for text in unread if any(f"'{text[:60]}" in w for w in advisory.warnings)}
    assert named == unread  # every statement recorded as * is named in a warning
    assert all("not understood" in warning for warning in advisory.warnings)


def _versions_document(*versions: tuple[str, str, str]) -> dict[str, Any]:
    """A document with one product per (category, version text, status)."""
    branches = [
        _branch(
            "product_name",
            f"Thing {index}",
            _branch(category, text, product={"name": f"Thing {index}", "product_id": f"P{index}"}),
        )
        for index, (category, text, _) in enumerate(versions)
    ]
    status: dict[str, list[str]] = {}
    for index, (*_, name) in enumerate(versions):
        status.setdefault(name, []).append(f"P{index}")
    return _document(
        product_tree={"branches": [_branch("vendor", "Example", *branches)]},
        vulnerabilities=[{"cve": "CVE-2025-0009", "product_status": status}],
    )


def test_unreadable_versions_in_every_status_are_every_version_never_a_crash() -> None:
    advisory = _parse(
        _versions_document(
            ("product_version", "DH-IPC-HDBW23A0RN-ZS,", "known_affected"),
            ("product_version", "V1.0.4, V1.1", "known_affected"),
            ("product_version", "V1.82 / later", "fixed"),  # fixed in what? affected: *
            ("product_version", "2.0 / 3.0 (beta)", "first_affected"),
            ("product_version_range", "< 17 | 4", "known_affected"),
        )
    )
    got = {(a.product.model, a.versions) for a in advisory.affected}
    assert got == {
        ("Thing 0", "*"),
        ("Thing 1", "==V1.0.4"),
        ("Thing 1", "==V1.1"),
        ("Thing 2", "*"),
        ("Thing 3", ">=2.0"),  # the lower of the two first affected versions
        ("Thing 4", "*"),
    }
    assert sorted(w.split(" (")[0] for w in advisory.warnings) == [
        "Thing 0: version 'DH-IPC-HDBW23A0RN-ZS,' not understood",
        "Thing 2: version 'V1.82 / later' not understood",
        "Thing 4: range '< 17 | 4' not understood",
    ]
    assert "(names no version of the product)" in advisory.warnings[0]


def test_first_affected_above_last_affected_is_every_version() -> None:
    advisory = _parse(
        _document(
            product_tree={
                "branches": [
                    _branch(
                        "product_name",
                        "Gate",
                        _branch("product_version", "3.0", product={"name": "a", "product_id": "A"}),
                        _branch("product_version", "2.0", product={"name": "b", "product_id": "B"}),
                    )
                ]
            },
            vulnerabilities=[
                {
                    "cve": "CVE-2025-0010",
                    "product_status": {"first_affected": ["A"], "last_affected": ["B"]},
                }
            ],
        )
    )
    assert [a.versions for a in advisory.affected] == ["*"]
    assert "last affected version '2.0' is below the first '3.0'" in advisory.warnings[0]


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
