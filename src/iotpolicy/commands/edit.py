"""The editing commands: ``add-device``, ``add-vendor``, ``add-segment``, ``add-person``,
``add-exception``, ``record-change`` and ``retire``.

Thin on purpose: options (one per field of :mod:`iotpolicy.fields`, added by :func:`with_fields`)
and prompts become values, :mod:`iotpolicy.editing` checks and writes them, this module prints
what happened. Prompts appear only when standard input is a terminal, or with ``--interactive``
(or ``IOTPOLICY_INTERACTIVE=1``); ``--no-interactive`` never prompts.
"""

from __future__ import annotations

import contextlib
import inspect
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import typer

from iotpolicy.app import RegisterOption, app, user_errors
from iotpolicy.completion import (
    complete_device_id,
    complete_record_id,
    complete_rule_id,
    complete_segment_id,
    complete_vendor_id,
)
from iotpolicy.editing import (
    CHANGE_FIELDS_ALL,
    DEVICE,
    KINDS,
    Kind,
    Outcome,
    Snapshot,
    add_record,
    apply_defaults,
    change_fields,
    change_prompt_values,
    fill,
    missing,
    parse_options,
    record_change,
    retire,
)
from iotpolicy.errors import EXIT_INTERRUPTED, RefusedError, UsageError
from iotpolicy.fields import RETIRE_FIELDS, Field, Ref, Values
from iotpolicy.models.enums import ChangeKind
from iotpolicy.register import find_register, load_register
from iotpolicy.secrets import looks_secret

F = TypeVar("F", bound=Callable[..., Any])

CommitOption = typer.Option(
    False, "--commit", help="Commit the changed file with git, and only that file."
)
InteractiveOption = typer.Option(
    None,
    "--interactive/--no-interactive",
    envvar="IOTPOLICY_INTERACTIVE",
    help="Prompt for missing values (default: only when standard input is a terminal).",
)


class ChangeKindChoice(StrEnum):
    """The changes ``record-change`` records (retirement and disposal: ``retire``)."""

    COMMISSIONING = "commissioning"
    FIRMWARE_UPDATE = "firmware-update"
    CONFIGURATION = "configuration"
    REPLACEMENT = "replacement"
    RELOCATION = "relocation"


def with_fields(fields: Sequence[Field]) -> Callable[[F], F]:
    """Give the decorated command one option per field (a ``--name/--no-name`` flag for yes/no
    fields, repeatable for lists); their values reach the command's ``**given`` by field key."""

    def decorate(command: F) -> F:
        signature = inspect.signature(command)
        params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        annotations = dict(command.__annotations__)
        for fld in fields:
            kind: Any
            if fld.flag:
                names, kind = [f"{fld.option}/--no-{fld.name}"], bool | None
            else:
                names, kind = [fld.option], (list[str] | None) if fld.many else (str | None)
            option = typer.Option(
                None,
                *names,
                metavar=None if fld.flag else _metavar(fld),
                autocompletion=_COMPLETION.get(fld.ref) if fld.ref else None,
                help=fld.help or fld.label,
                rich_help_panel=fld.panel,
                show_default=False,
            )
            params.append(
                inspect.Parameter(
                    fld.key, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind
                )
            )
            annotations[fld.key] = kind
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = annotations
        return command

    return decorate


_COMPLETION: dict[Ref, Callable[..., Any]] = {
    Ref.VENDOR: complete_vendor_id,
    Ref.SEGMENT: complete_segment_id,
    Ref.RULE: complete_rule_id,
    Ref.SUBJECT: complete_record_id,
}
"""Shell completion of the ids a field names."""
_METAVARS = {
    "day": "DATE",
    "slug": "ID",
    "ip": "IP",
    "mac": "MAC",
    "cidr": "CIDR",
    "integer": "N",
    "count": "N",
    "service": "NAME:PORT/PROTO:WHY",
    "account": "NAME:ROLE",
    "flow": "TO:SERVICE:PORT/PROTO:PURPOSE",
    "roles": "ROLE",
    "rule_id": "RULE",
    "word": "WORD",
}


def _metavar(fld: Field) -> str:
    """How the option's value is written in the help: a short vocabulary as ``a|b``, a long one
    by the field's name (its help lists the words)."""
    if fld.choices:
        listed = "|".join(fld.choices)
        return listed if len(listed) <= 24 else fld.name.upper()
    return _METAVARS.get(getattr(fld.parse, "__name__", ""), "TEXT")


def _terminal() -> bool:
    """True when standard input is a terminal."""
    return bool(sys.stdin and sys.stdin.isatty())


def asking(interactive: bool | None) -> bool:
    """Prompt when asked to, else only on a terminal."""
    return _terminal() if interactive is None else interactive


