"""The typer application and what every command shares: error handling, common options, output.

Commands live in ``iotpolicy.cli.commands`` (one module per group) and register themselves on
:data:`app`; ``iotpolicy.cli`` imports them all. User errors are turned into one line and a named
exit code in :func:`user_errors`; nothing else catches exceptions.

Help is tidied in one place, :func:`tidy_help`, for every command and sub-command registered: a
command's docstring and an option's ``help`` are written as prose (reST ``literals`` allowed, lines
broken anywhere) and reflow to the terminal's width; an option or argument without a ``metavar``
gets one derived from it (see :func:`metavar`). Date options come from :func:`date_option`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperArgument, TyperGroup

from iotpolicy import __version__
from iotpolicy.errors import EXIT_USAGE, IotpolicyError, UsageError
from iotpolicy.fsio import atomic_write_text
from iotpolicy.gitlog import CommitAt, commit_at, first_parent_commits, last_commit_on
from iotpolicy.grammar.dates import option_date
from iotpolicy.grammar.escaping import no_commands, terminal
from iotpolicy.wording import plural

if TYPE_CHECKING:  # the write transaction is imported by the commands that write
    from iotpolicy.writing.draft import Outcome

_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
_LIST_ITEM = ("- ", "* ")
_CHOICES_SHOWN = 24
"""Longest ``a|b|c`` metavar; an option with longer choices shows its name and lists them."""


def help_text(text: str | None) -> str | None:
    """A docstring or an option's help as typer shows it: reST ``literals`` as plain text, and
    each paragraph (each list item) on one line, so that help reflows to the terminal's width
    instead of keeping the line breaks of the source."""
    if not text:
        return text
    paragraphs = []
    for paragraph in _LITERAL.sub(r"\1", inspect.cleandoc(text)).split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            line = line.strip()
            if lines and not line.startswith(_LIST_ITEM):
                lines[-1] = f"{lines[-1]} {line}".strip()
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _choices(param: Any) -> list[str]:
    """The values a choice parameter accepts, as typed."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        found = descriptor.choices if descriptor.is_choice else None
    else:  # an older typer, built on click, keeps them on the click type
        found = getattr(getattr(param, "type", None), "choices", None)
    return [str(getattr(choice, "value", choice)) for choice in found or ()]


def _is_path(param: Any) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        return bool(descriptor.is_path)
    return getattr(getattr(param, "type", None), "name", "") == "path"


def _is_flag(param: Any) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False)) or (
        annotation is bool and param.param_type_name == "option"
    )


def metavar(param: Any) -> str:
    """What help shows for the value of a parameter declared without a ``metavar``: nothing for
    a flag; ``a|b|c`` for a few choices; ``FILE`` (``DIR`` for ``--...-dir``) for a path option;
    else the option's long name (the argument's name) in capitals: ``--rule RULE``, ``KIND``.
    A repeatable argument ends in ``...``."""
    if _is_flag(param):
        return ""
    choices = _choices(param)
    name = max(param.opts, key=len).lstrip("-") if param.param_type_name == "option" else ""
    if choices and len("|".join(choices)) <= _CHOICES_SHOWN:
        word = "|".join(choices)
    elif name and _is_path(param):
        word = "DIR" if name.endswith("dir") else "FILE"
    else:
        word = (name or param.name or "value").replace("_", "-").upper()
    return f"{word}..." if param.param_type_name == "argument" and param.nargs != 1 else word


