"""``iotpolicy advisories``: import CSAF advisories, list them, set their status, record triage
decisions, match them to devices again, record CISA's known-exploited CVEs. The drafting is
:mod:`iotpolicy.importers.advisories`; every write goes through
:func:`iotpolicy.writing.draft.write_drafts` (lock, reload, check the drafted files as ``check``
reads them, write all or nothing, ``--commit`` one commit)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from iotpolicy.cache import CACHE_FOLDER
from iotpolicy.cli.app import (
    CommitWrittenOption,
    RegisterOption,
    app,
    date_option,
    echo,
    parse_as_of,
    print_outcomes,
    progress_bar,
    user_errors,
    wants_progress,
    write_output,
)
from iotpolicy.cli.completion import complete_device_id
from iotpolicy.cli.prompts import InteractiveOption, edit_with_prompts, with_fields
from iotpolicy.domain.affected import affects, known_exploited_label
from iotpolicy.domain.csaf import MAX_CSAF_BYTES, parse_csaf
from iotpolicy.domain.triage import (
    TriageUpdate,
    is_possible,
    record_matches,
)
from iotpolicy.engine import evaluate, secrets_of, select_rules
from iotpolicy.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from iotpolicy.fetch import (
    Document,
    EtagStore,
    FetchError,
    FetchResult,
    ProviderResult,
    Validator,
    download,
    feed_sources,
    feed_state,
    fetch,
    shown,
)
from iotpolicy.fetch import (
    Options as FetchOptions,
)
from iotpolicy.fetch.verify import PUBLIC_TLP
from iotpolicy.fsio import in_register
from iotpolicy.grammar.names import slugify
from iotpolicy.importers.advisories import (
    Reports,
    advisory_drafts,
    advisory_order,
    by_vendor,
    kev_drafts,
    match_drafts,
)
from iotpolicy.importers.common import record_names, settings_of, valid_models
from iotpolicy.importers.fetched import parsed_documents, trust_drafts, with_kev
from iotpolicy.importers.kev import MAX_KEV_BYTES, Catalog, KevError, parse_kev
from iotpolicy.inputs import read_input
from iotpolicy.kinds import POLICY_FILE
from iotpolicy.models.enums import (
    TriageStatus,
)
from iotpolicy.register import find_register, load_register
from iotpolicy.wording import plural as _plural
from iotpolicy.writing.draft import Draft, Outcome, round_trip, write_drafts
from iotpolicy.writing.edit import record_triage, triage_target
from iotpolicy.writing.fields import TRIAGE_FIELDS, Values
from iotpolicy.writing.snapshot import Refused, Snapshot

advisories_app = typer.Typer(
    name="advisories",
    help=(
        "Vendor security advisories: import CSAF documents, list them, match them to devices, "
        "record per-device triage decisions and CISA's known-exploited CVEs."
    ),
    no_args_is_help=True,
)


app.add_typer(advisories_app, name="advisories")


@advisories_app.command("import")
def advisories_import(
    files: list[Path] = typer.Argument(..., help="CSAF 2.0 JSON documents."),
    vendor: str | None = typer.Option(
        None,
        "--vendor",
        metavar="ID",
        help="The vendor id to record them under (default: from the document).",
    ),
    received_on: str | None = date_option("--received-on", "Date the advisories were received"),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Record CSAF advisories as advisories/ID.yaml, and show which devices they match.

    Exact matches (model number, part number, serial number, CPE, or model name) are written as
    affects entries, so FW-002 reports affected devices; devices whose model is only similar are
    written as triage candidates, which FW-003 reports until someone decides them (iotpolicy
    advisories triage). A newer revision of an advisory already recorded updates it (its
    status, note and triage are kept; decisions made for the older revision lapse).
    """
    received = parse_as_of(received_on, "--received-on")
    with user_errors():
        root = find_register(register)
        documents = [parse_csaf(read_input(path, MAX_CSAF_BYTES), path.name) for path in files]
        reports: Reports = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            reports.clear()
            drafts: list[Draft] = []
            for document in documents:
                drafts += advisory_drafts(snap, document, vendor, received, reports)
            return drafts

        message = f"Import advisories from {', '.join(f.name for f in files)}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message)
        print_reports(reports)
        print_outcomes(outcomes)