def ask(label: str, hint: str = "", default: str | None = None) -> str:
    """The one prompt of every command: ``label`` and ``hint``, answered or ``default``.

    Ctrl-C, or Ctrl-D on a terminal, ends the command quietly with exit 130 (prompts come before
    any write, so nothing is written); answers piped in that run out are a usage error naming
    the prompt."""
    try:
        answer: str = typer.prompt(f"{label}{hint}", default=default, show_default=bool(default))
    except typer.Abort as exc:
        typer.echo()  # end the prompt's line
        if isinstance(exc.__context__, EOFError) and not _terminal():
            raise UsageError(f"input ended at '{label}'") from None
        raise typer.Exit(EXIT_INTERRUPTED) from None
    return answer


def tell(message: str) -> None:
    typer.echo(message, err=True)


Write = Callable[[Values, bool], Outcome]
"""A write of an editing command: ``(values, known_only)`` -> what it wrote (see
:func:`iotpolicy.editing.write_drafts` for ``known_only``)."""


def _edit(
    words: Sequence[str],
    kind: Kind | None,
    fields: Sequence[Field],
    given: dict[str, Any],
    root: Path,
    interactive: bool | None,
    write: Write,
    start: Values | None = None,
    own: str | None = None,
    check_first: bool = True,
) -> tuple[Values, Outcome]:
    """The values from the options, then (on a terminal) from prompts for the missing ones, and
    what ``write`` made of them. Before the first prompt (``check_first``), ``write`` checks the
    options alone, so that a refusal no answer can change comes before the questions; one after
    them ends with the command line giving every answer as an option (``words``: the command and
    its arguments). Missing required values are a usage error naming them."""
    values = parse_options(fields, given)
    snap = Snapshot(lambda: load_register(root), date.today())
    typed: dict[str, list[str]] = {}
    if asking(interactive):
        if check_first:
            write(dict(values), True)
        answers = {**(start or {}), **values}
        typed = fill(kind, fields, answers, snap, ask, tell, own)
        values.update({k: v for k, v in answers.items() if k not in (start or {}) or k in values})
    else:
        apply_defaults(kind, fields, values, snap)
    absent = missing(fields, values)
    if absent:
        raise UsageError(
            f"missing {', '.join(absent)}: give "
            f"{'it as an option' if len(absent) == 1 else 'them as options'}, or run on a "
            "terminal (or with --interactive) to be asked"
        )
    again = command_line(words, as_options(fields, given, typed, values)) if typed else None
    with keeping_answers(again):
        return values, write(values, False)


def as_options(
    fields: Sequence[Field], given: dict[str, Any], typed: dict[str, list[str]], values: Values
) -> list[tuple[str, str | None]]:
    """Every value given as an option or typed at a prompt, as the options giving it."""
    options: list[tuple[str, str | None]] = []
    for fld in fields:
        if fld.flag:
            if fld.key in typed or given.get(fld.key) is not None:
                options.append((fld.option if values[fld.key] else f"--no-{fld.name}", None))
            continue
        raw = typed.get(fld.key) or given.get(fld.key) or []
        options += [(fld.option, text) for text in ([raw] if isinstance(raw, str) else raw)]
    return options


def command_line(words: Sequence[str], options: Iterable[tuple[str, str | None]]) -> str:
    """``iotpolicy`` with ``words`` and ``options`` (a flag has no value), quoted for the shell,
    as the line telling how to run a command again with the answers typed. A value that looks
    like a credential is never repeated: its option is left out, and the line says so."""
    tokens = ["iotpolicy", *words]
    left_out: list[str] = []
    for option, value in options:
        if value is not None and looks_secret(value):
            left_out.append(option)
        else:
            tokens += [option] if value is None else [option, value]
    note = ""
    if left_out:
        they = "it looks" if len(left_out) == 1 else "they look"
        note = f" ({', '.join(dict.fromkeys(left_out))} left out: {they} like a credential)"
    return f"Your answers as options, to run it again{note}: {shlex.join(tokens)}"


@contextlib.contextmanager
def keeping_answers(line: str | None) -> Iterator[None]:
    """A refusal inside ends with ``line`` (from :func:`command_line`), so that nothing typed is
    lost; None when nothing was typed."""
    try:
        yield
    except RefusedError as exc:
        if line is not None:
            exc.details = (*exc.details, line)
        raise


def _options(register: str | None, commit: bool) -> list[str]:
    """The shared options as given, for :func:`command_line`."""
    return [*(["--register", register] if register else []), *(["--commit"] if commit else [])]


def _report(outcome: Outcome, next_step: str | None = None) -> None:
    """What was written, check's findings about it, the next step and the commit."""
    typer.echo(f"{outcome.message}: {outcome.file} written.")
    if outcome.findings:
        typer.echo(f"Findings of iotpolicy check for {outcome.subject}:")
        for finding in outcome.findings:
            severity = finding.severity.value
            if finding.suppressed_by:
                severity += f", suppressed by {finding.suppressed_by}"
            typer.echo(
                f"  {finding.file}:{finding.line}: {severity}: {finding.rule}: {finding.message}"
            )
    else:
        typer.echo(f"No findings for {outcome.subject}.")
    for other in outcome.also:
        typer.echo(f"{other.message}: {other.file} written.")
        for finding in other.findings:
            if finding.rule == "FW-003":
                typer.echo(f"  {finding.file}:{finding.line}: {finding.message}")
    if next_step:
        typer.echo(f"Next: {next_step}")
    if outcome.commit:
        typer.echo(f"Committed {outcome.commit}: {outcome.message}")


