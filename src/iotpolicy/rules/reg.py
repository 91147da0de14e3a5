"""REG: the register itself is readable, consistent and free of secrets (4.2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iotpolicy.grammar.secrets import scan_data, scan_text
from iotpolicy.kinds import KINDS, PEOPLE_FILE, TARGETS, folder_kinds
from iotpolicy.models.base import slug_problem
from iotpolicy.register import Record, file_subject
from iotpolicy.rules.base import Violation, rule
from iotpolicy.view import Context
from iotpolicy.yamlio.nodes import LDict, LList


@rule(
    "REG-001",
    "error",
    "Every file is valid YAML and matches its model",
    "4.2.1",
    "ISO 27001 7.5.3",
    scope="records",
)
def reg_001(ctx: Context) -> Iterator[Violation]:
    """A file is not valid YAML or does not match its model: a wrong type, a missing required
    field, a value outside its vocabulary or an unknown key (a typo such as ``segmnet:``).
    One finding per problem, at the offending line.

    Passes: ``network: {segment: ot-line1}``. Fails: ``network: {segmnet: ot-line1}``.
    """
    for problem in ctx.register.problems:
        yield Violation(problem.subject, problem.file, problem.line, problem.message)


@rule(
    "REG-002",
    "error",
    "Ids are slugs, match their file names and are unique",
    "4.2.2",
    "IEC 62443-3-3 SR 7.8",
    across_devices=True,
    scope="records",
)
def reg_002(ctx: Context) -> Iterator[Violation]:
    """An id is not a slug (``^[a-z0-9][a-z0-9._-]{0,62}$``, not ending in ``.``, not a name
    Windows reserves: ``con``, ``prn``, ``aux``, ``nul``, ``com1``-``com9``, ``lpt1``-``lpt9``,
    with or without an extension), differs from its file name, or is used again for the same kind
    of record (person ids in people.yaml included). Every occurrence after the first, in path and
    line order, gets the finding.

    Passes: ``devices/cam-gate-01.yaml`` with ``id: cam-gate-01``.
    Fails: ``devices/cam-gate-01.yaml`` with ``id: Cam Gate 1``.
    """
    kinds: dict[str, list[tuple[str, str | None, int, str]]] = {
        kind: [(r.file, r.raw_id, r.line("id"), r.subject) for r in records]
        for kind, records in (("person", ctx.register.people), *ctx.register.records.items())
        if kind != "device"  # devices below, from the facts of every device file
    }
    kinds["device"] = [(f.file, f.raw_id, f.id_line, f.subject) for f in ctx.device_facts]
    for ids in kinds.values():
        first_file: dict[str, str] = {}
        for file, raw, line, subject in ids:
            if raw is None:
                continue
            problems: list[str] = []
            problem = slug_problem(raw)
            if problem is not None:
                problems.append(f"id is not a slug ({problem})")
            stem = file.rsplit("/", 1)[-1].removesuffix(".yaml")
            if file != PEOPLE_FILE and raw != stem:
                problems.append(f"id '{raw}' differs from the file name '{stem}.yaml'")
            if raw in first_file:
                problems.append(f"id '{raw}' is already used in {first_file[raw]}")
            else:
                first_file[raw] = file
            if problems:
                yield Violation(subject, file, line, "; ".join(problems))


def _walk(
    data: Any, pattern: tuple[str, ...], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path, value) for every value matching ``pattern`` in raw record data."""
    if not pattern:
        yield path, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, LList):
            for index, item in enumerate(data):
                yield from _walk(item, rest, (*path, index))
    elif isinstance(data, LDict) and head in data:
        yield from _walk(data[head], rest, (*path, head))


