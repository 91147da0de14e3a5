"""The prompt and option pieces every editing command shares: an option per field of a form
(:func:`with_fields`), prompts for the missing ones (:func:`edit_with_prompts`, :func:`ask`), and
the command line that gives the answers typed as options (:func:`command_line`).

Prompts appear only when standard input is a terminal, or with ``--interactive`` (or
``IOTPOLICY_INTERACTIVE=1``); ``--no-interactive`` never prompts.
"""

from __future__ import annotations

import contextlib
import inspect
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import typer

from iotpolicy.cli.app import echo
from iotpolicy.cli.completion import (
    complete_record_id,
    complete_rule_id,
    complete_segment_id,
    complete_vendor_id,
)
from iotpolicy.errors import EXIT_INTERRUPTED, RefusedError, UsageError
from iotpolicy.grammar.secrets import looks_secret
from iotpolicy.register import load_register
from iotpolicy.writing.answers import apply_defaults, fill, missing, parse_options
from iotpolicy.writing.draft import Outcome
from iotpolicy.writing.fields import Field, Ref, Values
from iotpolicy.writing.forms import Form
from iotpolicy.writing.snapshot import Snapshot

F = TypeVar("F", bound=Callable[..., Any])

InteractiveOption = typer.Option(
    None,
    "--interactive/--no-interactive",
    envvar="IOTPOLICY_INTERACTIVE",
    help="Prompt for missing values (default: only when standard input is a terminal).",
)


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
    echo(message, err=True)


Write = Callable[[Values, bool], Outcome]
"""A write of an editing command: ``(values, known_only)`` -> what it wrote (see
:func:`iotpolicy.writing.draft.write_drafts` for ``known_only``)."""


def edit_with_prompts(
    words: Sequence[str],
    kind: Form | None,
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