def _add(
    kind_name: str,
    register: str | None,
    commit: bool,
    interactive: bool | None,
    given: dict[str, Any],
) -> None:
    """The one body of every ``add-*`` command."""
    kind = KINDS[kind_name]
    with user_errors():
        root = find_register(register)

        def write(values: Values, known_only: bool) -> Outcome:
            return add_record(
                root, kind, values, today=date.today(), commit=commit, known_only=known_only
            )

        words = [f"add-{kind_name}", *_options(register, commit)]
        values, outcome = _edit(
            words, kind, kind.fields, given, root, interactive, write,
            check_first=given.get("id") is not None,  # the file to check the options in
        )  # fmt: skip
    next_step = None
    if kind_name == "device" and values.get("status") != "active":
        next_step = (
            f"once it is installed and hardened, iotpolicy record-change {outcome.subject} "
            "--kind commissioning (the device goes live only when it meets every "
            "active-device rule)"
        )
    _report(outcome, next_step)


@app.command("add-device")
@with_fields(DEVICE.fields)
def add_device(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a device (devices/ID.yaml).

    The device is planned unless --status active, for which every field the active-device rules
    need must be given. Refuses an existing id, an unknown vendor, segment or person, and an IP
    outside the segment's range or already in use."""
    _add("device", register, commit, interactive, given)


@app.command("add-vendor")
@with_fields(KINDS["vendor"].fields)
def add_vendor(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a vendor, integrator or service company (vendors/ID.yaml)."""
    _add("vendor", register, commit, interactive, given)


@app.command("add-segment")
@with_fields(KINDS["segment"].fields)
def add_segment(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a network segment with the flows allowed out of it (segments/ID.yaml)."""
    _add("segment", register, commit, interactive, given)


@app.command("add-person")
@with_fields(KINDS["person"].fields)
def add_person(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a person to people.yaml (owners, approvers, reviewers, technicians)."""
    _add("person", register, commit, interactive, given)


@app.command("add-exception")
@with_fields(KINDS["exception"].fields)
def add_exception(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a risk acceptance (exceptions/ID.yaml).

    It suppresses a rule for the named subjects until it expires: approved by a general
    manager, for at most settings.exception_max_days."""
    _add("exception", register, commit, interactive, given)


@app.command("record-change")
@with_fields(CHANGE_FIELDS_ALL)
def record_change_command(
    device_id: str = typer.Argument(
        ..., metavar="ID", help="The device's id.", autocompletion=complete_device_id
    ),
    kind: ChangeKindChoice = typer.Option(..., "--kind", help="What kind of change."),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    service: list[str] | None = typer.Option(None, "--service", hidden=True),
    **given: Any,
) -> None:
    """Record a change to a device and update the fields it implies.

    commissioning: status active and commissioned_on (refused unless the device then meets every
    active-device rule); firmware-update: --firmware-version and updated_on, with --integrity
    the integrity record; relocation: location and network; replacement: --serial;
    configuration: --summary. Device fields given as options are set too."""
    change = ChangeKind(kind.value)
    with user_errors():
        if service:
            raise UsageError(
                "record-change does not take --service (it would replace every service of the "
                "device): --add-service NAME:PORT/PROTO:WHY adds or changes one, "
                "--remove-service NAME removes one"
            )
        root = find_register(register)
        start: Values = {}
        if asking(interactive):
            snap = Snapshot(load_register(root), date.today())
            start = change_prompt_values(change, snap.device(device_id).model)

        def write(values: Values, known_only: bool) -> Outcome:
            return record_change(
                root, device_id, change, values, today=date.today(), commit=commit,
                known_only=known_only,
            )  # fmt: skip

        words = ["record-change", device_id, "--kind", change.value, *_options(register, commit)]
        fields = change_fields(change)
        _, outcome = _edit(
            words, DEVICE, fields, given, root, interactive, write, start, own=device_id
        )
    _report(outcome)


@app.command("retire")
@with_fields(RETIRE_FIELDS)
def retire_command(
    device_id: str = typer.Argument(
        ..., metavar="ID", help="The device's id.", autocompletion=complete_device_id
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Take a device out of service (retired or disposed) with its disposal record.

    Asks for each confirmation (data wiped, credentials revoked, removed from the network) and
    refuses unless all three are confirmed."""
    with user_errors():
        root = find_register(register)

        def write(values: Values, known_only: bool) -> Outcome:
            return retire(
                root, device_id, values, today=date.today(), commit=commit, known_only=known_only
            )

        words = ["retire", device_id, *_options(register, commit)]
        _, outcome = _edit(
            words, DEVICE, RETIRE_FIELDS, given, root, interactive, write, own=device_id
        )
    _report(outcome)
