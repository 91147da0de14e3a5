"""``advisories fetch`` against real servers on 127.0.0.1 (tests/fetchserver.py): the reference
tools' ROLIE and directory layouts, real CISA advisories signed here with the provider's test
key, and every way a document or a provider can be wrong. Each refusal leaves the register as it
was; what verified is recorded as ``advisories import`` records it."""

from __future__ import annotations

import copy
import json
import os
import re
import select
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from iotpolicy import __version__
from iotpolicy.fetch.http import FetchError, Http
from tests.conftest import Run, write_register
from tests.support.fetchserver import (
    FINGERPRINT,
    Provider,
    Server,
    Site,
    digest_line,
    fail_then_serve,
    huge_body,
    new_key,
    other_key_signature,
    redirect_to,
    sign,
    silent,
)
from tests.support.gitrepo import GitRepo
from tests.support.paths import REPO
from tests.support.realworld import CSAF, DATA, field_files

CLI = Callable[..., Run]
ACME = "avendor-advisory-0004"
SINCE = "2019-01-01"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def servers(ca: trustme.CA) -> Iterator[Callable[..., Server]]:
    """Start servers (HTTPS unless ``tls=False``); all are stopped after the test."""
    started: list[Server] = []

    def start(tls: bool = True) -> Server:
        server = Server(Site(), ca if tls else None)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def run(cli: CLI, ca: trustme.CA, tmp_path: Path) -> Callable[..., Run]:
    """``iotpolicy advisories fetch --register REG ...`` trusting the test CA, no proxy."""
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    env = {"SSL_CERT_FILE": str(ca_file), "NO_PROXY": "127.0.0.1,localhost", "CI": "1"}
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        env[name] = ""

    def fetch(reg: Path, *args: str, extra_env: dict[str, str] | None = None) -> Run:
        result = cli(
            "advisories",
            "fetch",
            "--register",
            str(reg),
            "--received-on",
            "2026-11-21",
            *args,
            env={**env, **(extra_env or {})},
        )
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return fetch


def csaf(name: str) -> bytes:
    return (CSAF / name).read_bytes()


def revised(data: bytes, **tracking: Any) -> bytes:
    """``data`` with its tracking fields changed (a new document, or a new revision)."""
    document = json.loads(data)
    document["document"]["tracking"].update(tracking)
    return json.dumps(document, indent=2).encode()


def make_register(
    root: Path,
    vendor_feed: str | None = None,
    shared: list[Any] | None = None,
    keys: tuple[str, ...] = (FINGERPRINT,),
    kev: str | None = None,
) -> Path:
    """The real-world register, with vendor acme (ACME Inc, the providers' publisher) whose own
    feed is ``vendor_feed``, and ``shared`` as settings.advisory_feeds."""
    files = field_files()
    acme = {**copy.deepcopy(files["vendors/siemens.yaml"]), "id": "acme", "name": "ACME Inc"}
    if vendor_feed:
        acme["advisory_feed"] = vendor_feed
        if keys:
            acme["advisory_keys"] = list(keys)
    files["vendors/acme.yaml"] = acme
    settings = files["policy.yaml"].setdefault("settings", {})
    if shared is not None:
        settings["advisory_feeds"] = shared
    if kev:
        settings["kev_feed"] = kev
    return write_register(root, files)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the register but the cache and the lock."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".iotpolicy-cache" not in p.parts and p.name != ".iotpolicy.lock"
    }


def advisory(root: Path, record_id: str) -> Any:
    return yaml.safe_load((root / "advisories" / f"{record_id}.yaml").read_text("utf-8"))


