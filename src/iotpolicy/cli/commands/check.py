"""``iotpolicy check`` and ``iotpolicy rules``."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from iotpolicy import __version__
from iotpolicy.cache import CACHE_FOLDER, CheckCache
from iotpolicy.cli.app import (
    AsOfOption,
    AtDateOption,
    AtOption,
    RegisterOption,
    app,
    echo,
    in_ci,
    parse_as_of,
    pick_commit,
    progress_bar,
    register_label,
    use_colour,
    user_errors,
    wants_progress,
    write_output,
)
from iotpolicy.cli.completion import complete_rule_id
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import EXIT_FINDINGS, EXIT_OK
from iotpolicy.findings import CheckResult
from iotpolicy.formats import FORMATS, render
from iotpolicy.gitlog import GitError, repository_root
from iotpolicy.gittree import CommitLoader
from iotpolicy.register import collector_paused, find_register, load_register

if TYPE_CHECKING:
    CheckFormat = StrEnum
else:  # the choices of --format: the registry's names
    CheckFormat = StrEnum("CheckFormat", {name.upper(): name for name in FORMATS})


class CatalogueFormat(StrEnum):
    """Output formats of ``rules``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@app.command()
def check(
    register: str | None = RegisterOption,
    as_of: str | None = AsOfOption,
    fmt: CheckFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="Output format (default text; under GitHub Actions text plus annotations).",
        show_default=False,
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    rule: list[str] = typer.Option(
        [], "--rule", help="Only this rule (repeatable).", autocompletion=complete_rule_id
    ),
    progress: bool | None = typer.Option(
        None,
        "--progress/--no-progress",
        help="Progress bar on stderr (default: for text output of large registers on a "
        "terminal, never in CI).",
        show_default=False,
    ),
    use_cache: bool | None = typer.Option(
        None,
        "--cache/--no-cache",
        help=f"Use and update {CACHE_FOLDER}/, or read every file and neither use nor update "
        "it (default: the cache, but not in CI, when CI is set; see README: Performance).",
        show_default=False,
    ),
    at: str | None = AtOption,
    at_date: str | None = AtDateOption,
) -> None:
    """Validate the register and evaluate every rule of the policy's control catalogue.

    Without --format, under GitHub Actions (GITHUB_ACTIONS=true) the text report is followed on
    standard output by one workflow-command annotation per finding. With annotations (that, or
    --format github) and GITHUB_STEP_SUMMARY set, a Markdown job summary of every finding is
    appended to that file. With --at or --at-date the register is read from git (the working
    tree, the index and the cache are left alone) and the JSON document names the commit.
    """
    day = parse_as_of(as_of)
    annotate = fmt is None and os.environ.get("GITHUB_ACTIONS") == "true"
    name = fmt.value if fmt else "text"
    with user_errors():
        rules = select_rules(rule)
        root = find_register(register)
        commit = pick_commit(root, at, at_date)
        if commit is not None and as_of is None:
            day = commit.day
        wanted = use_cache if use_cache is not None else not in_ci()
        cache = CheckCache(root, day) if wanted and commit is None else None
        show = wants_progress(progress, name != "text", sys.stderr)
        with collector_paused():
            with progress_bar(show, forced=progress is True) as tick:
                if commit is None:
                    loaded = load_register(root, cache, tick)
                else:
                    loaded = CommitLoader(root).load_one(commit.commit, tick)
            label = register_label(register, root)
            prior = cache.findings if cache is not None else ()
            result = evaluate(loaded, day, rules, label, subjects=name == "junit", prior=prior)
            if cache is not None and not rule:
                cache.save(loaded, list(result.findings))
        if commit is not None:
            result = replace(result, at=commit.commit, tool=__version__)
        if annotate or FORMATS[name].repository_paths:
            result = replace(result, repository_path=repository_path(root))
        colour = output is None and use_colour(sys.stdout)
        write_output(render(name, result, colour), output, commands=name == "github")
        if annotate:
            write_output(render("github", result), None, commands=True)
        if annotate or name == "github":
            append_job_summary(result)
    raise typer.Exit(EXIT_FINDINGS if result.failed(strict) else EXIT_OK)


def append_job_summary(result: CheckResult) -> None:
    """Under GitHub Actions (``GITHUB_STEP_SUMMARY`` set), append the Markdown job summary of
    ``result`` to that file, linking findings to the checked commit; a summary that cannot be
    written is one line on stderr, never a failed check."""
    from iotpolicy.formats.summary import blob_url, render_summary

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    parts = [os.environ.get(name, "") for name in names]
    url = blob_url(*parts) if all(parts) else None
    path = Path(target)
    try:
        used = path.stat().st_size if path.exists() else 0
        with path.open("a", encoding="utf-8") as summary:
            summary.write(render_summary(result, url, used))
    except OSError as exc:
        echo(f"iotpolicy: job summary not written to {target}: {exc.strerror}", err=True)


def repository_path(root: Path) -> str | None:
    """The register folder relative to the top of its git work tree (``""`` at the top), or None
    when it is not in a repository or git is not available."""
    try:
        top = repository_root(root)
    except GitError:
        return None
    if top is None:
        return None
    try:
        relative = root.resolve().relative_to(top.resolve())
    except ValueError:
        return None
    return "" if relative == Path() else relative.as_posix()


@app.command("rules")
def rules_command(
    fmt: CatalogueFormat = typer.Option(
        CatalogueFormat.TABLE, "--format", "-f", help="Output format."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the catalogue to FILE."),
) -> None:
    """The control catalogue: every rule with its severity, source clause and control mappings."""
    from iotpolicy.formats.catalogue import render_catalogue  # rich tables: not on check's path

    with user_errors():
        colour = output is None and use_colour(sys.stdout)
        write_output(render_catalogue(fmt.value, colour), output)
