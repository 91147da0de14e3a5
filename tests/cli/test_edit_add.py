"""``add-device``, ``add-vendor``, ``add-segment``, ``add-person`` and ``add-exception`` through the
CLI: options, prompts (stdin fed), every refusal, and what is printed after writing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from iotpolicy.yamlio.load import parse_text
from tests.conftest import Run
from tests.support.paths import REPO

ROOT = REPO
Cli = Callable[..., Run]

CAMERA = (
    "--id", "cam-03", "--name", "Dock camera", "--category", "iot", "--type", "camera",
    "--vendor", "axis", "--model", "AXIS P3245-LVE", "--serial", "ACCC8E000003",
    "--owner", "ole-hansen", "--site", "main-plant", "--area", "Dock", "--segment", "iot-cams",
    "--ip", "10.30.1.30", "--mac", "ac:cc:8e:00:00:03",
)  # fmt: skip
"""A planned camera on the baseline register."""

ACTIVE = (
    "--status", "active", "--commissioned-on", "2026-11-20",
    "--access-approved-by", "anna-berg", "--access-approved-on", "2026-11-10",
    "--default-credentials-changed", "--credentials-changed-on", "2026-11-19",
    "--unused-services-disabled", "--service", "https:443/tcp:Video management",
    "--account", "vms:service", "--remote-access", "none",
    "--firmware-version", "11.2.5", "--firmware-updated-on", "2026-11-19",
    "--integrity", "sha256", "--verified-on", "2026-11-19", "--verified-by", "ole-hansen",
    "--logging", "--log-destination", "syslog.mgmt.acme.internal",
    "--personal-data", "--dpia", "DPIA-2024-03", "--retention-days", "30",
    "--end-of-support", "2035-12-31", "--doc", "IOT-DOC-005 Camera hardening checklist",
)  # fmt: skip
"""Everything the active-device rules need for that camera."""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the commented example register."""
    return Path(shutil.copytree(ROOT / "register", tmp_path / "register"))


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of a register (but the lock file) and its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".iotpolicy.lock"
    }


# --- add-device: options ---------------------------------------------------------------------


def test_add_device_from_options_writes_a_planned_device_in_the_register_style(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("add-device", "--register", str(root), *CAMERA)
    assert run.exit_code == 0, run.stderr
    assert (root / "devices/cam-03.yaml").read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=../schemas/device.schema.json\n"
        "id: cam-03\n"
        "name: Dock camera\n"
        "category: iot\n"
        "type: camera\n"
        "vendor: axis\n"
        "model: AXIS P3245-LVE\n"
        'serial: "ACCC8E000003"\n'
        "status: planned\n"
        "owner: ole-hansen\n"
        "location:\n"
        "  site: main-plant\n"
        "  area: Dock\n"
        "network:\n"
        "  segment: iot-cams\n"
        "  ip: 10.30.1.30\n"
        '  mac: "ac:cc:8e:00:00:03"\n'
    )
    assert run.stdout.splitlines()[:2] == [
        "Add device cam-03: devices/cam-03.yaml written.",
        "No findings for cam-03.",
    ]
    assert "iotpolicy record-change cam-03 --kind commissioning" in run.stdout
    check = cli("check", "--register", str(root), "--as-of", "2026-11-25", "-f", "json")
    assert check.exit_code == 0 and check.json["summary"]["devices"] == 4