def one_refusal(result: Run, url: str, reason: str) -> None:
    """Exit 1 with exactly one problem line on stderr: ``url`` refused for ``reason``."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"refused {url}: "), lines
    assert reason in lines[0], lines


# --- the happy path: both layouts, matching, incremental ----------------------------------------


@pytest.fixture
def two_feeds(servers: Callable[..., Server], tmp_path: Path) -> tuple[Path, Provider, Provider]:
    """acme's own ROLIE feed, and a shared directory feed holding real CISA advisories (one of
    a vendor the register does not know)."""
    rolie = Provider(servers(), "rolie")
    shared = Provider(servers(), "directory")
    shared.add(csaf("icsa-24-289-02.json"))
    shared.add(csaf("mpsa-249901.json"))
    shared.add((CSAF / "cisa-ot" / "icsa-22-174-02.json").read_bytes())
    url = shared.metadata_url
    reg = make_register(tmp_path / "reg", rolie.metadata_url, [{"url": url, "keys": [FINGERPRINT]}])
    return reg, rolie, shared


def test_first_fetch_records_what_verified_and_matches_devices(
    run: Callable[..., Run], cli: CLI, two_feeds: tuple[Path, Provider, Provider]
) -> None:
    reg, rolie, shared = two_feeds
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert f"vendors/acme.yaml: {rolie.metadata_url}: 1 listed, 1 new since {SINCE}" in lines
    assert (
        f"policy.yaml settings.advisory_feeds[0]: {shared.metadata_url}: 4 listed, 4 new "
        f"since {SINCE}" in lines
    )
    assert (
        "advisories/icsa-24-289-02.yaml: created: Schneider Electric Data Center Expert "
        "(2 CVEs, 1 affects entry)" in lines
    )
    assert (
        "  matches dce-01 (Data Center Expert, firmware 8.1.1.2): Data Center Expert "
        "<=8.1.1.3 by name and version; affected" in lines
    )
    assert any(line.startswith("  candidate gw-03 (") for line in lines)
    assert (
        "Fetched: 5 documents verified from 2 providers, 3 recorded, 1 naming no registered "
        "vendor; 0 refused." in lines
    )
    record = advisory(reg, "icsa-24-289-02")
    assert record["vendor"] == "schneider-electric"
    assert record["feed"] == shared.metadata_url
    assert record["received_on"].isoformat() == "2026-11-21"
    assert record["affects"] == [{"model": "Data Center Expert", "versions": "<=8.1.1.3"}]
    assert advisory(reg, "mpsa-249901")["triage"][0]["device"] == "gw-03"
    acme = advisory(reg, ACME)
    assert (acme["vendor"], acme["feed"], acme["revision"]) == ("acme", rolie.metadata_url, "1")
    assert not (reg / "advisories" / "icsa-22-174-02.yaml").exists()  # Yokogawa: not registered
    assert shared.site.requested(f"/white/{ACME}-not-listed.json") == 0
    check = cli("check", "--register", str(reg), "--format", "json", "--as-of", "2026-11-25")
    fw = {(f["subject"], f["message"]) for f in check.json["findings"] if f["rule"] == "FW-002"}
    assert ("dce-01", "firmware 8.1.1.2 is affected by open advisory icsa-24-289-02") in fw
    assert not [f for f in check.json["findings"] if f["rule"].startswith("REG")]


def test_second_fetch_downloads_nothing_with_or_without_the_cache(
    run: Callable[..., Run], two_feeds: tuple[Path, Provider, Provider]
) -> None:
    reg, rolie, shared = two_feeds
    assert run(reg, "--since", SINCE).exit_code == 0
    before = snapshot(reg)
    for server in (rolie, shared):
        server.site.log.clear()
    again = run(reg)
    assert again.exit_code == 0, again.stderr
    assert snapshot(reg) == before
    for provider in (rolie, shared):
        assert provider.site.documents_requested() == []
        listing = "/white/white-feed.json" if provider is rolie else "/white/changes.csv"
        asked = [etag for path, etag in provider.site.log if path == listing]
        assert len(asked) == 1 and asked[0], (listing, provider.site.log)  # conditional: 304
    assert "listing unchanged" in again.stdout
    # a fresh clone has no cache: the listings are read again, and the state comes from the
    # register's own advisories, so still nothing is downloaded
    cache = reg / ".iotpolicy-cache" / "fetch.json"
    assert json.loads(cache.read_text("utf-8"))["format"] == 1
    cache.unlink()
    for server in (rolie, shared):
        server.site.log.clear()
    fresh = run(reg)
    assert fresh.exit_code == 0, fresh.stderr
    assert rolie.site.documents_requested() == shared.site.documents_requested() == []
    assert f"{rolie.metadata_url}: 1 listed, 0 new since 2020-01-01" in fresh.stdout
    assert snapshot(reg) == before


def test_a_new_advisory_and_a_new_revision_are_fetched_next_time(
    run: Callable[..., Run], two_feeds: tuple[Path, Provider, Provider]
) -> None:
    reg, rolie, shared = two_feeds
    assert run(reg, "--since", SINCE).exit_code == 0
    new = revised(
        (rolie.site.files[f"/white/{ACME}.json"]),
        id="Avendor-advisory-0005",
        current_release_date="2026-11-30T08:00:00Z",
        initial_release_date="2026-11-30T08:00:00Z",
    )
    rolie.add(new)
    update = revised(csaf("icsa-24-289-02.json"), version="2.0.0")
    update = update.replace(b"2024-10-08T00:00:00.000000Z", b"2026-11-29T00:00:00.000000Z", 1)
    shared.add(update, name="icsa-24-289-02-r2.json")
    for server in (rolie, shared):
        server.site.log.clear()
    result = run(reg)
    assert result.exit_code == 0, result.stderr
    assert rolie.site.documents_requested() == ["/white/avendor-advisory-0005.json"]
    assert shared.site.documents_requested() == ["/white/icsa-24-289-02-r2.json"]
    assert advisory(reg, "avendor-advisory-0005")["feed"] == rolie.metadata_url
    assert advisory(reg, "icsa-24-289-02")["revision"] == "2.0.0"
    assert "advisories/icsa-24-289-02.yaml: updated to revision 2.0.0" in result.stdout


@pytest.mark.parametrize("tls", [True, False], ids=["https", "http"])
@pytest.mark.parametrize("layout", ["rolie", "directory"])
def test_both_layouts_over_http_and_https(
    run: Callable[..., Run],
    servers: Callable[..., Server],
    tmp_path: Path,
    layout: str,
    tls: bool,
) -> None:
    provider = Provider(servers(tls), layout)
    reg = make_register(tmp_path / "reg", provider.metadata_url)
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 0, result.stderr
    assert advisory(reg, ACME)["title"] == "Test CSAF document"


def test_a_domain_is_discovered_through_the_well_known_url(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    provider = Provider(servers(), "directory")
    domain = provider.server.url.removeprefix("https://")
    reg = make_register(tmp_path / "reg", domain)
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 0, result.stderr
    well_known = "/.well-known/csaf/provider-metadata.json"
    assert advisory(reg, ACME)["feed"] == provider.server.url + well_known


def test_sha256_only_is_enough_and_sha512_is_preferred(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    only_256 = Provider(servers(), "rolie", sha512=False)
    reg = make_register(tmp_path / "a", only_256.metadata_url)
    assert run(reg, "--since", SINCE).exit_code == 0
    assert only_256.site.requested(f"/white/{ACME}.json.sha256") == 1
    both = Provider(servers(), "rolie")
    reg = make_register(tmp_path / "b", both.metadata_url)
    assert run(reg, "--since", SINCE).exit_code == 0
    assert both.site.requested(f"/white/{ACME}.json.sha512") == 1
    assert both.site.requested(f"/white/{ACME}.json.sha256") == 0


# --- refused documents: one line each, the register unchanged -----------------------------------


@pytest.fixture
def lone(
    servers: Callable[..., Server], tmp_path: Path
) -> Callable[..., tuple[Path, Provider, str]]:
    """A ROLIE provider whose only document is ``data`` (default: a real CISA advisory, new),
    after ``spoil`` did its worst to it; its register and the document's path."""

    def make(spoil: Callable[[Provider, str], None], **add: Any) -> tuple[Path, Provider, str]:
        provider = Provider(servers(), "rolie")
        feed = json.loads(provider.site.files["/white/white-feed.json"])
        feed["feed"]["entry"] = []
        provider.site.files["/white/white-feed.json"] = json.dumps(feed).encode()
        path = provider.add(add.pop("data", csaf("icsa-24-289-02.json")), **add)
        spoil(provider, path)
        root = tmp_path / f"reg-{len(list(tmp_path.iterdir()))}"
        return make_register(root, provider.metadata_url), provider, path

    return make