@rule("REG-003", "error", "Every reference resolves", "4.2.2", "ISO 27001 7.5.3", scope="records")
def reg_003(ctx: Context) -> Iterator[Violation]:
    """A reference does not resolve: a device's vendor, owner or segment, any person field, an
    exception's subject (any record id, or ``policy``) or rule id, an advisory's vendor, the
    device of its triage entries, an incident's device, or a flow's target (a segment id or
    ``internet``). One finding per unresolved reference. Records that fail their model still
    resolve references by their id, and a file that cannot be read as a record at all by its
    file name.

    Passes: ``vendor: siemens`` with ``vendors/siemens.yaml``. Fails: ``vendor: siemes``.
    """
    ids: dict[str, set[str]] = {
        "person": {r.raw_id for r in ctx.register.people if r.raw_id is not None},
        "rule": set(ctx.known_rules),
    }
    for kind in folder_kinds():
        ids[kind.name] = {r.raw_id for r in ctx.register.of(kind.name) if r.raw_id is not None}
        ids[kind.name] |= ctx.register.unreadable.get(kind.name, set())
    ids["device"] |= {f.raw_id for f in ctx.device_facts if f.raw_id is not None}
    ids["flow-target"] = ids["segment"] | {"internet"}
    ids["subject"] = set().union(*(ids[k] for k in ids if k not in ("rule", "flow-target")))
    ids["subject"].add("policy")
    for record in ctx.register.all_records():
        for reference in KINDS[record.kind].references:
            target = reference.target
            for path, value in _walk(record.data, reference.path):
                if not isinstance(value, str) or not value.strip() or value in ids[target]:
                    continue
                field = ".".join(str(p) for p in path)
                what = TARGETS[target] if target in TARGETS else KINDS[target].named(value)
                yield Violation(
                    record.subject,
                    record.file,
                    record.line(*path),
                    f"{field}: '{value}' is not a known {what}",
                )


@rule(
    "REG-004",
    "error",
    "No credential is stored in the register",
    "P4S, 5.31",
    "ISO 27002 5.17, NIST IA-5",
    scope="records",
)
def reg_004(ctx: Context) -> Iterator[Violation]:
    """A credential is stored in the register, anywhere in a file's text, comments included: a key
    whose name holds, as a whole word between ``_``, ``-``, camelCase or the ends (any case),
    password, passwd, pwd, pw, pass, passcode, passphrase, pin, secret, token, psk, wpa,
    community, credential, kennwort (and the other languages the README lists), api_key/apikey,
    access_key, secret_key, private_key or a similar pair, with a non-empty value (such a key is
    REG-004, not an unknown key); a ``-----BEGIN ... PRIVATE KEY-----`` block; ``user:pass@`` or
    ``:pass@`` in a URL; a well-known token format anywhere (AWS access key ids, GitHub, GitLab,
    Slack and Google keys, JWTs, ``Bearer`` tokens ...) or a random-looking string of key
    length; text like ``password: x``, ``pin=x``, ``key: x``, ``Kennwort lautet x``, ``the WPA2
    key is x`` in free text; a user/password pair (``admin/admin``, ``root/1234``,
    ``admin:pw``; ``admin/operator`` names two roles). Digests, fingerprints and version
    strings are not credentials. The message never repeats the secret: remove it, rotate it,
    and keep it in a password manager.

    Passes: ``default_credentials_changed: true``. Fails: ``snmp_community: public``.
    """
    by_file: dict[str, list[Record[Any]]] = {}
    for record in ctx.register.all_records():
        by_file.setdefault(record.file, []).append(record)
    for file, text in ctx.register.texts.items():
        if file not in ctx.secret_files:
            continue
        records = by_file.get(file, [])
        hits = set(scan_text(text))
        for record in records:
            hits.update(scan_data(record.data))
        grouped: dict[str, list[tuple[int, str]]] = {}
        for line, what in sorted(hits):
            grouped.setdefault(_subject_at(file, line, records), []).append((line, what))
        for subject, items in grouped.items():
            listing = ", ".join(f"{what} (line {line})" for line, what in items)
            yield Violation(
                subject,
                file,
                items[0][0],
                f"credential stored in the register: {listing}; remove it from the file and "
                "its git history, rotate it, and keep it in a password manager",
            )


def _subject_at(file: str, line: int, records: list[Record[Any]]) -> str:
    """The subject owning ``line`` of ``file``: the person whose entry holds it in people.yaml."""
    if file == PEOPLE_FILE:
        owner = "people"
        for record in records:
            if record.data.line <= line:
                owner = record.subject
        return owner
    return records[0].subject if records else file_subject(file)