class _Argument(TyperArgument):
    """An argument shown by its metavar alone (typer would show its type, ``<str>``, beside it,
    and braces around it in the usage line)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = self.metavar or (self.name or "").upper()
        return [name if self.required else f"[{name}]"]


def tidy_help(command: Any) -> None:
    """Tidy the help of ``command`` and of every command under it (see the module's docstring).
    A choice option whose values do not fit in its metavar lists them in its help."""
    command.help = help_text(command.help)
    command.short_help = help_text(command.short_help)
    params = list(command.params)
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        params.append(help_option)
    for param in params:
        if getattr(param, "help", None):
            param.help = help_text(param.help)
        if param.metavar is None:
            param.metavar = metavar(param)
            choices = _choices(param)
            help_says = param.help or ""
            if (
                choices
                and param.metavar != "|".join(choices)
                and not all(choice in help_says for choice in choices)
            ):
                param.help = f"{param.help or ''} One of: {', '.join(choices)}.".lstrip()
        if type(param) is TyperArgument:  # typer builds the parameters itself
            param.__class__ = _Argument
        _plain_errors(param)
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)


_PYDANTIC_PREFIX = "Value error, "


def _plain_errors(param: Any) -> None:
    """A bad value of ``param`` is reported in plain words: typer 0.29 checks choices through
    pydantic, whose ``Value error, `` prefix would otherwise reach the user."""
    if getattr(param, "_plain_errors", False):
        return
    convert = param.process_value

    def process_value(ctx: Any, value: Any) -> Any:
        try:
            return convert(ctx, value)
        except Exception as exc:
            message = getattr(exc, "message", None)
            if isinstance(message, str) and message.startswith(_PYDANTIC_PREFIX):
                exc.message = message.removeprefix(_PYDANTIC_PREFIX)  # type: ignore[attr-defined]
            raise

    param.process_value = process_value
    param._plain_errors = True


class Group(TyperGroup):
    """The ``iotpolicy`` command: its help and every sub-command's is tidied before it runs."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        tidy_help(self)
        return super().main(*args, **kwargs)


app = typer.Typer(
    name="iotpolicy",
    help="Enforce the IoT/OT security policy (P35S) over a register of YAML files.",
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode="rich",
)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print an IotpolicyError (or an OS error) as one line on stderr and exit with its code."""
    try:
        yield
    except IotpolicyError as exc:
        for line in exc.details:
            echo(line, err=True)
        echo(f"iotpolicy: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        echo(f"iotpolicy: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        raise typer.Exit(EXIT_USAGE) from None


def echo(message: str, err: bool = False, nl: bool = True) -> None:
    """Print ``message`` (on stderr with ``err``) as every command prints: through
    :func:`~iotpolicy.grammar.escaping.terminal`, so no value from the register, a file name or
    git can move the cursor or start a CI workflow command."""
    typer.echo(terminal(message), err=err, nl=nl)


def date_option(flag: str, what: str, default: str = "today") -> Any:
    """A date option: ``DATE`` in help, with the format and the default after ``what``."""
    return typer.Option(None, flag, metavar="DATE", help=f"{what} (YYYY-MM-DD, default {default}).")


def parse_as_of(value: str | None, option: str = "--as-of") -> date:
    """The value of a date option (``--as-of`` unless named), default today; a bad one is one
    line naming the option (see :func:`iotpolicy.grammar.dates.option_date`)."""
    if value is None:
        return date.today()
    with user_errors():
        return option_date(option, value)


def use_colour(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


PROGRESS_THRESHOLD = 3000
"""Device files above which ``check`` shows a progress bar by itself (on a terminal, not in CI)."""


def in_ci() -> bool:
    """True under a CI service (``CI`` set, as GitHub Actions, GitLab CI and others set it)."""
    return bool(os.environ.get("CI"))


def wants_progress(choice: bool | None, machine_format: bool, stream: object) -> bool:
    """Whether to show a progress bar on ``stream`` (stderr): ``--progress``/``--no-progress``
    decide on a terminal; by default only for text output, and never in CI (``CI`` set) or
    when the stream is not a terminal. The size threshold is applied once the files are
    counted (see :func:`progress_bar`)."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return False
    if choice is not None:
        return choice
    return not machine_format and not in_ci()


@contextlib.contextmanager
def progress_bar(
    show: bool, forced: bool, label: str = "Reading the register"
) -> Iterator[Callable[[int, int], None] | None]:
    """A callback drawing a transient rich progress bar on stderr while the register is read
    (or what ``label`` says is done); None when ``show`` is false. Unless ``forced``, the bar
    only appears for registers of more than :data:`PROGRESS_THRESHOLD` device files."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        label,
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if total <= PROGRESS_THRESHOLD and not forced:
                return
            bar.start()
            task = bar.add_task("read", total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        bar.stop()


RegisterOption = typer.Option(
    None,
    "--register",
    envvar="IOTPOLICY_REGISTER",
    metavar="DIR",
    help="Register folder (default: first folder up from here with policy.yaml, or ./register).",
)
AsOfOption = date_option("--as-of", "Evaluate as of this date")
AtOption = typer.Option(
    None,
    "--at",
    metavar="REV",
    help="Read the register as it was in this commit (hash, tag, branch) from git; --as-of "
    "defaults to its committer date.",
)
AtDateOption = typer.Option(
    None,
    "--at-date",
    metavar="DATE",
    help="Read the register as it was in the last first-parent commit on or before DATE "
    "(YYYY-MM-DD; committer date, UTC); --as-of defaults to that commit's date.",
)


def pick_commit(root: Path, at: str | None, at_date: str | None) -> CommitAt | None:
    """The commit ``--at`` or ``--at-date`` names (None without either); a usage error (exit
    2, one line) for both, or for a revision or date without a commit."""
    if at is not None and at_date is not None:
        raise UsageError("give --at or --at-date, not both")
    if at is not None:
        if not at.strip():
            raise UsageError("--at needs a revision (a commit hash, tag or branch)")
        return commit_at(root, at)
    if at_date is not None:
        commits, shallow = first_parent_commits(root)
        return last_commit_on(commits, option_date("--at-date", at_date), shallow)
    return None


class Every(StrEnum):
    """The periods of a trend (``trend``, ``report trend``)."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


EveryOption = typer.Option(Every.MONTH, "--every", help="Period of the trend's points.")


def trend_span(start: str | None, end: str | None, every: Every, last: date) -> tuple[date, date]:
    """The first and last day of a trend: ``--from`` (default twelve months before ``--to``)
    and ``--to`` (default ``last``); a usage error when ``--from`` is after ``--to``."""
    from iotpolicy.trend import default_start

    last = parse_as_of(end, "--to") if end is not None else last
    first = parse_as_of(start, "--from") if start else default_start(last, every.value)
    if first > last:
        with user_errors():
            raise UsageError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    return first, last


CommitWrittenOption = typer.Option(False, "--commit", help="Commit the written files with git.")
"""``--commit`` of the commands that write several files (imports, advisories)."""


def print_outcomes(outcomes: Sequence[Outcome], dry_run: bool = False) -> None:
    """After a write of several files: how many findings check has about them, and the commit."""
    findings = sum(len(o.findings) for o in outcomes)
    if findings and not dry_run:
        echo(
            f"iotpolicy check has {plural(findings, 'finding')} about the written records; "
            "run iotpolicy check for the details."
        )
    commits = {o.commit for o in outcomes if o.commit}
    for sha in sorted(commits):
        echo(f"Committed {sha}.")


def register_label(explicit: str | None, root: Path) -> str:
    """The register path as given, or the found folder relative to the working directory."""
    if explicit:
        return explicit
    return os.path.relpath(root, Path.cwd()).replace(os.sep, "/")


def write_output(text: str, output: Path | None, commands: bool = False) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout, where no line of it starts a CI
    workflow command (:func:`~iotpolicy.grammar.escaping.no_commands`) unless it holds
    ``commands`` on purpose (``--format github``)."""
    if output is None:
        sys.stdout.write(text if commands else no_commands(text))
        sys.stdout.flush()
    else:
        atomic_write_text(output, text)


def version_callback(value: bool) -> None:
    """``--version``: print the version and stop."""
    if value:
        typer.echo(f"iotpolicy {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=version_callback, is_eager=True, help="Show the version."
    ),
    debug: bool = typer.Option(  # read by iotpolicy.cli.main, which reports internal errors
        False,
        "--debug",
        help="On an internal error, also print its traceback (credentials redacted) for the "
        "report; IOTPOLICY_DEBUG=1 does the same.",
    ),
) -> None:
    """Enforce the IoT/OT security policy (P35S) over a register of YAML files."""