def test_add_device_status_active_needs_every_field_the_active_rules_need(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    before = files_of(root)
    run = cli("add-device", "--register", str(root), *CAMERA, "--status", "active")
    assert run.exit_code == 1
    assert files_of(root) == before
    lines = run.stderr.splitlines()
    assert lines[-1] == (
        "iotpolicy: refused: cam-03 does not meet the rules for an active device yet "
        f"({len(lines) - 1} problems); nothing was written"
    )
    rules = {line.split(": ")[1] for line in lines[:-1]}
    assert {"ACC-001", "ACC-002", "FW-001", "INV-001", "MON-001"} <= rules
    assert all(line.startswith("devices/cam-03.yaml:") for line in lines[:-1])

    run = cli("add-device", "--register", str(root), *CAMERA, *ACTIVE)
    assert run.exit_code == 0, run.stderr
    data = parse_text((root / "devices/cam-03.yaml").read_text(encoding="utf-8")).data
    assert data["status"] == "active"
    assert data["changes"] == [
        {"date": "2026-11-20", "kind": "commissioning",
         "summary": "In service when it was added to the register."}
    ]  # fmt: skip
    assert data["hardening"]["services"] == [
        {"name": "https", "port": "443", "protocol": "tcp", "justification": "Video management"}
    ]
    assert data["access"]["accounts"] == [{"name": "vms", "role": "service", "shared": "false"}]
    check = cli("check", "--register", str(root), "--as-of", "2026-11-25", "-f", "json")
    assert [f for f in check.json["findings"] if f["subject"] == "cam-03"] == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("--id", "cam-01"), "refused: device cam-01 already exists (devices/cam-01.yaml)"),
        (
            ("--vendor", "axiss"),
            "vendor: 'axiss' is not a known vendor; known: axis, siemens; "
            "add it with iotpolicy add-vendor",
        ),
        (
            ("--owner", "nobody"),
            "owner: 'nobody' is not a known person; known: anna-berg, "
            "ole-hansen; add it with iotpolicy add-person",
        ),
        (
            ("--segment", "iot-nowhere"),
            "network.segment: 'iot-nowhere' is not a known segment; "
            "known: iot-cams, mgmt, office, ot-line1; add it with iotpolicy add-segment",
        ),
        (("--ip", "10.99.0.1"), "network.ip: 10.99.0.1 is outside segment iot-cams (10.30.1.0/24)"),
        (("--ip", "10.30.1.21"), "network.ip: 10.30.1.21 is already used by cam-01"),
        (("--remote-access", "direct-internet"), "access.remote_access: must be one of none, vpn"),
    ],
    ids=["existing-id", "vendor", "owner", "segment", "outside-cidr", "ip-in-use", "remote"],
)
def test_add_device_refusals(
    cli: Cli, make_register: Callable[..., Path], change: tuple[str, str], expected: str
) -> None:
    root = make_register()
    before = files_of(root)
    args = dict(zip(CAMERA[::2], CAMERA[1::2], strict=True))
    args[change[0]] = change[1]
    run = cli("add-device", "--register", str(root), *(x for kv in args.items() for x in kv))
    assert run.exit_code == 1
    assert expected in run.stderr
    assert "nothing was written" in run.stderr
    assert files_of(root) == before
    assert "Traceback" not in run.stderr + run.stdout