def _tamper(provider: Provider, path: str) -> None:
    data = provider.site.files[path].replace(b"8.1.1.3", b"9.9.9.9")
    provider.site.files[path] = data
    for algorithm in ("sha256", "sha512"):  # the hashes match: only the signature can tell
        provider.site.files[f"{path}.{algorithm}"] = digest_line(data, algorithm, "x.json")


def _wrong_sha512(provider: Provider, path: str) -> None:
    provider.site.files[f"{path}.sha512"] = digest_line(b"other", "sha512", "x.json")


def _other_key(provider: Provider, path: str) -> None:
    provider.site.files[f"{path}.asc"] = other_key_signature(provider.site.files[path])


def _no_signature(provider: Provider, path: str) -> None:
    provider.delete(f"{path}.asc")


def _huge(provider: Provider, path: str) -> None:
    provider.site.behaviours[path] = huge_body(50 * 1024 * 1024)


def _relabel(provider: Provider, path: str, label: str) -> None:
    """Give the document another TLP label, hashed and signed again by the provider."""
    data = json.loads(provider.site.files[path])
    data["document"]["distribution"]["tlp"]["label"] = label
    raw = json.dumps(data).encode()
    provider.site.files[path] = raw
    provider.site.files[f"{path}.asc"] = sign(raw)
    for algorithm in ("sha256", "sha512"):
        provider.site.files[f"{path}.{algorithm}"] = digest_line(raw, algorithm, "x.json")