def print_reports(reports: Reports) -> None:
    """Each advisory record written, with the devices it matches and its warnings."""
    for rel, headline, matches, warnings in reports:
        echo(f"{rel}: {headline}")
        for match in matches:
            if match.exact:
                echo(f"  matches {match.describe()}")
        for match in matches:
            if is_possible(match):
                echo(f"  candidate {match.describe()}")
        for match in matches:
            if not match.exact and not match.affected:
                echo(f"  similar {match.describe()}: no candidate")
        if not matches:
            echo("  matches no registered device")
        for warning in warnings:
            echo(f"  warning: {warning}")


class ListFormat(StrEnum):
    """Output formats of ``advisories list``."""

    TEXT = "text"
    JSON = "json"


@advisories_app.command("list")
def advisories_list(
    fmt: ListFormat = typer.Option(ListFormat.TEXT, "--format", "-f", help="Output format."),
    register: str | None = RegisterOption,
) -> None:
    """Every advisory with its status, the registered devices it affects (as FW-002 counts
    them: vendor, product and firmware in range, or a current affected decision) and the
    triage of each device."""
    with user_errors():
        root = find_register(register)
        loaded = load_register(root)
        devices = valid_models(loaded, "device")
        vendors = record_names(loaded, "vendor")
        scrub = secrets_of(loaded)  # titles and notes are the register's free text
        entries = []
        for advisory in sorted(valid_models(loaded, "advisory"), key=lambda a: a.id):
            matches = record_matches(advisory, devices, vendors)
            affected = sorted(d.id for d in devices if affects(advisory, d))
            entries.append((advisory, matches, affected))
        if fmt is ListFormat.JSON:
            document = [
                {
                    "id": a.id,
                    "vendor": a.vendor,
                    "kind": a.kind.value,
                    "status": a.status.value,
                    "title": a.title,
                    "received_on": a.received_on.isoformat() if a.received_on else None,
                    "cves": list(a.cves),
                    "cvss": a.cvss,
                    "known_exploited": [k.cve for k in a.known_exploited],
                    "affected_devices": affected,
                    "matches": [m.to_dict() for m in ms],
                    "triage": [t.model_dump(mode="json", exclude_none=True) for t in a.triage],
                    "note": a.note,
                }
                for a, ms, affected in entries
            ]
            text = json.dumps(scrub.data(document), indent=2, ensure_ascii=False)
            write_output(text + "\n", None)
            return

        def say(line: str) -> None:
            echo(scrub(line))

        if not entries:
            say("No advisories recorded.")
        for advisory, matches, affected in entries:
            say(
                f"{advisory.id}  {advisory.status.value}  {advisory.kind.value}  "
                f"{advisory.vendor}  {advisory.title or ''}".rstrip()
            )
            exploited = known_exploited_label([advisory])
            if exploited:
                say(f"  {exploited}")
            say(f"  affects: {', '.join(affected) if affected else 'no registered device'}")
            for entry in advisory.triage:
                made = f" by {entry.by}" if entry.by else ""
                made += f" on {entry.on}" if entry.on else ""
                why = f" ({entry.justification.value})" if entry.justification else ""
                say(f"  triage: {entry.device} {entry.status.value}{why}{made}")
            triaged = {t.device.strip() for t in advisory.triage}
            for match in matches:
                if is_possible(match) and match.device not in triaged:
                    say(f"  possible: {match.describe()} (iotpolicy advisories match)")
            if advisory.note:
                say(f"  note: {advisory.note}")


class AdvisoryState(StrEnum):
    """Statuses ``advisories set-status`` records for an advisory as a whole."""

    MITIGATED = "mitigated"
    NOT_APPLICABLE = "not-applicable"
    OPEN = "open"


