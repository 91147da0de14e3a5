"""Secret recognition measured: REG-004's text scan over a table of credential forms (from the
contract, and from the gitleaks and detect-secrets rule sets) and of look-alikes that are not
secrets. The recall and the false-positive rate on the table are quoted in the README
(*Secret recognition*); both are asserted here.

The token-shaped values below are made up for this table (right shape, random characters): none
is a real credential.
"""

from __future__ import annotations

import hashlib

import pytest

from iotpolicy.grammar.secrets import is_secret_key, looks_secret, scan_text
from tests.support.paths import DATA

CREDENTIALS: list[tuple[str, str]] = [
    # keys naming a credential (controls.md REG-004's words, any case, whole words)
    ("key password", "password: Pl4ntAdm1n!"),
    ("key passwd", "passwd: a1b2c3"),
    ("key pwd", "pwd: Tmp-4711"),
    ("key pass", "pass: hunter2"),
    ("key passcode", "passcode: 7734"),
    ("key passphrase", "passphrase: correct horse battery staple"),
    ("key pin", "pin: 4711"),
    ("key secret", "client_secret: s3cr3t"),
    ("key token", "token: abcdef"),
    ("key psk", "wifi_psk: Summer2026Wlan"),
    ("key wpa", "wpa_key: Sommer2024"),
    ("key community", "snmp_community: public"),
    ("key credential", "credential: d4"),
    ("key kennwort", "Kennwort: Geheim1"),
    ("key api_key", "api_key: 9f8e7d6c5b4a"),
    ("key apikey", "apikey: 9f8e7d6c5b4a"),
    ("key access_key", "access_key: x1y2"),
    ("key secret_key", "secret_key: x1y2"),
    ("key private_key", "private_key: x1y2"),
    ("key aws_access_key_id", "aws_access_key_id: AKIAEXAMPLE"),
    ("key camelCase", "dbPassword: Start123"),
    ("key with digits", "password2: Start123"),
    ("key in capitals", "SNMP-COMMUNITY-RO: private"),
    ("key passwort", "Passwort: Sommer2024"),
    ("key German compound", "Gerätepasswort: 1234"),
    ("key mot_de_passe", "mot_de_passe: azerty"),
    ("key contraseña", "contraseña: hola1"),
    ("key wachtwoord", "wachtwoord: welkom01"),
    ("key lösenord", "lösenord: hemligt"),
    ("key senha", "senha: 1234abcd"),
    ("key access-code", "access-code: 1234"),
    ("key in a flow mapping", "  - {user: admin, password: x}"),
    ("key in a comment", "# snmp_community = s3cr3tcomm"),
    # free text
    ("password= in text", "notes: Vendor login is admin, password=Winter2026 until changed."),
    ("pin= in text", "notes: temporary pin=0000 for the door"),
    ("pw= in text", "notes: service login pw=Start123"),
    ("key: in text", "notes: key: 7f3a9c"),
    ("WLAN key: in text", "notes: WLAN key: Sommer2024!"),
    ("full-width colon", "notes: password：Sommer2024"),
    ("full-width equals", "notes: token＝abc123"),
    ("admin/admin", "notes: factory login admin/admin"),
    ("root/1234", "notes: root/1234 on the console"),
    ("admin:pw", "notes: login admin:Pa55w0rd"),
    ("WPA2 key is", "notes: the WPA2 key is Sommer2024!"),
    ("password is quoted", "notes: The password is 'hunter2'"),
    ("password for X is", "notes: the password for the HMI is Tr1cky!"),
    ("password for X:", "notes: the password for the HMI: Tr1cky"),
    ("Kennwort lautet", "notes: Das Kennwort lautet Sommer2024"),
    ("Passwort ist", "notes: Passwort ist geheim123"),
    ("WLAN-Passwort:", "notes: WLAN-Passwort: Sommer2024"),
    ("Passwort für ... lautet", "notes: Das Passwort für die HMI lautet Start#2024"),
    ("WLAN-Schlüssel", "notes: WLAN-Schlüssel: abcdefgh"),
    ("mot de passe", "notes: mot de passe : azerty123"),
    ("contraseña es", "notes: la contraseña es Hola1234"),
    ("wachtwoord is", "notes: wachtwoord is Welkom01"),
    ("Chinese", "notes: Wi-Fi 密码：12345678"),
    ("Japanese", "notes: パスワード：abc12345"),
    # URLs
    ("user:pass@", "advisory_feed: https://feeduser:Pa55w0rd@feeds.example.com/csaf/"),
    (":pass@", "advisory_feed: https://:Pa55w0rd@feeds.example.com/"),
    ("mqtt user:pass@", "notes: mqtt://device:s3cret@10.20.1.5:1883"),
    # key blocks
    ("RSA private key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("PGP private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----"),
    ("encrypted private key", "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
    ("PuTTY key", "PuTTY-User-Key-File-3: ssh-ed25519"),
    # well-known token formats, anywhere
    ("AWS access key id", "notes: AKIAIOSFODNN7QWERTYU"),
    ("AWS temporary key id", "notes: ASIAY34FZKBOKMUTVV7A"),
    ("AWS secret key", "notes: 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"),
    ("GitHub token", "notes: ghp_R7aQ2mLxT9vKp3ZsW8nYc4Hd6Jf1Ub0Ee5Gi"),
    ("GitHub fine-grained token", "notes: github_pat_" + "11ABCDEFG0" * 8 + "ab"),
    ("GitHub OAuth token", "notes: gho_R7aQ2mLxT9vKp3ZsW8nYc4Hd6Jf1Ub0Ee5Gi"),
    ("GitLab token", "notes: glpat-Xy7kP2mQ9rT4vW6zB1nC"),
    ("Slack token", "notes: xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    (
        "Slack webhook",
        "notes: https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/Xy7kP2mQ9rT4vW6zB1nC3dE",
    ),
    (
        "Discord webhook",
        "notes: https://discord.com/api/webhooks/123456789012345678/Xy7kP2mQ9rT4vW6zB1nC3dE",
    ),
    ("Google API key", "notes: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
    (
        "JSON web token",
        "notes: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    ),
    ("Bearer token", "notes: Authorization: Bearer 4f1c9e2ab7d04e55a1f3"),
    ("Basic authorization", "notes: Authorization: Basic YWRtaW46aHVudGVyMg=="),
    ("Stripe key", "notes: sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("npm token", "notes: npm_R7aQ2mLxT9vKp3ZsW8nYc4Hd6Jf1Ub0Ee5Gi"),
    (
        "SendGrid key",
        "notes: SG.Xy7kP2mQ9rT4vW6zB1nC3d.Xy7kP2mQ9rT4vW6zB1nC3dEXy7kP2mQ9rT4vW6zB1nC3dE",
    ),
    ("Twilio key", "notes: SK0123456789abcdef0123456789abcdef"),
    ("Telegram bot token", "notes: 123456789:AAHk7mQ9rT4vW6zB1nC3dEXy7kP2mQ9rT4v"),
    ("HashiCorp Vault token", "notes: hvs.CAESIJk7mQ9rT4vW6zB1nC3dEXy7kP2m"),
    ("OpenAI key", "notes: sk-proj-Xy7kP2mQ9rT4vW6zB1nC3dEXy7kP2mQ9rT4vW6z"),
    ("Docker Hub token", "notes: dckr_pat_Xy7kP2mQ9rT4vW6zB1nC3dE"),
    ("Hugging Face token", "notes: 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"),
    ("Databricks token", "notes: dapi0123456789abcdef0123456789abcdef"),
    ("bcrypt hash", "notes: $2b$12$KIXQJx2cYxn0Zl6m2uH8Ee5r6FQzK0p8f9Z1m3wPqM0uYz2Lh1b8S"),
    ("sha512-crypt hash", "notes: root:$6$saltsalt$Zq7xWv91kLmPq3ZsW8nYc4Hd6Jf1Ub0Ee5Gi:19000"),
    ("Azure connection string", "notes: AccountName=x;AccountKey=Zq7xWv91kLmP==;"),
    # random-looking strings of credential length
    ("random 30 characters", "notes: 9vXq2LmPz8RtY4wKbN6cJh3sDfGa"),
    ("base64 blob", "notes: dGhpcyBpcyBhIHNlY3JldCBrZXkgMTIz"),
    ("base64 of user:password", "notes: YWRtaW46aHVudGVyMg=="),
    # a secret written as a key
    ("a token as a key", '"ghp_R7aQ2mLxT9vKp3ZsW8nYc4Hd6Jf1Ub0Ee5Gi": true'),
    ("password=x as a key", '"password=hunter2": x'),
    ("admin/x as a key", '"admin/Pa55": x'),
]

NOT_SECRETS: list[tuple[str, str]] = [
    ("version string", 'version: "V4.8 HF4"'),
    ("version with build", "version: V2.9.4 (Build 20240312)"),
    ("MAC address", 'mac: "00:1b:1b:12:34:56"'),
    ("MAC address with dashes", "mac: 00-1B-1B-12-34-56"),
    ("serial number", 'serial: "SVPJ2A1234567"'),
    ("serial number mixed", 'serial: "21E8Q5X0B2C4D7F9"'),
    ("CVE id", "cves: [CVE-2024-12345, CVE-2022-1234]"),
    ("OpenPGP fingerprint", 'advisory_keys: ["3FAD8E2F2FE0FAE0D4D2EC7FA52E6A3A2A5E3C1B"]'),
    ("spaced fingerprint", "keys: [3fad 8e2f 2fe0 fae0 d4d2 ec7f a52e 6a3a 2a5e 3c1b]"),
    ("SHA-256 digest", "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ("SHA-256 in capitals", "digest: " + hashlib.sha256(b"firmware").hexdigest().upper()),
    ("SHA-512 digest", "notes: checksum " + hashlib.sha512(b"firmware").hexdigest()),
    ("base64 SHA-256 after its name", "notes: sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="),
    ("git commit", "notes: fixed in 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"),
    ("two roles", "notes: admin/operator roles are separate"),
    ("user/viewer", "notes: user/viewer accounts"),
    ("part number", "part_number: 6ES7214-1AG40-0XB0"),
    ("CPE name", "cpe: cpe:2.3:o:siemens:simatic_s7-1200_firmware:4.5.2:*:*:*:*:*:*:*"),
    (
        "URL",
        "advisory_feed: https://cert-portal.siemens.com/productcert/csaf/provider-metadata.json",
    ),
    (
        "URL with a path",
        "notes: https://github.com/cisagov/CSAF/blob/develop/csaf_files/OT/white/2024/icsa-24-289-02.json",
    ),
    ("URL with a user only", "notes: https://operator@example.com/portal"),
    ("mail address", "security_contact: mailto:psirt@example.com"),
    ("date", "commissioned_on: 2024-03-10"),
    ("credentials_changed_on", "credentials_changed_on: 2024-03-10"),
    ("default_credentials_changed", "default_credentials_changed: true"),
    ("time", "time: 10:30"),
    ("IPv4 address", "ip: 10.20.1.15"),
    ("IPv6 address", "notes: fe80::1ff:fe23:4567:890a"),
    ("UUID", "notes: 123e4567-e89b-12d3-a456-426614174000"),
    ("model", "model: SCALANCE XB208"),
    ("product name", "name: SIMATIC S7-1500 CPU 1516-3 PN/DP"),
    ("product name with dashes", "name: Siemens-SIMATIC-S7-1500-CPU1516-3PN"),
    ("hostname", "hostname: plc-line1-01.ot.example.com"),
    ("prose about passwords", "notes: change the password after each visit"),
    ("password is changed", "notes: the password is changed yearly by the vendor"),
    ("password policy", "notes: password policy: 12 characters, changed yearly"),
    ("token rotation", "notes: Token rotation is in the runbook."),
    ("PIN assignment", "notes: PIN assignment: see the wiring diagram"),
    ("the key is", "notes: the key is to patch early"),
    ("Basic as a word", "notes: Basic configuration done by the vendor"),
    ("bearer as a word", "notes: bearer authentication is not used"),
    ("knowledge base id", "notes: KB5034441 installed, SSA-254054 applied"),
    ("public key block", "-----BEGIN PUBLIC KEY-----"),
    ("certificate block", "-----BEGIN CERTIFICATE-----"),
    ("a field named key", "  key: abc"),
]


def _rates() -> tuple[float, float, list[str], list[str]]:
    missed = [name for name, text in CREDENTIALS if not looks_secret(text)]
    flagged = [name for name, text in NOT_SECRETS if looks_secret(text)]
    recall = 1 - len(missed) / len(CREDENTIALS)
    false_positive_rate = len(flagged) / len(NOT_SECRETS)
    return recall, false_positive_rate, missed, flagged


def test_the_table_is_large_enough() -> None:
    assert len(CREDENTIALS) >= 60
    assert len(NOT_SECRETS) >= 30
    assert len({n for n, _ in CREDENTIALS}) == len(CREDENTIALS)
    assert len({n for n, _ in NOT_SECRETS}) == len(NOT_SECRETS)


def test_recall_and_false_positive_rate_on_the_table() -> None:
    """Recall 100% (every credential form found), false-positive rate 0% (no look-alike)."""
    recall, false_positive_rate, missed, flagged = _rates()
    assert missed == [] and recall == 1.0
    assert flagged == [] and false_positive_rate == 0.0


@pytest.mark.parametrize(("name", "text"), CREDENTIALS, ids=[n for n, _ in CREDENTIALS])
def test_each_credential_form_is_found_without_its_value(name: str, text: str) -> None:
    hits = list(scan_text(text))
    assert hits, name
    value = text.split(":", 1)[-1].strip()
    assert all(len(value) < 4 or value not in what for _, what in hits)


@pytest.mark.parametrize(("name", "text"), NOT_SECRETS, ids=[n for n, _ in NOT_SECRETS])
def test_each_look_alike_is_not_a_credential(name: str, text: str) -> None:
    assert list(scan_text(text)) == [], name


@pytest.mark.parametrize(
    "key",
    ["pass", "pin", "aws_access_key_id", "passcode", "Kennwort", "wifiPSK", "db-Pass", "PIN_1"],
)
def test_the_new_key_words_name_credentials(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["passes", "bypass", "pinned", "spin", "pings", "keys", "advisory_keys", "compass"]
)
def test_longer_words_holding_a_key_word_do_not(key: str) -> None:
    assert not is_secret_key(key)


def test_lines_inside_a_public_block_are_not_random_strings() -> None:
    text = (
        "notes: |\n  -----BEGIN CERTIFICATE-----\n"
        "  MIIBszCCAVmgAwIBAgIUQ7xW9kLmPq3ZsW8nYc4Hd6Jf1Ub0wCgYIKoZIzj0\n"
        "  -----END CERTIFICATE-----\n  9vXq2LmPz8RtY4wKbN6cJh3sDfGa\n"
    )
    assert list(scan_text(text)) == [(5, "a random-looking key or token")]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for k, v in node.items() for text in (k, *_strings(v))]
    if isinstance(node, list):
        return [text for item in node for text in _strings(item)]
    return []


def _without_go_template(text: str) -> str:
    """The CSAF provider layouts are Go templates (tests/data/csaf-providers/README.md): fill in
    a base URL and keep the optional blocks, so they parse as the JSON a test server serves."""
    import re

    text = text.replace("{{.URL}}", "https://127.0.0.1:8443")
    return re.sub(r"\{\{(?:if [^}]*|end)\}\}", "", text)


def test_real_advisories_and_catalogs_hold_no_credential() -> None:
    """Every text of the real CSAF advisories, KEV catalog and schemas kept in tests/data (about
    2,000 distinct texts: product names, versions, URLs, prose) is not a credential."""
    import json

    texts = {
        text
        for path in sorted(DATA.rglob("*.json"))
        for text in _strings(json.loads(_without_go_template(path.read_text(encoding="utf-8"))))
    }
    assert len(texts) > 1500
    assert sorted(t for t in texts if looks_secret(t)) == []
