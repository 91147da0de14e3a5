"""REG-004 (stored credentials) beyond the data-driven cases: the secret itself never appears in any
output, an empty credential key is REG-001 only, and the recognisers in iotpolicy.grammar.secrets.

Also REG-003's convention that is not expressible as a rule case (the case harness refuses REG-001
findings in non-REG-001 cases): a record failing its model still resolves references, see
tests/unit/yamlio/test_load.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.formats import FORMATS
from iotpolicy.grammar.secrets import is_empty_value, is_secret_key, scan_text
from tests.conftest import Run

AS_OF = "2026-11-25"
SECRET = "Zq7xWv-91kLmP"
"""A distinctive value: if it shows up anywhere in an output, the output leaks it."""
SENSOR = "devices/sensor-02.yaml"
SENSOR_TEXT = (
    "id: sensor-02\nname: Planned humidity sensor\ncategory: ot\ntype: sensor\nstatus: planned\n"
)

LEAK_CASES: dict[str, dict[str, Any]] = {
    "password": {SENSOR: {"password": SECRET}},
    "db_password": {SENSOR: {"db_password": SECRET}},
    "snmp-community": {SENSOR: {"snmp-community": SECRET}},
    "wifi_psk": {SENSOR: {"wifi_psk": SECRET}},
    "api_key": {SENSOR: {"api_key": SECRET}},
    "apikey": {SENSOR: {"apikey": SECRET}},
    "private_key": {SENSOR: {"private_key": SECRET}},
    "token": {SENSOR: {"token": SECRET}},
    "wpa_key": {SENSOR: {"wpa_key": SECRET}},
    "wifi-passphrase": {SENSOR: {"wifi-passphrase": SECRET}},
    "login-pair": {SENSOR: {"notes": f"Factory login admin/{SECRET} until commissioning"}},
    "root-pair": {SENSOR: {"notes": f"Console (root / {SECRET})"}},
    "list-value": {SENSOR: {"snmp_community": [SECRET, "public"]}},
    "mapping-value": {SENSOR: {"api_key": {"primary": SECRET}}},
    "account-password": {"devices/plc-01.yaml": {"access.accounts.0.password": SECRET}},
    "comment": {SENSOR: SENSOR_TEXT + f"# admin password: {SECRET}\n"},
    "trailing-comment": {SENSOR: SENSOR_TEXT + f"notes: fine  # wifi_psk={SECRET}\n"},
    "free-text": {SENSOR: {"notes": f"Vendor login admin, password={SECRET} (temporary)"}},
    "free-text-colon": {SENSOR: {"notes": f"Remember: token: {SECRET}"}},
    "url": {"vendors/axis.yaml": {"advisory_feed": f"https://feed:{SECRET}@feeds.axis.com/"}},
    "private-key-block": {
        SENSOR: SENSOR_TEXT
        + f"notes: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  {SECRET}\n"
        + "  -----END OPENSSH PRIVATE KEY-----\n"
    },
    "people": {"people.yaml": {"1.phone_pin_token": SECRET}},
    "policy": {"policy.yaml": {"settings.smtp_password": SECRET}},
    "broken-yaml": {SENSOR: SENSOR_TEXT + f"password: {SECRET}\nnotes: [unclosed\n"},
    "wrong-field": {SENSOR: {"hardening": {"default_credentials_changed": SECRET}}},
    "wrong-enum": {SENSOR: {"status": SECRET}},
}


@pytest.fixture
def check(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> Callable[..., tuple[Run, Path]]:
    """Build the baseline with edits, run check in ``fmt``; returns the run and the register."""

    def run(edits: dict[str, Any], fmt: str, *extra: str) -> tuple[Run, Path]:
        root = make_register(edits)
        result = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", fmt, *extra)
        assert result.exit_code in (0, 1), result.stderr
        return result, root

    return run


def assert_no_leak(text: str) -> None:
    assert SECRET not in text
    assert SECRET not in "".join(text.split()), "the secret appears, wrapped over lines"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", list(LEAK_CASES))
def test_the_secret_value_never_appears_in_the_output(
    check: Callable[..., tuple[Run, Path]], name: str, fmt: str
) -> None:
    run, _ = check(LEAK_CASES[name], fmt)
    assert run.exit_code == 1
    assert_no_leak(run.stdout)
    assert_no_leak(run.stderr)
    if fmt == "json" and name not in ("wrong-field", "wrong-enum"):
        assert "REG-004" in [f["rule"] for f in run.json["findings"]]


def test_the_secret_never_appears_in_an_output_file(
    check: Callable[..., tuple[Run, Path]], tmp_path: Path
) -> None:
    edits = {SENSOR: {"password": SECRET, "notes": f"password={SECRET}"}}
    for fmt in sorted(FORMATS):
        out = tmp_path / f"report.{fmt}"
        run, _ = check(edits, fmt, "--output", str(out))
        assert run.stdout == ""
        assert_no_leak(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("notes: factory login admin/admin", True),
        ("notes: guest/guest on the kiosk", True),
        ("notes: (root/1234)", True),
        ("notes: admin/operator roles are separate", False),
        ("notes: user/viewer accounts", False),
        ("advisory_feed: https://example.com/en/support/product-support/advisories", False),
        ("path: /srv/admin/config", False),
    ],
)
def test_user_password_pairs_in_free_text(text: str, found: bool) -> None:
    assert bool(list(scan_text(text))) is found


def test_a_wrongly_typed_secret_is_not_echoed_by_reg_001(
    check: Callable[..., tuple[Run, Path]],
) -> None:
    run, _ = check(LEAK_CASES["wrong-field"], "json")
    messages = [f["message"] for f in run.json["findings"] if f["rule"] == "REG-001"]
    assert messages == ["hardening.default_credentials_changed: must be true or false"]


def test_secret_files_outside_the_register_are_not_read(
    check: Callable[..., tuple[Run, Path]], cli: Callable[..., Run], tmp_path: Path
) -> None:
    _, root = check({}, "json")
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"id: evil\npassword: {SECRET}\n", encoding="utf-8")
    try:
        (root / "devices" / "evil.yaml").symlink_to(outside)
    except (OSError, NotImplementedError):  # pragma: no cover - platforms without symlinks
        pytest.skip("symbolic links are not available here")
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    assert_no_leak(run.stdout)
    assert [f["rule"] for f in run.json["findings"]] == ["REG-001"]


# --- An empty credential key is REG-001 (unknown key), never REG-004 ------------------------------


@pytest.mark.parametrize(
    "written", ['""', "''", "~", "null", "", "[]", "{}", '"  "', "''  # to be filled in"]
)
def test_an_empty_credential_key_is_an_unknown_key_not_a_credential(
    check: Callable[..., tuple[Run, Path]], written: str
) -> None:
    run, _ = check({SENSOR: SENSOR_TEXT + f"password: {written}\n"}, "json")
    found = [(f["rule"], f["subject"], f["line"], f["message"]) for f in run.json["findings"]]
    assert found == [
        (
            "REG-001",
            "sensor-02",
            6,
            "password: unknown key (not a field of a device; check the spelling)",
        )
    ]


def test_an_empty_credential_in_a_comment_is_not_a_credential(
    check: Callable[..., tuple[Run, Path]],
) -> None:
    run, _ = check({SENSOR: SENSOR_TEXT + "# password:\n# token = ''\n"}, "json")
    assert run.json["findings"] == []


# --- Lines --------------------------------------------------------------------------------------


def test_reg_004_lines_count_line_feeds_only(check: Callable[..., tuple[Run, Path]]) -> None:
    """A U+2028 (refused by REG-001) must not shift the lines of the credential scan."""
    text = SENSOR_TEXT + "notes: a\u2028b\n" + f"password: {SECRET}\n"
    run, _ = check({SENSOR: text}, "json")
    found = {(f["rule"], f["line"]) for f in run.json["findings"]}
    assert found == {("REG-001", 6), ("REG-004", 7)}


def test_reg_004_lines_in_a_crlf_file(check: Callable[..., tuple[Run, Path]]) -> None:
    text = (SENSOR_TEXT + f"notes: see\nwifi_psk: {SECRET}\n").replace("\n", "\r\n")
    run, _ = check({SENSOR: b"\xef\xbb\xbf" + text.encode()}, "json")
    assert [(f["rule"], f["line"]) for f in run.json["findings"]] == [("REG-004", 7)]


def test_one_finding_per_subject_listing_every_line(
    check: Callable[..., tuple[Run, Path]],
) -> None:
    text = (
        "# people, maintained by the operations manager; shared token = abc123\n"
        "- id: anna-berg\n  name: Anna Berg\n  roles: [general-manager]\n"
        f"  notes: pwd={SECRET}\n"
        "- id: ole-hansen\n  name: Ole Hansen\n  roles: [operations-manager]\n"
        f"  wifi_psk: {SECRET}\n  api_key: {SECRET}\n"
    )
    run, _ = check({"people.yaml": text}, "json")
    found = [f for f in run.json["findings"] if f["rule"] == "REG-004"]
    assert [(f["subject"], f["line"]) for f in found] == [
        ("people", 1),
        ("anna-berg", 5),
        ("ole-hansen", 9),
    ]
    assert "(line 9)" in found[2]["message"] and "(line 10)" in found[2]["message"]


# --- The recognisers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "db_password",
        "admin-password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "token",
        "access-token",
        "psk",
        "wifi_psk",
        "community",
        "snmp-community",
        "snmp_community_ro",
        "credential",
        "api_key",
        "API-KEY",
        "apikey",
        "private_key",
        "ssh_private_key",
        "private-key",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "credentials_changed_on",
        "default_credentials_changed",
        "keyboard",
        "tokenizer",
        "passwordless",
        "api",
        "key",
        "public_key",
        "key_api",
        "private",
        "communityname",
        "compwd",
    ],
)
def test_not_secret_keys(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("value", "empty"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("~", True),
        ("null", True),
        ("None", True),
        ('""', True),
        ("' '", True),
        ([], True),
        ({}, True),
        ("[]", True),
        ("x", False),
        (["x"], False),
        ({"a": "b"}, False),
        ("0", False),
    ],
)
def test_empty_values(value: Any, empty: bool) -> None:
    assert is_empty_value(value) is empty


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("password: x", "a value for 'password'"),
        ("  - {user: admin, password: x}", "a value for 'password'"),
        ('"api_key": "x"', "a value for 'api_key'"),
        ("notes: login admin, password=x please", "a value for 'password'"),
        ("id: a  # token: x", "a value for 'token'"),
        ("feed: https://u:p@example.com/x", "a user:password in a URL"),
        ("feed: ftp://u:p@example.com", "a user:password in a URL"),
        ("  -----BEGIN EC PRIVATE KEY-----", "a private key block"),
        ("  -----BEGIN PRIVATE KEY-----", "a private key block"),
        ("  -----BEGIN ENCRYPTED PRIVATE KEY-----", "a private key block"),
    ],
)
def test_scan_text_finds(line: str, what: str) -> None:
    assert (1, what) in set(scan_text(line))


@pytest.mark.parametrize(
    "line",
    [
        "credentials_changed_on: 2024-03-10",
        "default_credentials_changed: true",
        "notes: change the password after each visit",
        "notes: password:",
        "security_contact: mailto:psirt@example.com",
        "feed: https://example.com/csaf/?lang=en",
        "contact: ops@example.com",
        "  -----BEGIN PUBLIC KEY-----",
        "  -----BEGIN CERTIFICATE-----",
        "time: 10:30",
    ],
)
def test_scan_text_ignores(line: str) -> None:
    assert list(scan_text(line)) == []


def test_scan_text_reports_every_credential_on_one_line() -> None:
    line = "id: x  # old password: a, new token: b"
    assert sorted(scan_text(line)) == [(1, "a value for 'password'"), (1, "a value for 'token'")]


def test_scan_text_results_never_contain_the_value() -> None:
    text = f"password: {SECRET}\nurl: https://u:{SECRET}@h/\n# token={SECRET}\n"
    hits = list(scan_text(text))
    assert len(hits) == 3
    assert all(SECRET not in what for _, what in hits)


@pytest.mark.parametrize("name", list(LEAK_CASES))
def test_the_secret_value_never_appears_in_any_report(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path, name: str
) -> None:
    root = make_register(LEAK_CASES[name])
    out = tmp_path / "reports"
    run = cli("report", "--register", str(root), "--as-of", AS_OF, "--output-dir", str(out))
    assert run.exit_code == 0, run.stderr
    assert_no_leak(run.stdout + run.stderr)
    written = sorted(out.iterdir())
    assert len(written) == 11  # ten reports and .markdownlint.yaml
    for path in written:
        assert_no_leak(path.read_text(encoding="utf-8"))


# --- More forms: each is REG-004, and its value reaches no output --------------------------------

TOKEN = "ghp_R7aQ2mLxT9vKp3ZsW8nYc4Hd6Jf1Ub0Ee5Gi"
AWS_KEY = "AKIAZQ7XWV91KLMPQ3ZS"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJabjd4V3Y5MWtMbVAifQ.Zq7xWv91kLmPq3ZsW8nYc4Hd"
BLOB = "9vXq2LmPz8RtY4wKbN6cJh3sDfGa"
FORMS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown key pass": ({SENSOR: {"pass": SECRET}}, SECRET),
    "unknown key pin": ({SENSOR: {"pin": "48151623"}}, "48151623"),
    "unknown key passcode": ({SENSOR: {"passcode": SECRET}}, SECRET),
    "unknown key aws_access_key_id": ({SENSOR: {"aws_access_key_id": AWS_KEY}}, AWS_KEY),
    "pw= in text": ({SENSOR: {"notes": f"service pw={SECRET}"}}, SECRET),
    "key: in text": ({SENSOR: {"notes": f"Vendor key: {SECRET}"}}, SECRET),
    "Kennwort: in text": ({SENSOR: {"notes": f"Kennwort: {SECRET}"}}, SECRET),
    "full-width colon": ({SENSOR: {"notes": f"password：{SECRET}"}}, SECRET),
    "admin:pw": ({SENSOR: {"notes": f"login admin:{SECRET}"}}, SECRET),
    ":pw@ in a URL": ({"vendors/axis.yaml": {"advisory_feed": f"https://:{SECRET}@a.b/"}}, SECRET),
    "Bearer token": ({SENSOR: {"notes": f"Authorization: Bearer {SECRET}"}}, SECRET),
    "AWS access key id": ({SENSOR: {"notes": f"deploy key {AWS_KEY}"}}, AWS_KEY),
    "GitHub token": ({SENSOR: {"notes": f"CI uses {TOKEN}"}}, TOKEN),
    "JWT": ({SENSOR: {"notes": f"session {JWT}"}}, JWT),
    "random string": ({SENSOR: {"notes": f"unlock with {BLOB}"}}, BLOB),
    "WPA2 sentence": ({SENSOR: {"notes": f"the WPA2 key is {SECRET}"}}, SECRET),
    "German sentence": ({SENSOR: {"notes": f"Das Passwort lautet {SECRET}"}}, SECRET),
    "a token as a key": ({SENSOR: SENSOR_TEXT + f'"{TOKEN}": true\n'}, TOKEN),
    "a token as a duplicated key": ({SENSOR: SENSOR_TEXT + f"{TOKEN}: 1\n{TOKEN}: 2\n"}, TOKEN),
    "echoed by ACC-004": (
        {"devices/plc-01.yaml": {"access.remote_access": f"vpn via admin/{SECRET}"}},
        SECRET,
    ),
    "echoed by REG-003": ({"devices/plc-01.yaml": {"vendor": f"token={SECRET}"}}, SECRET),
    "echoed by REG-002": ({SENSOR: {"id": f"pwd={SECRET}"}}, SECRET),
}


def assert_absent(secret: str, *texts: str) -> None:
    for text in texts:
        assert secret not in text
        assert secret not in "".join(text.split()), "the secret appears, wrapped over lines"


@pytest.mark.parametrize("name", list(FORMS))
def test_every_form_is_reg_004_and_no_format_shows_it(
    check: Callable[..., tuple[Run, Path]], cli: Callable[..., Run], name: str
) -> None:
    edits, secret = FORMS[name]
    run, root = check(edits, "json")
    found = run.json["findings"]
    assert "REG-004" in {f["rule"] for f in found}
    unknown = [f for f in found if f["rule"] == "REG-001" and "unknown key" in f["message"]]
    if name.startswith("unknown key"):
        assert unknown == [], "a key naming a credential is REG-004, not an unknown key"
    assert_absent(secret, run.stdout, run.stderr)
    for fmt in sorted(set(FORMATS) - {"json"}):
        args = ("check", "--register", str(root), "--as-of", AS_OF, "--format", fmt)
        other = cli(*args)
        assert other.exit_code == 1
        assert_absent(secret, other.stdout, other.stderr)


@pytest.mark.parametrize("name", list(FORMS))
def test_no_report_shows_a_form(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path, name: str
) -> None:
    edits, secret = FORMS[name]
    root = make_register(edits)
    out = tmp_path / "reports"
    run = cli("report", "--register", str(root), "--as-of", AS_OF, "--output-dir", str(out))
    assert run.exit_code == 0, run.stderr
    oscal = cli("export", "oscal", "--register", str(root), "--as-of", AS_OF)
    assert oscal.exit_code == 0, oscal.stderr
    exported = cli("export", "devices", "--register", str(root))
    assert_absent(secret, run.stdout, run.stderr, oscal.stdout, exported.stdout, exported.stderr)
    for path in sorted(out.iterdir()):
        assert_absent(secret, path.read_text(encoding="utf-8"))


def test_history_and_the_changes_report_show_no_form(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    from tests.conftest import edited_baseline
    from tests.support.gitrepo import GitRepo

    repo = GitRepo(tmp_path / "repo")
    repo.commit("Start", "2026-01-05T10:00:00+00:00", edited_baseline({}))
    secrets = []
    for number, (name, (edits, secret)) in enumerate(FORMS.items()):
        if SENSOR not in edits or not isinstance(edits[SENSOR], dict) or "id" in edits[SENSOR]:
            continue
        files = edited_baseline(edits)
        secrets.append(secret)
        repo.commit(name, f"2026-02-{number + 1:02d}T10:00:00+00:00", files)
    assert len(secrets) >= 12
    register = str(repo.register)
    text = cli("history", "--register", register)
    json_run = cli("history", "--register", register, "--format", "json")
    one = cli("history", "sensor-02", "--register", register, "--format", "json")
    out = tmp_path / "reports"
    report = cli("report", "changes", "--register", register, "--output-dir", str(out))
    for run in (text, json_run, one, report):
        assert run.exit_code == 0, run.stderr
    changes = (out / "changes.md").read_text(encoding="utf-8")
    assert "(redacted)" in text.stdout and "(redacted)" in changes
    for secret in secrets:
        assert_absent(secret, text.stdout, json_run.stdout, one.stdout, changes)


def test_import_errors_never_quote_a_credential_looking_cell(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register({})
    sheet = tmp_path / "inventory.csv"
    sheet.write_text(
        "id,name,Manufacturer,owner\n"
        f"cam-09,Camera,admin/{SECRET},ole-hansen\n"
        f"cam-10,Camera,axis,password={SECRET}\n",
        encoding="utf-8",
    )
    run = cli("import", "devices", str(sheet), "--register", str(root), "--dry-run")
    assert run.exit_code == 1
    assert_absent(SECRET, run.stdout, run.stderr)
    lines = run.stderr.splitlines()
    assert (
        "inventory.csv: row 2, column 'Manufacturer': no vendor with id or name (redacted); "
        "add it with iotpolicy add-vendor"
    ) in lines
    assert (
        "inventory.csv: row 3, column 'owner': no person with id or name (redacted); "
        "add it with iotpolicy add-person"
    ) in lines
    headers = tmp_path / "headers.csv"
    headers.write_text(f"token={SECRET},notes\nx,y\n", encoding="utf-8")
    run = cli("import", "devices", str(headers), "--register", str(root), "--dry-run")
    assert run.exit_code != 0
    assert "(redacted)" in run.stderr
    assert_absent(SECRET, run.stdout, run.stderr)


@pytest.mark.parametrize(
    "edits",
    [
        {SENSOR: {"firmware": {"version": f"pwd={SECRET}"}}},
        {SENSOR: {"id": f"token={SECRET}"}},
        {SENSOR: {"type": f"admin:{SECRET}"}},
    ],
)
def test_the_cache_never_holds_a_credential(
    check: Callable[..., tuple[Run, Path]],
    cli: Callable[..., Run],
    edits: dict[str, Any],
    outside_ci: None,
) -> None:
    """The cache keeps facts of each device file (id, type, firmware ...): a file holding a
    credential is read every time instead, and the warm check still reports it."""
    run, root = check(edits, "json")
    assert "REG-004" in {f["rule"] for f in run.json["findings"]}
    cache = root / ".iotpolicy-cache" / "check.json"
    assert cache.is_file()
    assert_no_leak(cache.read_text(encoding="utf-8"))
    warm = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    assert warm.stdout == run.stdout
