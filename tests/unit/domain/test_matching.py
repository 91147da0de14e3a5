"""Advisories to devices: company names to vendor ids, exact matches (model number, serial
number, CPE, name) that feed FW-002, fuzzy ones that are only shown."""

from __future__ import annotations

from typing import Any

import pytest

from iotpolicy.domain.csaf import parse_csaf
from iotpolicy.domain.matching import MatchMethod, advisory_affects, match_devices
from iotpolicy.grammar.names import company_key, resolve_record, resolve_vendor, slugify
from iotpolicy.models import Device
from tests.support.realworld import CSAF, field_files

VENDORS = {
    "siemens": "Siemens AG",
    "axis": "Axis Communications",
    "moxa": "Moxa Inc.",
    "schneider-electric": "Schneider Electric SE",
    "honeywell": "Honeywell International Inc.",
}


def _devices() -> list[Device]:
    files = field_files()
    return [Device.model_validate(v) for k, v in sorted(files.items()) if k.startswith("devices/")]


@pytest.mark.parametrize(
    ("name", "vendor"),
    [
        ("Siemens", "siemens"),
        ("Siemens AG", "siemens"),
        ("siemens", "siemens"),
        ("Schneider Electric", "schneider-electric"),
        ("SCHNEIDER ELECTRIC SE", "schneider-electric"),
        ("Moxa", "moxa"),
        ("Honeywell", "honeywell"),  # the one vendor whose name starts with it
        ("Axis Communications AB", "axis"),
        ("Siemens ProductCERT", "siemens"),
        ("Rockwell Automation", None),
        ("", None),
    ],
)
def test_resolve_vendor(name: str, vendor: str | None) -> None:
    assert resolve_vendor(name, VENDORS) == vendor


def test_names() -> None:
    assert company_key("Honeywell International Inc.") == "honeywell international"
    assert company_key("S.A.") == "s.a"
    assert slugify("ICSA-24-289-02") == "icsa-24-289-02"
    assert slugify("Line 1 / Packaging PLC (old)") == "line-1-packaging-plc-old"
    assert slugify("!!!", "device") == "device"
    assert len(slugify("x" * 100)) == 63
    people = {"ole-hansen": "Ole Hansen", "anna-berg": "Anna Berg"}
    assert resolve_record("ole-hansen", people) == "ole-hansen"
    assert resolve_record("  ole   HANSEN ", people) == "ole-hansen"
    assert resolve_record("Ole", people) is None


def _matches(name: str) -> list[Any]:
    advisory = parse_csaf((CSAF / name).read_bytes(), name)
    return match_devices(advisory.affected, _devices(), VENDORS)


def test_model_numbers_match_exactly_wildcards_included() -> None:
    got = [
        (m.device, m.product, m.method, m.affected, m.exact) for m in _matches("ssa-979901.json")
    ]
    assert got == [
        # plc-01 (SIMATIC S7-1200) is only similar to the S7-1200 CPU products: shown once, the
        # best of them, for review
        ("plc-01", "SIMATIC S7-1200 CPU 1214C", MatchMethod.FUZZY, True, False),
        ("plc-02", "SIMATIC S7-1200 CPU 1215C DC/DC/DC", MatchMethod.MODEL_NUMBER, True, True),
        ("plc-03", "SIMATIC S7-1200 CPU 1214C", MatchMethod.MODEL_NUMBER, False, True),
    ]


def test_name_cpe_and_fixed_complement_matches() -> None:
    matches = _matches("mpsa-249901.json")
    got = [(m.device, m.product, m.versions, m.method, m.affected) for m in matches]
    assert got == [
        ("gw-01", "MGate 5103", ">=2.0,<2.3", MatchMethod.NAME, True),
        ("gw-01", "MGate 5103", ">=3.0,<3.1", MatchMethod.NAME, False),
        ("gw-02", "MGate MB3170 Series", "<V4.5", MatchMethod.CPE, True),
        ("gw-03", "MGate 5103", ">=2.0,<2.3", MatchMethod.FUZZY, True),  # the one best
        ("nport-01", "NPort 5150", "<3.11", MatchMethod.NAME, True),
    ]
    fuzzy = matches[3]
    assert fuzzy.certainty == pytest.approx(20 / 22)  # "mgate 5103-t" and "mgate 5103"
    assert "similar name" in fuzzy.describe() and "review" in fuzzy.describe()
    assert matches[0].describe() == (
        "gw-01 (MGate 5103, firmware 2.2): MGate 5103 >=2.0,<2.3 by name and version; affected"
    )
    assert matches[0].to_dict()["exact"] is True