@advisories_app.command("set-status")
def advisories_set_status(
    advisory_id: str = typer.Argument(..., metavar="ID", help="The advisory id."),
    status: AdvisoryState = typer.Argument(
        ..., help="mitigated, not-applicable (or open to reopen)."
    ),
    note: str = typer.Option(..., "--note", help="Why: what was done, or why it does not apply."),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Set the status of an advisory as a whole (mitigated, not-applicable, open) with a note.

    A decision about one device is recorded with iotpolicy advisories triage."""
    with user_errors():
        root = find_register(register)
        rel = f"advisories/{advisory_id}.yaml"

        def drafts_of(snap: Snapshot) -> list[Draft]:
            record = next((r for r in snap.register.of("advisory") if r.file == rel), None)
            if record is None:
                raise UsageError(f"no advisory '{advisory_id}' in the register ({rel})")
            snap.valid_file(rel)
            doc = round_trip(rel, snap.register.texts[rel])
            doc.set(("status",), status.value, advisory_order)
            doc.set(("note",), " ".join(note.split()), advisory_order)
            message = f"Set advisory {advisory_id} {status.value}"
            return [Draft(rel, doc.text(), advisory_id, message, False)]

        outcomes = write_drafts(root, date.today(), commit, drafts_of)
        echo(f"{outcomes[0].message}: {rel} written.")
        print_outcomes(outcomes)


class Decision(StrEnum):
    """What ``advisories triage`` records for a device."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not-affected"


@advisories_app.command("triage")
@with_fields(TRIAGE_FIELDS)
def advisories_triage(
    advisory_id: str = typer.Argument(..., metavar="ID", help="The advisory id."),
    device_id: str = typer.Argument(
        ..., metavar="DEVICE", help="The device's id.", autocompletion=complete_device_id
    ),
    decision: Decision = typer.Argument(..., help="affected or not-affected."),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Record whether one device is affected by an advisory (a triage decision, kept in git).

    The decision replaces the device's candidate or earlier entry and is made for the device's
    current firmware and the advisory's revision: it lapses when either changes, and FW-003
    then asks for it again. not-affected needs --justification (the CSAF/VEX words)."""
    with user_errors():
        root = find_register(register)
        status = TriageStatus(decision.value)
        triage_target(Snapshot(load_register(root), date.today()), advisory_id, device_id)

        def write(values: Values, known_only: bool) -> Outcome:
            return record_triage(
                root, advisory_id, device_id, status, values, today=date.today(), commit=commit
            )

        words = ["advisories", "triage", advisory_id, device_id, decision.value]
        words += [*(["--register", register] if register else []), *(["--commit"] * commit)]
        needed = {"justification"} if status is TriageStatus.NOT_AFFECTED else set()
        fields = [replace(f, required=True) if f.key in needed else f for f in TRIAGE_FIELDS]
        _, outcome = edit_with_prompts(
            words, None, fields, given, root, interactive, write,
            start={"status": status.value}, check_first=False,
        )  # fmt: skip
    echo(f"{outcome.message}: {outcome.file} written.")
    result = evaluate(
        load_register(root), date.today(), select_rules(["FW-002", "FW-003"]), str(root)
    )
    about = [f for f in result.findings if f.subject == device_id]
    for finding in about:
        echo(f"  {finding.file}:{finding.line}: {finding.rule}: {finding.message}")
    if not about:
        echo(f"No advisory finding about {device_id}.")
    print_outcomes((outcome,))


@advisories_app.command("match")
def advisories_match(
    register: str | None = RegisterOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    commit: bool = CommitWrittenOption,
) -> None:
    """Match every open vulnerability advisory against every device again: devices whose model
    is similar to an affected product (firmware in range) become triage candidates; candidates
    that no longer match possibly (model or firmware changed, device retired or gone) are
    dropped. Decisions are kept."""
    with user_errors():
        root = find_register(register)
        updates: list[TriageUpdate] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            updates.clear()
            drafts, found = match_drafts(snap.register)
            updates.extend(found)
            return drafts

        outcomes = write_drafts(
            root, date.today(), commit, drafts_of, "Match advisories to devices", dry_run
        )
        for update in updates:
            echo(f"{'would ' if dry_run else ''}{update.describe()}")
        if not updates:
            echo("Every possible match has a triage entry; nothing to change.")
        print_outcomes(outcomes, dry_run)


@advisories_app.command("kev")
def advisories_kev(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="CISA's KEV catalog (known_exploited_vulnerabilities.json)."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Record, on each advisory naming a CVE of CISA's Known Exploited Vulnerabilities catalog,
    known_exploited (CVE, date added, due date, ransomware use): FW-002 then names it first."""
    with user_errors():
        root = find_register(register)
        catalog = parse_kev(read_input(file, MAX_KEV_BYTES), file.name)
        changed: list[tuple[str, list[dict[str, Any]]]] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            changed.clear()
            drafts, found = kev_drafts(snap.register, catalog)
            changed.extend(found)
            return drafts

        message = f"Record CISA KEV catalog {catalog.version}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message)
        print_kev(catalog, changed)
        print_outcomes(outcomes)


def print_kev(catalog: Catalog, changed: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """The catalog read and the advisories whose known-exploited CVEs it changed."""
    echo(f"CISA KEV catalog {catalog.version}: {_plural(len(catalog.entries), 'CVE')}.")
    for rel, entries in changed:
        listed = ", ".join(
            f"{e['cve']} (due {e['due_date']})" if "due_date" in e else e["cve"] for e in entries
        )
        echo(f"{rel}: known exploited {listed}")
    if not changed:
        echo("No advisory changed.")


# --- advisories fetch ---------------------------------------------------------------------------


class TlpChoice(StrEnum):
    """The TLP labels ``advisories fetch`` accepts."""

    CLEAR = "clear"
    GREEN = "green"


FETCH_CACHE = "fetch.json"
"""The fetch's ETags, in the register's cache folder."""


@advisories_app.command("fetch")
def advisories_fetch(
    vendor: list[str] = typer.Option(
        [],
        "--vendor",
        metavar="ID",
        help="Fetch only this vendor's own feed (repeatable); the shared feeds of "
        "settings.advisory_feeds are read when no --vendor is given.",
    ),
    since: str | None = date_option(
        "--since",
        "Fetch what was published or updated on or after this date instead of since the last fetch",
        "365 days before today for a feed never fetched",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fetch and verify; show what would change, write nothing."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Write nothing when a document was refused or a provider skipped."
    ),
    skip: list[str] = typer.Option(
        [],
        "--skip",
        metavar="DOCUMENT-ID",
        help="A document known to be bad (its tracking id): neither fetched nor reported "
        "(repeatable).",
    ),
    trust_on_first_use: bool = typer.Option(
        False,
        "--trust-on-first-use",
        help="For a feed without pinned keys, trust the key fingerprints its provider metadata "
        "lists, and record them in the register.",
    ),
    tlp: TlpChoice = typer.Option(
        TlpChoice.CLEAR,
        "--tlp",
        help="clear: only TLP:CLEAR (WHITE) documents; green: TLP:GREEN ones too.",
    ),
    received_on: str | None = date_option("--received-on", "Date the advisories were received"),
    parallel: int = typer.Option(
        4, "--parallel", min=1, max=16, metavar="N", help="At most N downloads at a time."
    ),
    timeout: float = typer.Option(
        30.0,
        "--timeout",
        min=0.1,
        max=600.0,
        metavar="SECONDS",
        help="Give up on a request that gets no answer for this long.",
    ),
    retries: int = typer.Option(
        2,
        "--retries",
        min=0,
        max=10,
        metavar="N",
        help="Retry a download that timed out, failed to connect or got HTTP 429/5xx N times, "
        "waiting 1 s, 2 s, 4 s ... in between.",
    ),
    max_size: float = typer.Option(
        10.0, "--max-size", min=0.01, metavar="MB", help="Refuse a document larger than this."
    ),
    allow_http: bool = typer.Option(
        False, "--allow-http", help="Allow plain http:// (always allowed to 127.0.0.1)."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Fetch new advisories from the vendors' own CSAF providers (vendor advisory_feed) and the
    shared feeds of settings.advisory_feeds, verify them, and record them as advisories import
    does (matching, triage candidates, revisions).

    Each document's SHA-512 (else SHA-256) hash and OpenPGP signature are checked against the
    keys pinned in the register (advisory_keys, or the feed's keys); a document failing a check,
    on another host than the provider metadata, or not TLP:CLEAR is refused and never written.
    Each feed starts where its last fetch ended (the latest revision recorded from it). What
    verified is written in one write; exit 1 when anything was refused or a provider skipped.
    With settings.kev_feed set, CISA's KEV catalog is applied too, as advisories kev does."""
    since_date = parse_as_of(since, "--since") if since else None
    received = parse_as_of(received_on, "--received-on")
    today = date.today()
    with user_errors():
        root = find_register(register)
        loaded = load_register(root)
        vendors = {v.id: v for v in valid_models(loaded, "vendor")}
        for vendor_id in vendor:
            if vendor_id not in vendors:
                raise UsageError(f"--vendor {vendor_id}: no such vendor in the register")
            if not vendors[vendor_id].advisory_feed:
                raise UsageError(
                    f"--vendor {vendor_id}: vendors/{vendor_id}.yaml has no advisory_feed"
                )
        if loaded.policy is None or loaded.policy.model is None:
            raise Refused(
                f"refused: {POLICY_FILE} is not valid, so its settings.advisory_feeds and "
                "kev_feed cannot be read; fix it first (iotpolicy check); nothing was fetched"
            )
        settings = settings_of(loaded)
        sources = feed_sources(vendors.values(), settings, vendor)
        if not sources and not settings.kev_feed:
            echo(
                "No feed to fetch: set advisory_feed on a vendor, or settings.advisory_feeds "
                "in policy.yaml."
            )
            return
        state = feed_state(valid_models(loaded, "advisory"))
        etags = EtagStore(in_register(root, f"{CACHE_FOLDER}/{FETCH_CACHE}"))
        options = FetchOptions(
            default_since=today - timedelta(days=365),
            since=since_date,
            ended=state.ended,
            recorded=state.recorded,
            skip=frozenset(filter(None, (slugify(s, "") for s in skip))),
            tlp=PUBLIC_TLP | ({"GREEN"} if tlp is TlpChoice.GREEN else set()),
            trust_on_first_use=trust_on_first_use,
            parallel=parallel,
            timeout=timeout,
            retries=retries,
            max_bytes=int(max_size * 1024 * 1024),
            allow_http=allow_http,
            etags=etags,
        )
        show = wants_progress(None, False, sys.stderr)
        with progress_bar(show, True, "Fetching advisories") as progress:
            result = fetch(sources, options, progress)
        catalog, kev_problem = _fetch_kev(settings.kev_feed, options)
        documents, refused = parsed_documents(result)
        skipped = [p for p in result.providers if p.skipped]
        _print_fetched(result, dry_run)
        trouble = len(refused) + len(skipped) + (kev_problem is not None)
        if strict and trouble:
            _print_refusals(refused, skipped, kev_problem)
            raise Refused(
                f"--strict: {_plural(len(refused), 'document')} refused, "
                f"{_plural(len(skipped), 'provider')} skipped; nothing was written"
            )
        reports: Reports = []
        unregistered: list[str] = []
        late: list[tuple[Document, str]] = []
        kev_changed: list[tuple[str, list[dict[str, Any]]]] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            for found in (reports, unregistered, late, kev_changed):
                found.clear()
            names = record_names(snap.register, "vendor")
            drafts = trust_drafts(snap, result.providers)
            for fetched, document in documents:
                owner = fetched.source.vendor
                if owner is None and not by_vendor(document, names, None):
                    unregistered.append(document.tracking_id)
                    continue
                try:
                    drafts += advisory_drafts(
                        snap, document, owner, received, reports, fetched.feed
                    )
                except Refused as exc:
                    late.append((fetched, str(exc).removeprefix("refused: ")))
            if catalog is not None:
                drafts = with_kev(snap.register, drafts, catalog, kev_changed)
            return drafts

        providers = sum(1 for p in result.providers if not p.skipped)
        message = f"Fetch advisories from {_plural(providers, 'provider')}"
        outcomes = write_drafts(root, today, commit, drafts_of, message, dry_run)
        refused += [(f.url, reason) for f, reason in late]
        for fetched, _ in late:
            result.distrust(fetched.listing)
        print_reports(reports)
        if catalog is not None:
            print_kev(catalog, kev_changed)
        _print_refusals(refused, skipped, kev_problem)
        if not dry_run:
            after = load_register(root) if outcomes else loaded
            ended = feed_state(valid_models(after, "advisory")).ended
            etags.save(
                {
                    x.url: Validator(x.etag, x.last_modified, _iso(ended.get(x.feed)))
                    for x in result.listings
                    if (x.etag or x.last_modified) and _read_far_enough(x.feed, options)
                }
            )
        recorded = sum(1 for r in reports if not r[1].startswith("unchanged"))
        head = "Dry run, nothing written" if dry_run else "Fetched"
        echo(
            f"{head}: {_plural(len(result.documents), 'document')} verified from "
            f"{_plural(providers, 'provider')}, {recorded} {'to record' if dry_run else 'recorded'}"
            + (f", {len(unregistered)} naming no registered vendor" if unregistered else "")
            + f"; {len(refused)} refused"
            + (f", {_plural(len(skipped), 'provider')} skipped" if skipped else "")
            + "."
        )
        print_outcomes(outcomes, dry_run)
    raise typer.Exit(EXIT_FINDINGS if len(late) + trouble else EXIT_OK)


def _read_far_enough(feed: str, options: FetchOptions) -> bool:
    """Whether a listing's ETag holds for the next fetch: this one read at least as far back
    as the feed's fetches start (a later ``--since`` read less)."""
    start = options.ended.get(feed, options.default_since)
    return options.since is None or options.since <= start


def _shown(feed: str) -> str:
    """A feed as written in the register, as printed (a URL without credentials or query)."""
    return shown(feed) if "://" in feed else feed


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _fetch_kev(url: str | None, options: FetchOptions) -> tuple[Catalog | None, str | None]:
    """CISA's KEV catalog from ``url``, or why it could not be had."""
    if url is None:
        return None, None
    try:
        return parse_kev(download(url, options, MAX_KEV_BYTES), shown(url)), None
    except (FetchError, KevError) as exc:
        return None, f"KEV catalog not refreshed: {exc}"


def _print_fetched(result: FetchResult, dry_run: bool) -> None:
    """One line per provider: what it listed and what was new; keys offered, notes."""
    for report in result.providers:
        where = f"{report.source.label}: {report.feed or _shown(report.source.url)}"
        if report.skipped:
            continue
        since = f" since {report.since}" if report.since else ""
        unchanged = ", listing unchanged" if report.unchanged_listings else ""
        echo(f"{where}: {report.listed} listed, {report.new} new{since}{unchanged}")
        if report.trusted:
            recorded = "would be recorded" if dry_run else "recorded"
            echo(
                f"  trusted on first use: {', '.join(report.trusted)} ({recorded} in "
                f"{report.source.label.split(' ', 1)[0]}; check them with the vendor)"
            )
        for fingerprint in report.offered:
            echo(
                f"  the provider also lists key {fingerprint}, which is not pinned: a new "
                "key? Verify it with the vendor and add it to the register to trust it"
            )
        for note in report.notes:
            echo(f"  note: {note}")


def _print_refusals(
    refused: Sequence[tuple[str, str]],
    skipped: Sequence[ProviderResult],
    kev_problem: str | None,
) -> None:
    for report in skipped:
        echo(f"skipped {report.source.label} ({report.source.url}): {report.skipped}", err=True)
    for what, reason in refused:
        echo(f"refused {what}: {reason}", err=True)
    if kev_problem:
        echo(kev_problem, err=True)
