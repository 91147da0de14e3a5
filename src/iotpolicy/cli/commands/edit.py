"""The editing commands: ``add-device``, ``add-vendor``, ``add-segment``, ``add-person``,
``add-exception``, ``record-change`` and ``retire``.

Thin on purpose: options (one per field of :mod:`iotpolicy.writing.fields`, added by
:func:`with_fields`) and prompts become values, :mod:`iotpolicy.writing.edit` checks and writes
them, this module prints what happened. Prompts appear only when standard input is a terminal,
or with ``--interactive`` (or ``IOTPOLICY_INTERACTIVE=1``); ``--no-interactive`` never prompts.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

import typer

from iotpolicy.cli.app import RegisterOption, app, echo, user_errors
from iotpolicy.cli.completion import (
    complete_device_id,
)
from iotpolicy.cli.prompts import InteractiveOption, asking, edit_with_prompts, with_fields
from iotpolicy.errors import UsageError
from iotpolicy.models.enums import ChangeKind
from iotpolicy.register import find_register, load_register
from iotpolicy.writing.draft import Outcome
from iotpolicy.writing.edit import (
    CHANGE_FIELDS_ALL,
    add_record,
    change_fields,
    change_prompt_values,
    record_change,
    retire,
)
from iotpolicy.writing.fields import RETIRE_FIELDS, Values
from iotpolicy.writing.forms import DEVICE, FORMS
from iotpolicy.writing.snapshot import Snapshot

CommitOption = typer.Option(
    False, "--commit", help="Commit the changed file with git, and only that file."
)


class ChangeKindChoice(StrEnum):
    """The changes ``record-change`` records (retirement and disposal: ``retire``)."""

    COMMISSIONING = "commissioning"
    FIRMWARE_UPDATE = "firmware-update"
    CONFIGURATION = "configuration"
    REPLACEMENT = "replacement"
    RELOCATION = "relocation"


def _options(register: str | None, commit: bool) -> list[str]:
    """The shared options as given, for :func:`command_line`."""
    return [*(["--register", register] if register else []), *(["--commit"] if commit else [])]


def _report(outcome: Outcome, next_step: str | None = None) -> None:
    """What was written, check's findings about it, the next step and the commit."""
    echo(f"{outcome.message}: {outcome.file} written.")
    if outcome.findings:
        echo(f"Findings of iotpolicy check for {outcome.subject}:")
        for finding in outcome.findings:
            severity = finding.severity.value
            if finding.suppressed_by:
                severity += f", suppressed by {finding.suppressed_by}"
            echo(f"  {finding.file}:{finding.line}: {severity}: {finding.rule}: {finding.message}")
    else:
        echo(f"No findings for {outcome.subject}.")
    for other in outcome.also:
        echo(f"{other.message}: {other.file} written.")
        for finding in other.findings:
            if finding.rule == "FW-003":
                echo(f"  {finding.file}:{finding.line}: {finding.message}")
    if next_step:
        echo(f"Next: {next_step}")
    if outcome.commit:
        echo(f"Committed {outcome.commit}: {outcome.message}")


def _add(
    kind_name: str,
    register: str | None,
    commit: bool,
    interactive: bool | None,
    given: dict[str, Any],
) -> None:
    """The one body of every ``add-*`` command."""
    kind = FORMS[kind_name]
    with user_errors():
        root = find_register(register)

        def write(values: Values, known_only: bool) -> Outcome:
            return add_record(
                root, kind, values, today=date.today(), commit=commit, known_only=known_only
            )

        words = [f"add-{kind_name}", *_options(register, commit)]
        values, outcome = edit_with_prompts(
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
@with_fields(FORMS["vendor"].fields)
def add_vendor(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a vendor, integrator or service company (vendors/ID.yaml)."""
    _add("vendor", register, commit, interactive, given)


@app.command("add-segment")
@with_fields(FORMS["segment"].fields)
def add_segment(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a network segment with the flows allowed out of it (segments/ID.yaml)."""
    _add("segment", register, commit, interactive, given)


@app.command("add-person")
@with_fields(FORMS["person"].fields)
def add_person(
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Add a person to people.yaml (owners, approvers, reviewers, technicians)."""
    _add("person", register, commit, interactive, given)


@app.command("add-exception")
@with_fields(FORMS["exception"].fields)
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
        _, outcome = edit_with_prompts(
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
        _, outcome = edit_with_prompts(
            words, DEVICE, RETIRE_FIELDS, given, root, interactive, write, own=device_id
        )
    _report(outcome)