def _red(provider: Provider, path: str) -> None:
    _relabel(provider, path, "RED")


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_tamper, "bad OpenPGP signature (the document or its signature was changed)"),
        (_wrong_sha512, "SHA512 hash does not match the published .sha512"),
        (_other_key, "which is not pinned"),
        (_no_signature, "no signature (.asc) published"),
        (_huge, "larger than 10 MB; cut off"),
        (_red, "TLP:RED: only TLP:CLEAR/WHITE documents are fetched (--tlp green adds GREEN)"),
    ],
    ids=["tampered", "wrong-sha512", "other-key", "missing-asc", "50MB-body", "tlp-red"],
)
def test_a_bad_document_is_refused_and_nothing_is_written(
    run: Callable[..., Run],
    lone: Callable[..., tuple[Path, Provider, str]],
    spoil: Callable[[Provider, str], None],
    reason: str,
) -> None:
    reg, provider, path = lone(spoil)
    before = snapshot(reg)
    result = run(reg, "--since", SINCE)
    one_refusal(result, provider.server.url + path, reason)
    assert snapshot(reg) == before
    assert "0 recorded; 1 refused." in result.stdout


def test_a_redirect_to_another_host_is_never_followed(
    run: Callable[..., Run],
    servers: Callable[..., Server],
    lone: Callable[..., tuple[Path, Provider, str]],
) -> None:
    elsewhere = servers()
    url = elsewhere.url.replace("127.0.0.1", "localhost") + "/evil.json"

    def redirect(provider: Provider, path: str) -> None:
        provider.site.behaviours[path] = redirect_to(url)

    reg, provider, path = lone(redirect)
    before = snapshot(reg)
    result = run(reg, "--since", SINCE)
    reason = f"redirected to {url}: on another host than the provider metadata (127.0.0.1)"
    one_refusal(result, provider.server.url + path, reason)
    assert elsewhere.site.log == []
    assert snapshot(reg) == before


def test_a_document_listed_on_another_host_is_not_downloaded(
    run: Callable[..., Run],
    servers: Callable[..., Server],
    lone: Callable[..., tuple[Path, Provider, str]],
) -> None:
    elsewhere = servers()
    url = elsewhere.url.replace("127.0.0.1", "localhost") + "/white/icsa-24-289-02.json"
    reg, _, _ = lone(lambda provider, path: None, listed_url=url)
    result = run(reg, "--since", SINCE)
    one_refusal(result, url, "on another host than the provider metadata (127.0.0.1)")
    assert elsewhere.site.log == []


def test_a_server_error_is_retried(
    run: Callable[..., Run], lone: Callable[..., tuple[Path, Provider, str]]
) -> None:
    def flaky(provider: Provider, path: str) -> None:
        provider.site.behaviours[path] = fail_then_serve(1, 500)

    reg, provider, path = lone(flaky)
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 0, result.stderr
    assert provider.site.requested(path) == 2
    assert advisory(reg, "icsa-24-289-02")["feed"] == provider.metadata_url


def test_a_server_that_never_answers_times_out(
    run: Callable[..., Run], lone: Callable[..., tuple[Path, Provider, str]]
) -> None:
    def mute(provider: Provider, path: str) -> None:
        provider.site.behaviours[path] = silent

    reg, provider, path = lone(mute)
    before = snapshot(reg)
    result = run(reg, "--since", SINCE, "--timeout", "0.3", "--retries", "1")
    one_refusal(result, provider.server.url + path, "no answer within 0.3 s (after 2 attempts)")
    assert provider.site.requested(path) == 2
    assert snapshot(reg) == before


