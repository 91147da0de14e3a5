"""Drafting advisory records without the CLI: a CSAF document becomes one record per registered
vendor (exact matches as affects entries, similar models as triage candidates); ``match`` drafts
refreshed candidates; ``kev`` drafts the known-exploited CVEs a catalogue adds."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from iotpolicy.domain.csaf import parse_csaf
from iotpolicy.errors import RefusedError
from iotpolicy.importers.advisories import advisory_drafts, kev_drafts, match_drafts
from iotpolicy.importers.kev import parse_kev
from iotpolicy.register import Register, load_register
from iotpolicy.writing.snapshot import Snapshot
from tests.cli.test_triage import SIMILAR
from tests.conftest import edited_baseline, write_register
from tests.support.paths import DATA
from tests.support.realworld import CSAF, field_files

RECEIVED = date(2026, 11, 21)
KEV = DATA / "kev"


def field_register(tmp_path: Path, extra: dict[str, Any] | None = None) -> Register:
    files = {**field_files(), **(extra or {})}
    return load_register(write_register(tmp_path / "register", files))


def drafted(register: Register, name: str, vendor: str | None = None) -> tuple[list, list]:
    document = parse_csaf((CSAF / name).read_bytes(), name)
    reports: list[Any] = []
    drafts = advisory_drafts(Snapshot(register, RECEIVED), document, vendor, RECEIVED, reports)
    return drafts, reports


def test_a_document_drafts_a_record_with_affects_and_candidates(tmp_path: Path) -> None:
    drafts, reports = drafted(field_register(tmp_path), "mpsa-249901.json")
    assert [(d.file, d.message, d.record) for d in drafts] == [
        ("advisories/mpsa-249901.yaml", "Add advisory mpsa-249901", True)
    ]
    record = yaml.safe_load(drafts[0].text)
    assert record["vendor"] == "moxa" and record["status"] == "open"
    assert record["received_on"] == RECEIVED
    assert record["triage"] == [
        {
            "device": "gw-03",
            "status": "candidate",
            "note": "possible match: model 'MGate 5103-T' is 91% similar to 'MGate 5103' "
            ">=2.0,<2.3",
        }
    ]
    ((rel, headline, matches, _),) = reports
    assert rel == "advisories/mpsa-249901.yaml" and headline.startswith("created: ")
    assert sorted({m.device for m in matches if m.exact}) == ["gw-01", "gw-02", "nport-01"]


def test_a_vendor_not_in_the_register_is_refused(tmp_path: Path) -> None:
    files = {k: v for k, v in field_files().items() if k != "vendors/moxa.yaml"}
    register = load_register(write_register(tmp_path / "register", files))
    with pytest.raises(RefusedError, match=r"its vendor \(.*\) is not in the register"):
        drafted(register, "mpsa-249901.json")


def test_the_same_revision_again_drafts_nothing(tmp_path: Path) -> None:
    first, _ = drafted(field_register(tmp_path), "ssa-979901.json")
    register = field_register(tmp_path / "again", {first[0].file: first[0].text})
    drafts, reports = drafted(register, "ssa-979901.json")
    assert drafts == []
    assert reports[0][1].startswith("unchanged: revision ")


def test_match_adds_and_drops_candidates(tmp_path: Path) -> None:
    advisory = SIMILAR.replace("device: plc-01", "device: gone-01")
    files = edited_baseline({"advisories/ssa-1.yaml": advisory})
    register = load_register(write_register(tmp_path / "register", files))
    drafts, updates = match_drafts(register)
    assert [u.describe() for u in updates] == [
        "Record triage candidate plc-01 and drop the candidate gone-01 in ssa-1"
    ]
    triage = yaml.safe_load(drafts[0].text)["triage"]
    assert [e["device"] for e in triage] == ["plc-01"]
    again = load_register(
        write_register(tmp_path / "again", {**files, drafts[0].file: drafts[0].text})
    )
    assert match_drafts(again) == ([], [])


def test_kev_drafts_the_known_exploited_cves(tmp_path: Path) -> None:
    vendor = {"id": "sensormatic", "name": "Sensormatic Electronics", "security_contact": "x@y.z"}
    source = KEV / "icsa-21-306-01.json"
    document = parse_csaf(source.read_bytes(), source.name)
    files = edited_baseline(
        {
            "vendors/sensormatic.yaml": vendor,
            "devices/cam-01.yaml": {"vendor": "sensormatic", "model": "VideoEdge"},
        }
    )
    register = load_register(write_register(tmp_path / "register", files))
    created = advisory_drafts(Snapshot(register, RECEIVED), document, None, RECEIVED, [])
    files[created[0].file] = created[0].text
    register = load_register(write_register(tmp_path / "with-advisory", files))
    catalog = parse_kev((KEV / "kev-extract.json").read_bytes(), "kev-extract.json")
    drafts, changed = kev_drafts(register, catalog)
    assert changed == [
        (
            "advisories/icsa-21-306-01.yaml",
            [
                {
                    "cve": "CVE-2020-11023",
                    "date_added": date(2025, 1, 23),
                    "due_date": date(2025, 2, 13),
                    "ransomware": "unknown",
                }
            ],
        )
    ]
    assert "known_exploited:" in drafts[0].text
    files[drafts[0].file] = drafts[0].text
    assert kev_drafts(load_register(write_register(tmp_path / "again", files)), catalog) == ([], [])