def test_a_planned_device_may_reuse_the_ip_of_a_retired_one(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register(
        {"devices/cam-01.yaml": {"status": "retired", "disposal": {
            "date": "2026-10-01", "data_wiped": True, "credentials_revoked": True,
            "removed_from_network": True, "by": "ole-hansen"}}}
    )  # fmt: skip
    args = dict(zip(CAMERA[::2], CAMERA[1::2], strict=True))
    args["--ip"] = "10.30.1.21"
    run = cli("add-device", "--register", str(root), *(x for kv in args.items() for x in kv))
    assert run.exit_code == 0, run.stderr


def test_bad_option_values_are_usage_errors_that_never_echo_the_value(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli(
        "add-device", "--register", str(root), "--id", "Cam 3", "--name", "X",
        "--category", "camera", "--type", "camera", "--ip", "10.30.1.300",
        "--commissioned-on", "25.11.2026", "--notes", "login admin/hunter2",
    )  # fmt: skip
    assert run.exit_code == 2
    assert run.stderr.splitlines() == [
        "iotpolicy: --id: must be an id of lower-case letters, digits, '.', '_' and '-', "
        "starting with a letter or digit (at most 63 characters)",
        "iotpolicy: --category: must be one of iot, ot",
        "iotpolicy: --commissioned-on: must be a date written YYYY-MM-DD",
        "iotpolicy: --ip: must be an IPv4 or IPv6 address",
        "iotpolicy: --notes: looks like a credential (a password, key or token); never store "
        "credentials in the register",
        "iotpolicy: bad option values; nothing was written",
    ]
    assert "hunter2" not in run.stdout + run.stderr
    assert not (root / "devices/Cam 3.yaml").exists()


def test_without_a_terminal_missing_required_values_are_listed(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("add-device", "--register", str(root), "--name", "X")
    assert run.exit_code == 2
    assert run.stderr == (
        "iotpolicy: missing --id, --category, --type: give them as options, or run on a "
        "terminal (or with --interactive) to be asked\n"
    )
    assert run.stdout == ""  # no prompt was shown


# --- add-device: prompts ---------------------------------------------------------------------


def test_add_device_prompts_offer_choices_and_ask_again_until_each_answer_is_valid(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    answers = [
        "cam-01",  # taken
        "cam-04",
        "Yard camera",
        "camera",  # not a category
        "iot",
        "Camera",  # not lower case
        "camera",
        "axiss",  # unknown vendor
        "axis",
        "",  # model skipped
        "ACCC8E000004",
        "",  # status: the default, planned
        "ole-hansen",
        "main-plant",
        "",  # area skipped
        "iot-cams",
        "10.20.1.5",  # outside iot-cams
        "10.30.1.21",  # used by cam-01
        "10.30.1.40",
        "nonsense",  # not a MAC
        "",  # MAC skipped
    ]
    run = cli(
        "add-device", "--register", str(root), "--interactive", input="\n".join(answers) + "\n"
    )
    assert run.exit_code == 0, run.stderr
    assert "Vendor (axis, siemens) (Enter to skip):" in run.stdout
    assert "Owner (anna-berg, ole-hansen) (Enter to skip):" in run.stdout
    assert "Network segment (iot-cams, mgmt, office, ot-line1) (Enter to skip):" in run.stdout
    assert "Status (planned, active) [planned]:" in run.stdout
    assert run.stderr.splitlines() == [
        "  Device id: device cam-01 already exists (devices/cam-01.yaml)",
        "  Category: must be one of iot, ot",
        "  Device type (camera, plc, hmi, printer ...): must be a lower-case word of letters, "
        "digits and hyphens",
        "  Vendor: 'axiss' is not a known vendor; known: axis, siemens; add it with iotpolicy "
        "add-vendor",
        "  IP address: 10.20.1.5 is outside segment iot-cams (10.30.1.0/24)",
        "  IP address: 10.30.1.21 is already used by cam-01 (devices/cam-01.yaml)",
        "  MAC address: must be a MAC address such as 00:1b:1b:12:34:56",
    ]
    data = parse_text((root / "devices/cam-04.yaml").read_text(encoding="utf-8")).data
    assert data == {
        "id": "cam-04", "name": "Yard camera", "category": "iot", "type": "camera",
        "vendor": "axis", "serial": "ACCC8E000004", "status": "planned", "owner": "ole-hansen",
        "location": {"site": "main-plant"},
        "network": {"segment": "iot-cams", "ip": "10.30.1.40"},
    }  # fmt: skip


def test_options_given_are_not_asked_again_and_the_env_var_forces_prompts(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    given = CAMERA[: CAMERA.index("--vendor")]
    run = cli(
        "add-device", "--register", str(root), *given,
        input="\n" * 20, env={"IOTPOLICY_INTERACTIVE": "1"},
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "Device id" not in run.stdout and "Descriptive name" not in run.stdout
    assert "Vendor (axis, siemens)" in run.stdout
    assert (root / "devices/cam-03.yaml").exists()


def test_prompting_for_an_active_device_asks_for_what_the_active_rules_need(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli(
        "add-device", "--register", str(root), *CAMERA, "--status", "active", "--interactive",
        input="\n" * 40,
    )  # fmt: skip
    for question in (
        "Network access approved by (a general manager) (anna-berg)",
        "Default credentials changed? (yes/no)",
        "Firmware version",
        "Events logged centrally? (yes/no)",
        "Document describing the device",
    ):
        assert question in run.stdout
    assert "DPIA reference" not in run.stdout  # only asked when it records personal data
    assert run.exit_code == 1  # every answer skipped: the active rules refuse it


# --- the other kinds ---------------------------------------------------------------------------


def test_add_vendor_prints_the_findings_that_apply_to_it(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli(
        "add-vendor",
        "--register",
        str(root),
        "--id",
        "moxa",
        "--name",
        "Moxa Inc.",
        "--remote-maintenance",
        "--remote-method",
        "vpn",
        "--supervised",
    )
    assert run.exit_code == 0, run.stderr
    assert (root / "vendors/moxa.yaml").read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=../schemas/vendor.schema.json\n"
        "id: moxa\n"
        "name: Moxa Inc.\n"
        "remote_maintenance:\n"
        "  allowed: true\n"
        "  method: vpn\n"
        "  supervised: true\n"
    )
    assert "Findings of iotpolicy check for moxa:" in run.stdout
    assert "vendors/moxa.yaml:2: error: VEN-001:" in run.stdout
    assert "vendors/moxa.yaml:2: warning: VEN-002:" in run.stdout


def test_add_vendor_refuses_a_remote_method_the_settings_do_not_approve(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli(
        "add-vendor",
        "--register",
        str(root),
        "--id",
        "moxa",
        "--name",
        "Moxa",
        "--remote-maintenance",
        "--remote-method",
        "teamviewer",
    )
    assert run.exit_code == 1
    assert "remote_maintenance.method: must be one of vpn, jump-host" in run.stderr


def test_add_segment_with_flows(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    base = (
        "add-segment",
        "--register",
        str(root),
        "--id",
        "ot-line2",
        "--name",
        "Line 2",
        "--zone",
        "ot",
        "--cidr",
        "10.20.2.0/24",
        "--vlan",
        "220",
    )
    run = cli(*base, "--flow", "nowhere:syslog:514/udp:Logging")
    assert run.exit_code == 1
    assert "segments/ot-line2.yaml:7: flows: 'nowhere' is not a known flow target" in run.stderr
    assert run.stderr.count("nowhere") == 1  # check's REG-003 line is not repeated
    run = cli(
        *base,
        "--flow",
        "mgmt:syslog:514/udp:Central logging",
        "--flow",
        "internet:https:443/tcp:Vendor cloud",
    )
    assert run.exit_code == 0, run.stderr
    text = (root / "segments/ot-line2.yaml").read_text(encoding="utf-8")
    assert text.endswith(
        "flows:\n"
        "  - to: mgmt\n    service: syslog\n    port: 514\n    protocol: udp\n"
        "    purpose: Central logging\n"
        "  - to: internet\n    service: https\n    port: 443\n    protocol: tcp\n"
        "    purpose: Vendor cloud\n"
    )
    assert "segments/ot-line2.yaml:13: error: SEG-004: " in run.stdout  # OT to the internet


def test_add_person_appends_to_people_yaml_changing_no_other_line(cli: Cli, example: Path) -> None:
    before = (example / "people.yaml").read_text(encoding="utf-8")
    run = cli(
        "add-person",
        "--register",
        str(example),
        "--id",
        "lars-berg",
        "--name",
        "Lars Berg",
        "--title",
        "Electrician",
        "--role",
        "staff,contractor",
    )
    assert run.exit_code == 0, run.stderr
    after = (example / "people.yaml").read_text(encoding="utf-8")
    assert after == before + (
        "- id: lars-berg\n  name: Lars Berg\n  title: Electrician\n  roles: [staff, contractor]\n"
    )
    run = cli(
        "add-person",
        "--register",
        str(example),
        "--id",
        "lars-berg",
        "--name",
        "L",
        "--role",
        "staff",
    )
    assert run.exit_code == 1
    assert run.stderr == (
        "iotpolicy: refused: person lars-berg already exists (people.yaml); nothing was written\n"
    )


def test_add_person_creates_people_yaml_when_there_is_none(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register({"people.yaml": "~delete"})
    run = cli(
        "add-person",
        "--register",
        str(root),
        "--id",
        "anna-berg",
        "--name",
        "Anna Berg",
        "--role",
        "general-manager",
    )
    assert run.exit_code == 0, run.stderr
    assert (root / "people.yaml").read_text(encoding="utf-8") == (
        "# yaml-language-server: $schema=schemas/people.schema.json\n"
        "- id: anna-berg\n  name: Anna Berg\n  roles: [general-manager]\n"
    )


def test_add_person_needs_a_role(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    run = cli("add-person", "--register", str(root), "--id", "x", "--name", "X", "--role", "boss")
    assert run.exit_code == 2
    assert "--role: must be one of general-manager, operations-manager" in run.stderr


def _exception_args(root: Path, **changes: str) -> list[str]:
    today = date.today()
    args = {
        "--rule": "CFG-002",
        "--subject": "plc-01",
        "--justification": "Needs HTTP until the spring upgrade.",
        "--approved-by": "anna-berg",
        "--expires-on": (today + timedelta(days=90)).isoformat(),
        **{f"--{k.replace('_', '-')}": v for k, v in changes.items()},
    }
    return ["add-exception", "--register", str(root), *(x for kv in args.items() for x in kv)]


def test_add_exception_gets_the_next_free_id_and_today_as_approval(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    year = date.today().year
    root = make_register({f"exceptions/exc-{year}-001.yaml": {
        "id": f"exc-{year}-001", "rule": "ACC-003", "subjects": ["plc-01"],
        "approved_by": "anna-berg", "approved_on": date.today().isoformat(),
        "expires_on": (date.today() + timedelta(days=60)).isoformat()}})  # fmt: skip
    run = cli(*_exception_args(root))
    assert run.exit_code == 0, run.stderr
    text = (root / f"exceptions/exc-{year}-002.yaml").read_text(encoding="utf-8")
    assert f"id: exc-{year}-002\nrule: CFG-002\nsubjects: [plc-01]\n" in text
    assert f"approved_on: {date.today().isoformat()}\n" in text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"approved_by": "ole-hansen"},
            "approved_by: 'ole-hansen' is not a general manager (general managers: anna-berg)",
        ),
        ({"rule": "REG-004"}, "rule: REG-004 findings cannot be suppressed by an exception"),
        ({"rule": "XYZ-001"}, "rule: 'XYZ-001' is not a rule id"),
        ({"subject": "plc-99"}, "subjects: 'plc-99' is not the id of a record"),
        (
            {"approved_on": "2026-01-01", "expires_on": "2027-06-30"},
            "expires_on: 2027-06-30 is 545 days after the approval; an exception lasts at most "
            "365 days (settings.exception_max_days)",
        ),
        ({"expires_on": "2020-01-01"}, "expires_on: 2020-01-01 has already passed"),
    ],
    ids=["not-gm", "unsuppressible", "unknown-rule", "unknown-subject", "too-long", "past"],
)
def test_add_exception_refusals(
    cli: Cli, make_register: Callable[..., Path], changes: dict[str, str], expected: str
) -> None:
    root = make_register()
    run = cli(*_exception_args(root, **changes))
    assert run.exit_code == 1
    assert expected in run.stderr
    assert not (root / "exceptions").exists()


def test_add_exception_without_a_terminal_lists_what_it_requires(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("add-exception", "--register", str(root), "--rule", "CFG-002")
    assert run.exit_code == 2
    assert "missing --subject, --justification, --approved-by, --expires-on" in run.stderr


def test_add_exception_prompts_name_the_general_managers(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    expires = (date.today() + timedelta(days=30)).isoformat()
    answers = ["", "CFG-002", "plc-01", "", "Needs HTTP.", "", "ole-hansen", "anna-berg", "",
               expires]  # fmt: skip
    run = cli(
        "add-exception", "--register", str(root), "--interactive", input="\n".join(answers) + "\n"
    )
    assert run.exit_code == 0, run.stderr
    assert f"Exception id [exc-{date.today().year}-001]:" in run.stdout
    assert "Approved by (a general manager) (anna-berg):" in run.stdout
    assert "is not a general manager (general managers: anna-berg)" in run.stderr