def test_what_verified_is_written_and_the_refused_are_reported(
    run: Callable[..., Run], two_feeds: tuple[Path, Provider, Provider]
) -> None:
    reg, _, shared = two_feeds
    _wrong_sha512(shared, "/white/mpsa-249901.json")
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"refused {shared.server.url}/white/mpsa-249901.json: policy.yaml "
        "settings.advisory_feeds[0]: SHA512 hash does not match the published .sha512"
    ]
    assert (reg / "advisories" / "icsa-24-289-02.yaml").exists()
    assert not (reg / "advisories" / "mpsa-249901.yaml").exists()
    # no ETag is kept for a listing with a refusal: the next fetch reads it again
    shared.site.log.clear()
    again = run(reg, "--since", SINCE)
    assert again.exit_code == 1
    assert "/white/mpsa-249901.json" in shared.site.documents_requested()
    # --skip silences the known-bad document
    shared.site.log.clear()
    skipped = run(reg, "--since", SINCE, "--skip", "MPSA-249901")
    assert skipped.exit_code == 0, skipped.stderr
    assert "/white/mpsa-249901.json" not in shared.site.documents_requested()


def test_strict_writes_nothing_when_anything_was_refused(
    run: Callable[..., Run], two_feeds: tuple[Path, Provider, Provider]
) -> None:
    reg, _, shared = two_feeds
    _other_key(shared, "/white/mpsa-249901.json")
    before = snapshot(reg)
    result = run(reg, "--since", SINCE, "--strict")
    assert result.exit_code == 1
    assert snapshot(reg) == before
    assert result.stderr.splitlines()[-1] == (
        "iotpolicy: --strict: 1 document refused, 0 providers skipped; nothing was written"
    )


