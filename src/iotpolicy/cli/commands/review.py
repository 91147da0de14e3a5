"""``iotpolicy review`` (the General Manager's review, clause 9) and ``iotpolicy
record-communication`` (9.4).

Thin: :mod:`iotpolicy.review.pack` builds the pack, checks the decision and writes through
:mod:`iotpolicy.writing.edit`. Every answer is an option; on a terminal (or with ``--interactive``)
the missing ones are asked for with the edit commands' prompt helpers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer

from iotpolicy.cli.app import (
    RegisterOption,
    app,
    date_option,
    echo,
    parse_as_of,
    user_errors,
    write_output,
)
from iotpolicy.cli.prompts import (
    InteractiveOption,
    ask,
    asking,
    command_line,
    keeping_answers,
    tell,
)
from iotpolicy.errors import RefusedError, UsageError
from iotpolicy.models.enums import Trigger
from iotpolicy.register import find_register
from iotpolicy.review.decision import (
    approver_problem,
    check_before_answers,
    record_communication,
    reviewers_problem,
    version_problem,
    write_review,
)
from iotpolicy.review.markdown import render
from iotpolicy.review.pack import QUESTIONS, Decision, Pack, build_pack

_KEYS = ", ".join(q.key for q in QUESTIONS)


def _answers(given: list[str] | None) -> dict[str, str]:
    """``--answer KEY=TEXT`` values by key; a usage error for a malformed or unknown one."""
    answers: dict[str, str] = {}
    for raw in given or []:
        key, sep, text = raw.partition("=")
        key = key.strip().lower()
        if not sep or key not in {q.key for q in QUESTIONS}:
            raise UsageError(f"--answer '{key}': write it as KEY=TEXT, KEY one of {_KEYS}")
        answers[key] = text.strip()
    return answers


def _ask_until(
    label: str,
    default: str | None,
    ok: set[str] | None = None,
    problem: Callable[[str], str | None] | None = None,
    hint: str = "",
) -> str:
    """Ask until the answer is not empty (and one of ``ok``, and without a ``problem``, when
    given); a refused answer is told why and asked again, so nothing typed later is lost."""
    while True:
        answer = ask(label, hint, default).strip()
        if not answer:
            tell("  an answer is needed")
        elif ok is not None and answer not in ok:
            tell(f"  one of: {', '.join(sorted(ok))}")
        elif problem is not None and (why := problem(answer)) is not None:
            tell(f"  {why}")
        else:
            return answer


def _show(markdown: str) -> None:
    """The review pack on standard output: rendered (headings, tables, emphasis) on a terminal,
    the Markdown itself otherwise, as ``--output`` writes it."""
    if not sys.stdout.isatty():
        write_output(markdown, None)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(markdown))


def _split(names: str) -> list[str]:
    return [n.strip() for n in names.split(",") if n.strip()]


def _prompt(pack: Pack, decision: dict[str, object], answers: dict[str, str]) -> None:
    """Ask for whatever the options left out."""
    if not decision.get("version"):
        hint = (
            "" if pack.pending else f" (minor {pack.proposed_minor}, major {pack.proposed_major})"
        )
        decision["version"] = _ask_until(
            "New version",
            pack.proposed_minor,
            problem=lambda v: version_problem(pack, v),
            hint=hint,
        )
    if not decision.get("trigger"):
        decision["trigger"] = _ask_until(
            "Trigger", pack.proposed_trigger, {t.value for t in Trigger}
        )
    if not decision.get("summary"):
        default = pack.revision.changes if pack.pending else None
        decision["summary"] = _ask_until("Summary of the changes", default)
    if not decision.get("reviewers"):
        names = _ask_until(
            "Reviewers",
            None,
            problem=lambda text: reviewers_problem(pack, _split(text)),
            hint=" (person ids, separated by commas)",
        )
        decision["reviewers"] = _split(names)
    if not decision.get("approver"):
        default = pack.gms[0] if len(pack.gms) == 1 else None
        decision["approver"] = _ask_until(
            "Approving general manager",
            default,
            problem=(lambda a: approver_problem(pack, a)) if pack.gms else None,
            hint=f" ({', '.join(pack.gms) or 'none'})",
        )
    for question in QUESTIONS:
        if not answers.get(question.key):
            answers[question.key] = _ask_until(question.text, None)


def _refuse_known(pack: Pack, day: date, values: dict[str, object]) -> None:
    """Refuse, before the first question, what no answer changes: the date, uncommitted changes
    and the options given."""
    check_before_answers(pack, day)
    version, approver, reviewers = values["version"], values["approver"], values["reviewers"]
    for problem in (
        version_problem(pack, str(version)) if version else None,
        approver_problem(pack, str(approver)) if approver else None,
        reviewers_problem(pack, [str(r) for r in reviewers])
        if isinstance(reviewers, list)
        else None,
    ):
        if problem is not None:
            raise RefusedError(f"refused: {problem}; nothing was written")


def _as_options(values: dict[str, object], answers: dict[str, str]) -> list[tuple[str, str | None]]:
    """The decision and the answers as the options giving them."""
    reviewers = values["reviewers"]
    return [
        *((f"--{key}", str(values[key])) for key in ("version", "trigger", "summary")),
        *(("--reviewer", str(r)) for r in (reviewers if isinstance(reviewers, list) else [])),
        ("--approver", str(values["approver"])),
        *(("--answer", f"{q.key}={answers[q.key]}") for q in QUESTIONS),
    ]


@app.command("review")
def review_command(
    version: str | None = typer.Option(
        None, "--version", help="The new version (default: the next minor; a major is accepted)."
    ),
    trigger: str | None = typer.Option(
        None, "--trigger", help="What caused the review (default: the first trigger, or annual)."
    ),
    summary: str | None = typer.Option(
        None, "--summary", help="Summary of the changes in this revision."
    ),
    reviewer: list[str] | None = typer.Option(
        None, "--reviewer", help="Person id of a reviewer (repeatable)."
    ),
    approver: str | None = typer.Option(
        None, "--approver", help="Person id of the approving General Manager."
    ),
    answer: list[str] | None = typer.Option(
        None, "--answer", metavar="KEY=TEXT", help=f"Answer to a 9.1.2 question ({_KEYS})."
    ),
    on: str | None = date_option("--date", "Date of the review and the approval"),
    as_of: str | None = date_option("--as-of", "Evaluate the register as of this date", "--date"),
    register: str | None = RegisterOption,
    commit: bool = typer.Option(
        False, "--commit", help="Commit policy.yaml and the review record, tag policy-vVERSION."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the review pack; write nothing."),
    output: Path | None = typer.Option(
        None, "--output", help="Write the review pack as Markdown to this file."
    ),
    no_git: bool = typer.Option(
        False,
        "--no-git",
        help="Without git history: changes from the records' dates since the revision.",
    ),
    interactive: bool | None = InteractiveOption,
) -> None:
    """The General Manager's review: why it is due, what changed, the compliance state, then
    the approved revision appended to policy.yaml with its review record."""
    with user_errors():
        root = find_register(register)
        day = parse_as_of(on, "--date")
        evaluated = parse_as_of(as_of) if as_of else day
        pack = build_pack(root, evaluated, no_git=no_git)
        if output is not None:
            write_output(render(pack), output)
            echo(f"Review pack written to {output}.", err=True)
        elif dry_run:
            _show(render(pack))
        if dry_run:
            return
        answers = _answers(answer)
        values: dict[str, object] = {
            "version": version,
            "trigger": trigger,
            "summary": summary,
            "reviewers": reviewer,
            "approver": approver,
        }
        again = None
        if asking(interactive):
            _refuse_known(pack, day, values)
            if output is None:
                _show(render(pack))
            typed = not all(values.values()) or not all(answers.get(q.key) for q in QUESTIONS)
            _prompt(pack, values, answers)
            words = [
                "review",
                *(["--register", register] if register else []),
                *(["--date", on] if on else []),
                *(["--as-of", as_of] if as_of else []),
                *(["--no-git"] if no_git else []),
                *(["--commit"] if commit else []),
            ]
            again = command_line(words, _as_options(values, answers)) if typed else None
        else:
            lacking = [
                option
                for key, option in (
                    ("summary", "--summary"),
                    ("reviewers", "--reviewer"),
                    ("approver", "--approver"),
                )
                if not values.get(key)
            ]
            if pack.pending and not values.get("summary"):
                values["summary"] = pack.revision.changes
                lacking = [o for o in lacking if o != "--summary"]
            lacking += [f"--answer {q.key}=TEXT" for q in QUESTIONS if not answers.get(q.key)]
            if lacking:
                raise UsageError(
                    f"missing {', '.join(lacking)}: give them as options, or run on a terminal "
                    "(or with --interactive) to be asked; iotpolicy review --dry-run shows the pack"
                )
        decision = Decision(
            version=str(values.get("version") or pack.proposed_minor).strip().lstrip("vV"),
            trigger=str(values.get("trigger") or pack.proposed_trigger),
            summary=str(values["summary"]),
            reviewers=tuple(str(r) for r in values["reviewers"]),  # type: ignore[attr-defined]
            approver=str(values["approver"]),
            on=day,
            answers=answers,
        )
        with keeping_answers(again):
            written = write_review(pack, decision, commit=commit)
        what = "approved in place" if written.in_place else "appended"
        echo(f"Revision {decision.version} {what} in policy.yaml.")
        echo(f"Review record written: {written.files[1]}.")
        if written.commit:
            echo(f"Committed as {written.commit}, tagged {written.tag}.")
        else:
            echo("Not committed: commit both files and tag the commit (or use --commit).")
        echo(
            "Next: communicate it to staff and vendors, then iotpolicy record-communication "
            "--on DATE --channel ... --audience staff --audience vendors"
        )


@app.command("record-communication")
def record_communication_command(
    on: str | None = date_option("--on", "Date the revision was communicated"),
    channel: list[str] | None = typer.Option(
        None, "--channel", help="A channel used: email, shared-folder, printed-at-sites ..."
    ),
    audience: list[str] | None = typer.Option(
        None, "--audience", help="Who was reached: staff, vendors (repeatable)."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Replace an existing communicated record."
    ),
    register: str | None = RegisterOption,
    commit: bool = typer.Option(False, "--commit", help="Commit policy.yaml with git."),
) -> None:
    """Record that the revision in force was communicated (9.4), so POL-005 passes."""
    with user_errors():
        root = find_register(register)
        when = parse_as_of(on, "--on")
        number, sha = record_communication(
            root, when, channel or [], audience or [], commit=commit, replace=replace
        )
        echo(f"Communication of revision {number} on {when} recorded in policy.yaml.")
        if sha:
            echo(f"Committed as {sha}.")
        echo("Print the notices for the installation sites with: iotpolicy report site")