def test_real_cisa_document_matches_by_name() -> None:
    (match,) = _matches("icsa-24-289-02.json")
    assert (match.device, match.method, match.affected) == (
        "dce-01",
        MatchMethod.NAME,
        True,
    )
    assert _matches("icsa-23-166-05.json") == []  # no WinCC or PCS 7 in the register


def test_only_exact_matches_become_affects_entries() -> None:
    advisory = parse_csaf((CSAF / "mpsa-249901.json").read_bytes())
    matches = match_devices(advisory.affected, _devices(), VENDORS)
    assert advisory_affects(advisory.affected, matches) == [
        {"model": "MGate 5103", "versions": ">=2.0,<2.3"},
        {"model": "MGate 5103", "versions": ">=3.0,<3.1"},
        # gw-02 matched by CPE: the range under its registered model too, so FW-002 sees it
        {"model": "MGate MB3170", "versions": "<V4.5"},
        # the product's CPE too, so a device registered later with that CPE is matched
        {
            "model": "MGate MB3170 Series",
            "cpe": "cpe:2.3:h:moxa:mgate_mb3170:-:*:*:*:*:*:*:*",
            "versions": "<V4.5",
        },
        {"model": "NPort 5150", "versions": "<3.11"},
        # nothing for gw-03 (MGate 5103-T): a fuzzy match is never written (it is a candidate)
    ]
    siemens = parse_csaf((CSAF / "ssa-979901.json").read_bytes())
    entries = advisory_affects(
        siemens.affected, match_devices(siemens.affected, _devices(), VENDORS)
    )
    models = [e["model"] for e in entries]
    assert "6ES7215-1AG40-0XB0" in models and "6ES7 214-1AG40-0XB0" in models
    assert "SIMATIC S7-1200" not in models


def test_retired_devices_and_other_vendors_never_match() -> None:
    advisory = parse_csaf((CSAF / "mpsa-249901.json").read_bytes())
    devices = _devices()
    moved = [d.model_copy(update={"vendor": "siemens"}) if d.id == "gw-01" else d for d in devices]
    assert "gw-01" not in {m.device for m in match_devices(advisory.affected, moved, VENDORS)}
    retired = [
        d.model_copy(update={"status": "retired"}) if d.id == "gw-01" else d for d in devices
    ]
    assert "gw-01" not in {m.device for m in match_devices(advisory.affected, retired, VENDORS)}
    assert match_devices(advisory.affected, devices, {"siemens": "Siemens AG"}) == []


@pytest.mark.parametrize(
    ("model", "product", "method"),
    [
        # the device's model is the product's, without its order number: an exact match
        ("SIMATIC Cloud Connect 7 CC712", "SIMATIC Cloud Connect 7 CC712 (6GK1411-1AC00)", "name"),
        # every word of one name is a word of the other: possible, for a person to decide
        ("SIMATIC S7-1200", "SIMATIC S7-1200 CPU 1214C", "similar"),
        ("S7 1200 CPU 1214C DC/DC/DC", "SIMATIC S7-1200 CPU 1214C DC/DC/DC", "similar"),
        ("AXIS P3245-LV", "AXIS P3245-LVE", "similar"),  # the same numbers, 96% alike
        # other numbers are other products, however alike the names
        ("MGate 5109", "MGate 5103", None),
        ("SIMATIC S7-1500", "SIMATIC S7-1200", None),
        # other products of one family are no match (they were 76-78% "similar" once)
        ("Desigo PXC4.E16", "Desigo PXC64-U", None),
        ("SIMATIC HMI TP700 Comfort", "SIMATIC HMI KTP700 Basic (6AV2123-2GB03-0AX0)", None),
        ("SIMATIC", "SIMATIC S7-1200", None),  # a brand alone names no product
    ],
)
def test_which_names_match(model: str, product: str, method: str | None) -> None:
    from iotpolicy.domain.csaf import AffectedProduct, Product

    device = Device.model_validate(
        {
            "id": "d-01", "name": "d", "category": "ot", "type": "plc", "status": "active",
            "vendor": "siemens", "model": model, "firmware": {"version": "1.0"},
        }
    )  # fmt: skip
    affected = [AffectedProduct(Product("1", product, "Siemens", None, product), "*", (), ())]
    found = match_devices(affected, [device], VENDORS)
    methods = {"name": MatchMethod.NAME, "similar": MatchMethod.FUZZY}
    assert [m.method for m in found] == ([methods[method]] if method else [])