def test_dry_run_writes_nothing_and_keeps_no_etag(
    run: Callable[..., Run], two_feeds: tuple[Path, Provider, Provider]
) -> None:
    reg, _, _ = two_feeds
    before = snapshot(reg)
    result = run(reg, "--since", SINCE, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "advisories/icsa-24-289-02.yaml: created:" in result.stdout
    assert "Dry run, nothing written: 5 documents verified from 2 providers, 3 to record" in (
        result.stdout
    )
    assert snapshot(reg) == before
    assert not (reg / ".iotpolicy-cache" / "fetch.json").exists()


def test_a_failed_write_leaves_every_file_as_it_was(
    run: Callable[..., Run],
    cli: CLI,
    two_feeds: tuple[Path, Provider, Provider],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The disk fills up at the third of the three advisory files the fetch writes (a new one,
    an update of an older revision, a new one): the first is removed again, the second gets its
    old text back, and the register is as it was."""
    from iotpolicy import fsio

    reg, _, _ = two_feeds
    older = tmp_path / "older.json"
    older.write_bytes(
        revised(
            csaf("icsa-24-289-02.json"),
            version="0.9.0",
            current_release_date="2024-10-01T00:00:00Z",
            initial_release_date="2024-10-01T00:00:00Z",
        )
    )
    assert cli("advisories", "import", str(older), "--register", str(reg)).exit_code == 0
    before = snapshot(reg)
    real = fsio.os.replace
    renamed: list[str] = []

    def failing(src: str, dst: str) -> None:
        renamed.append(Path(dst).name)
        if len(renamed) == 3:
            raise OSError(28, "No space left on device", str(dst))
        real(src, dst)

    monkeypatch.setattr(fsio.os, "replace", failing)
    result = run(reg, "--since", SINCE)
    assert renamed[:3] == ["avendor-advisory-0004.yaml", "icsa-24-289-02.yaml", "mpsa-249901.yaml"]
    assert renamed[3:] == ["icsa-24-289-02.yaml"]  # its old text put back
    assert advisory(reg, "icsa-24-289-02")["revision"] == "0.9.0"
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("iotpolicy: No space left on device")
    assert snapshot(reg) == before
    assert not [p for p in reg.rglob("*.tmp")]


# --- providers that cannot be used ----------------------------------------------------------------


def test_a_broken_provider_is_skipped_and_the_others_go_on(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    good = Provider(servers(), "directory")
    broken = Provider(servers(), "rolie")
    metadata = broken.metadata()
    del metadata["role"]
    broken.set_metadata(metadata)
    dead = servers()
    dead_url = dead.url + "/provider-metadata.json"
    dead.stop()
    feeds = [{"url": u, "keys": [FINGERPRINT]} for u in (broken.metadata_url, dead_url)]
    reg = make_register(tmp_path / "reg", good.metadata_url, feeds)
    result = run(reg, "--since", SINCE, "--retries", "0")
    assert result.exit_code == 1
    problems = result.stderr.splitlines()
    assert problems[0] == (
        f"skipped policy.yaml settings.advisory_feeds[0] ({broken.metadata_url}): "
        f"{broken.metadata_url}: not valid CSAF provider metadata (role missing)"
    )
    assert problems[1].startswith(f"skipped policy.yaml settings.advisory_feeds[1] ({dead_url}):")
    assert "cannot connect" in problems[1]
    assert len(problems) == 2
    assert advisory(reg, ACME)["feed"] == good.metadata_url


@pytest.mark.parametrize(
    ("feed", "problem"),
    [
        (
            b'{"feed": {"entry": [{"id": "X-1", "updated": "2024-01-01T00:00:00Z"}]}}',
            "entry 1 (X-1): no link to the document (rel 'self')",
        ),
        (b"not json", "not a ROLIE feed (no 'feed' object)"),
    ],
    ids=["entry-without-link", "not-json"],
)
def test_a_broken_feed_is_one_line(
    run: Callable[..., Run],
    servers: Callable[..., Server],
    tmp_path: Path,
    feed: bytes,
    problem: str,
) -> None:
    provider = Provider(servers(), "rolie")
    provider.site.files["/white/white-feed.json"] = feed
    reg = make_register(tmp_path / "reg", provider.metadata_url)
    before = snapshot(reg)
    result = run(reg, "--since", SINCE)
    one_refusal(result, f"{provider.server.url}/white/white-feed.json", problem)
    assert snapshot(reg) == before


def test_keys_unpinned_trusted_on_first_use_and_newly_offered(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    vendor_feed = Provider(servers(), "rolie")
    shared = Provider(servers(), "directory")
    reg = make_register(tmp_path / "reg", vendor_feed.metadata_url, [shared.metadata_url], keys=())
    before = snapshot(reg)
    refused = run(reg, "--since", SINCE)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"skipped vendors/acme.yaml ({vendor_feed.metadata_url}): no advisory_keys pinned; the "
        f"provider lists key {FINGERPRINT}: check them and pin them, or run with "
        "--trust-on-first-use to record them"
    )
    assert snapshot(reg) == before
    trusted = run(reg, "--since", SINCE, "--trust-on-first-use")
    assert trusted.exit_code == 0, trusted.stderr
    assert f"  trusted on first use: {FINGERPRINT} (recorded in vendors/acme.yaml;" in (
        trusted.stdout
    )
    vendor = yaml.safe_load((reg / "vendors" / "acme.yaml").read_text("utf-8"))
    assert vendor["advisory_keys"] == [FINGERPRINT]
    policy = yaml.safe_load((reg / "policy.yaml").read_text("utf-8"))
    assert policy["settings"]["advisory_feeds"] == [
        {"url": shared.metadata_url, "keys": [FINGERPRINT]}
    ]
    # a key the metadata newly lists is reported, never trusted silently
    metadata = vendor_feed.metadata()
    new_key = "B" * 40
    metadata["public_openpgp_keys"].append({"fingerprint": new_key, "url": "/openpgp/new.asc"})
    vendor_feed.set_metadata(metadata)
    offered = run(reg)
    assert offered.exit_code == 0, offered.stderr
    assert f"  the provider also lists key {new_key}, which is not pinned" in offered.stdout
    assert vendor_feed.site.requested("/openpgp/new.asc") == 0


def test_tls_is_verified(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path, ca: trustme.CA
) -> None:
    provider = Provider(servers(), "rolie")
    reg = make_register(tmp_path / "reg", provider.metadata_url)
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    result = run(reg, "--since", SINCE, extra_env={"SSL_CERT_FILE": str(other_ca)})
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("TLS certificate not trusted")


def test_plain_http_is_only_for_loopback() -> None:
    with Http(timeout=1, retries=0, parallel=1, allow_http=False) as http:
        with pytest.raises(FetchError, match="plain http:// is refused"):
            http.get("http://advisories.example.com/x.json", host=None, max_bytes=10)
        http.check_url("http://127.0.0.1:1/x.json", None)
        http.check_url("https://advisories.example.com/x.json", "advisories.example.com")
    with Http(timeout=1, retries=0, parallel=1, allow_http=True) as http:
        http.check_url("http://advisories.example.com/x.json", None)


def test_downloads_run_in_parallel_up_to_the_limit(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    provider = Provider(servers(), "directory")
    for number in range(6):
        data = revised(csaf("icsa-24-289-02.json"), id=f"ICSA-24-289-{number + 10}")
        provider.add(data)
    provider.site.delay = 0.05
    reg = make_register(
        tmp_path / "reg", None, [{"url": provider.metadata_url, "keys": [FINGERPRINT]}]
    )
    result = run(reg, "--since", SINCE, "--parallel", "2")
    assert result.exit_code == 0, result.stderr
    assert provider.site.max_inflight == 2


def test_the_kev_catalog_is_refreshed(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    provider = Provider(servers(), "directory")
    provider.add((DATA / "kev" / "icsa-21-306-01.json").read_bytes())
    provider.site.files["/kev.json"] = (DATA / "kev" / "kev-extract.json").read_bytes()
    feeds = [{"url": provider.metadata_url, "keys": [FINGERPRINT]}]
    reg = make_register(tmp_path / "reg", None, feeds, kev=provider.server.url + "/kev.json")
    write_register(
        reg,
        {"vendors/sensormatic.yaml": {"id": "sensormatic", "name": "Sensormatic Electronics, LLC"}},
    )
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 0, result.stderr
    assert "CISA KEV catalog 2025.08.25: 3 CVEs." in result.stdout
    record = advisory(reg, "icsa-21-306-01")
    assert [k["cve"] for k in record["known_exploited"]] == ["CVE-2020-11023"]


def test_commit_holds_the_fetched_advisories(
    run: Callable[..., Run],
    two_feeds: tuple[Path, Provider, Provider],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("GIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    reg, _, _ = two_feeds
    repo = GitRepo(tmp_path / "repo")
    shutil.copytree(reg, repo.register, dirs_exist_ok=True)
    (repo.top / ".gitignore").write_text(".iotpolicy-cache/\n", "utf-8")  # as init writes
    repo.commit("Register", "2026-11-01T09:00:00+00:00")
    repo.git("config", "user.name", "Kari Nordmann")
    repo.git("config", "user.email", "kari.nordmann@example.com")
    repo.git("config", "core.hooksPath", os.devnull)
    result = run(repo.register, "--since", SINCE, "--commit")
    assert result.exit_code == 0, result.stderr
    message = repo.git("log", "-1", "--format=%B").strip().splitlines()
    assert message[0] == "Fetch advisories from 2 providers"
    files = repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert files == [
        "register/advisories/avendor-advisory-0004.yaml",
        "register/advisories/icsa-24-289-02.yaml",
        "register/advisories/mpsa-249901.yaml",
    ]
    assert repo.git("status", "--porcelain", "--", ".", ":!*.iotpolicy.lock") == ""


class _ConnectProxy(socketserver.ThreadingTCPServer):
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels to loopback addresses only and counts
    the tunnels it opened."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.tunnels: list[str] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Tunnel(socketserver.StreamRequestHandler):
    server: _ConnectProxy

    def handle(self) -> None:
        request = self.rfile.readline().decode("latin-1").split()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        if len(request) < 2 or request[0] != "CONNECT" or not request[1].startswith("127.0.0.1:"):
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            return
        self.server.tunnels.append(request[1])
        upstream = socket.create_connection(("127.0.0.1", int(request[1].split(":")[1])), 5)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        sockets = [self.connection, upstream]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ready, _, _ = select.select(sockets, [], [], 0.5)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if sock is self.connection else self.connection).sendall(data)
        upstream.close()


def test_https_proxy_is_honoured(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    provider = Provider(servers(), "rolie")
    reg = make_register(tmp_path / "reg", provider.metadata_url)
    proxy = _ConnectProxy()
    try:
        address = f"http://127.0.0.1:{proxy.server_address[1]}"
        env = {"HTTPS_PROXY": address, "https_proxy": address, "NO_PROXY": "", "no_proxy": ""}
        result = run(reg, "--since", SINCE, extra_env=env)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.exit_code == 0, result.stderr
    assert proxy.tunnels and set(proxy.tunnels) == {provider.server.url.removeprefix("https://")}
    assert advisory(reg, ACME)["feed"] == provider.metadata_url


def test_bad_options_are_one_line(run: Callable[..., Run], tmp_path: Path) -> None:
    reg = make_register(tmp_path / "reg")
    unknown = run(reg, "--vendor", "nope")
    assert (unknown.exit_code, unknown.stderr.strip()) == (
        2,
        "iotpolicy: --vendor nope: no such vendor in the register",
    )
    no_feed = run(reg, "--vendor", "acme")
    assert (
        no_feed.stderr.strip() == "iotpolicy: --vendor acme: vendors/acme.yaml has no advisory_feed"
    )
    nothing = run(reg)
    assert nothing.exit_code == 0
    assert nothing.stdout.startswith("No feed to fetch: set advisory_feed on a vendor")
    assert run(reg, "--since", "2026-13-01").exit_code == 2


def test_tlp_green_is_fetched_only_when_asked(
    run: Callable[..., Run], lone: Callable[..., tuple[Path, Provider, str]]
) -> None:
    def green(provider: Provider, path: str) -> None:
        _relabel(provider, path, "GREEN")

    reg, provider, path = lone(green)
    refused = run(reg, "--since", SINCE)
    one_refusal(refused, provider.server.url + path, "TLP:GREEN: only TLP:CLEAR/WHITE")
    accepted = run(reg, "--since", SINCE, "--tlp", "green")
    assert accepted.exit_code == 0, accepted.stderr
    assert advisory(reg, "icsa-24-289-02")["feed"] == provider.metadata_url


@pytest.mark.parametrize(
    ("name", "schema", "opens"),
    [
        ("fetch-advisories.github.yml", "vendor.github-workflows", "gh pr create"),
        ("fetch-advisories.gitlab-ci.yml", "vendor.gitlab-ci", "-o merge_request.create"),
    ],
)
def test_the_scheduled_ci_examples(name: str, schema: str, opens: str) -> None:
    """Valid GitHub / GitLab files (check-jsonschema's vendored schemas, offline) that run on a
    schedule, fetch with --commit, open the change for review, install the tagged release as
    the other CI files do, and appear in the README as they are."""
    root = REPO
    path = root / "docs" / "ci" / name
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            schema,
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = path.read_text("utf-8")
    data = yaml.safe_load(text)
    if "github" in name:
        assert data[True]["schedule"]  # PyYAML reads the key `on` as True
        script = data["jobs"]["fetch"]["steps"][-1]["run"]
    else:
        assert data["fetch-advisories"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
        script = "\n".join(data["fetch-advisories"]["script"])
    assert "iotpolicy advisories fetch --register register --commit || status=$?" in script
    assert opens in script
    assert script.rstrip().endswith('exit "$status"')
    installs = re.findall(r"pip install .*", text)
    assert installs == [f"pip install git+https://github.com/iotpolicy/iotpolicy@v{__version__}"]
    assert text in (root / "README.md").read_text("utf-8")


def test_two_pinned_keys_are_valid_at_once_and_a_red_feed_is_not_read(
    run: Callable[..., Run], servers: Callable[..., Server], tmp_path: Path
) -> None:
    """A key rotation in progress: the provider lists its old and new key, the register pins
    both, documents signed by either verify. A TLP:RED feed of the metadata is not requested."""
    provider = Provider(servers(), "rolie")
    rotated = new_key("new-signing-key@example.com")
    provider.site.files["/openpgp/new.asc"] = str(rotated).encode()
    metadata = provider.metadata()
    fingerprint = rotated.fingerprint.upper()
    metadata["public_openpgp_keys"].append(
        {"fingerprint": fingerprint, "url": f"{provider.server.url}/openpgp/new.asc"}
    )
    red = f"{provider.server.url}/red/red-feed.json"
    metadata["distributions"][0]["rolie"]["feeds"].append({"tlp_label": "RED", "url": red})
    provider.set_metadata(metadata)
    data = revised(csaf("icsa-24-289-02.json"))
    provider.add(data, signature=sign(data, rotated))
    reg = make_register(tmp_path / "reg", provider.metadata_url, keys=(FINGERPRINT, fingerprint))
    result = run(reg, "--since", SINCE)
    assert result.exit_code == 0, result.stderr
    assert advisory(reg, "icsa-24-289-02")["feed"] == provider.metadata_url
    assert advisory(reg, ACME)["feed"] == provider.metadata_url  # the old key's signature
    assert f"  note: {red}: a TLP:RED feed; not read" in result.stdout.splitlines()
    assert provider.site.requested("/red/red-feed.json") == 0
