"""``iotpolicy init``: a new register from the Jinja templates in ``templates/init/``.

Everything is rendered and checked first (policy.yaml and people.yaml exactly as ``check`` reads
them, every YAML file parsed), nothing is overwritten, and only then are the files written.
No typer here.
"""

from __future__ import annotations

import os
import re
import shlex
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from iotpolicy import __version__
from iotpolicy.errors import RefusedError, UsageError
from iotpolicy.fsio import LOCK_FILE, atomic_write_text
from iotpolicy.gitlog import (
    GitError,
    check_identity,
    commit_files,
    init_repository,
    plan_commit,
    repository_root,
)
from iotpolicy.kinds import KINDS, PEOPLE_FILE, POLICY_FILE, folder_kinds
from iotpolicy.models import Settings
from iotpolicy.register import (
    SCHEMA_FOLDER,
    Register,
    schema_comment,
)
from iotpolicy.register import with_file as register_with_file
from iotpolicy.schemas import schema_texts
from iotpolicy.yamlio.load import parse_text, yaml_text

DOCUMENT = "P35S"
TITLE = "Internet of Things (IoT) / Operational Technology (OT) Security Policy"
CI_FOLDER = "ci"
"""Where the example CI files go when the register is not the top of its repository."""
_LIVE_CI = {
    "github-workflow.yml": ".github/workflows/iotpolicy.yml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
}
"""Template -> where the file lives when the register is the top of its repository."""
_FOLDERS = (*(str(kind.folder) for kind in folder_kinds()), "reviews")
_TRANSLITERATE = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ß": "ss", "ł": "l", "đ": "d"})
COMMIT_MESSAGE = "Initialise the IoT/OT security policy register"


@dataclass(frozen=True)
class InitOptions:
    """What ``init`` was told about the organisation."""

    organization: str | None = None
    """The organisation's name."""
    general_manager: str | None = None
    """The General Manager's full name (the document owner, who approves)."""
    operations_manager: str | None = None
    """The operations manager's full name (the process owner, who keeps the register)."""
    classification: str = "Internal"
    """Printed on every report."""


@dataclass(frozen=True)
class InitOutcome:
    """What ``init`` did."""

    root: Path
    """The register folder."""
    files: tuple[str, ...]
    """The files written, relative to ``root``."""
    git_initialised: bool
    """True when ``git init`` made ``root`` a repository."""
    git_missing: bool
    """True when git is not installed (nothing was put under version control)."""
    ci_folder: str | None
    """The folder of the example CI files, or None when they were written where CI reads them."""
    has_gm: bool
    """True when people.yaml names a General Manager."""
    commit: str | None = None
    """The short hash of the commit made with ``--commit``."""


def person_id(name: str) -> str:
    """A person id from a full name: ``Øystein Brå`` -> ``oystein-bra``."""
    text = unicodedata.normalize("NFKD", name.lower().translate(_TRANSLITERATE))
    ascii_name = text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:63].strip("-") or "person"


def _people(options: InitOptions) -> list[dict[str, Any]]:
    """The General Manager and the operations manager (one person when the names agree)."""
    people: list[dict[str, Any]] = []
    for name, title, role in (
        (options.general_manager, "General Manager", "general-manager"),
        (options.operations_manager, "Operations Manager", "operations-manager"),
    ):
        if not name:
            continue
        pid = person_id(name)
        same = next((p for p in people if p["id"] == pid), None)
        if same is not None:
            same["roles"].append(role)
            same["title"] = f"{same['title']} and {title}"
        else:
            people.append({"id": pid, "name": name, "title": title, "roles": [role]})
    return people


@cache
def _environment() -> jinja2.Environment:
    """The templates of ``templates/init/`` (shipped as ``iotpolicy.templates``)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("iotpolicy.templates", "init"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["yaml"] = yaml_text
    environment.filters["shell"] = lambda value: shlex.quote(str(value))
    return environment


def _settings() -> list[dict[str, str]]:
    """Every setting with its default value written as YAML and its description."""
    defaults = Settings()
    result = []
    for name, info in Settings.model_fields.items():
        value = getattr(defaults, name)
        if isinstance(value, tuple):
            text = f"[{', '.join(value)}]"
        else:
            text = "null" if value is None else str(value)
        result.append({"name": name, "value": text, "description": info.description or ""})
    return result


def render(path: Path, options: InitOptions, today: date, top: Path) -> dict[str, str]:
    """Relative path -> text of every file ``init`` writes for a register at ``path`` in the
    repository whose top is ``top``: the CI files go where CI reads them when the register is
    the top of the repository, else into ``ci/`` as examples."""
    people = _people(options)
    gm = next((p["id"] for p in people if "general-manager" in p["roles"]), None)
    ops = next((p["id"] for p in people if "operations-manager" in p["roles"]), None)
    register = Path(os.path.relpath(path.resolve(), top.resolve())).as_posix()
    live = register == "."
    context: dict[str, Any] = {
        "document": DOCUMENT,
        "title": TITLE,
        "organization": options.organization,
        "owner": gm,
        "process_owner": ops,
        "classification": options.classification,
        "settings": _settings(),
        "today": today.isoformat(),
        "people": people,
        "lock_file": LOCK_FILE,
        "register": register,
        "version": __version__,
        "has_gm": gm is not None,
        "ci_folder": None if live else CI_FOLDER,
    }
    render_ = _environment().get_template
    files = {
        POLICY_FILE: render_("policy.yaml.j2").render(
            schema_line=schema_comment(POLICY_FILE), **context
        ),
        PEOPLE_FILE: render_("people.yaml.j2").render(
            schema_line=schema_comment(PEOPLE_FILE), **context
        ),
        "README.md": render_("README.md.j2").render(**context),
        ".gitignore": render_("gitignore.j2").render(**context),
    }
    files.update({f"{folder}/.gitkeep": "" for folder in _FOLDERS})
    files.update({f"{SCHEMA_FOLDER}/{name}": text for name, text in schema_texts().items()})
    for template, target in _LIVE_CI.items():
        rel = target if live else f"{CI_FOLDER}/{template}"
        files[rel] = render_(f"{template}.j2").render(**context)
    return files


def file_count() -> int:
    """How many files :func:`render` writes, wherever the register is: policy.yaml,
    people.yaml, the README, the .gitignore, a .gitkeep per folder, the schemas and the CI files."""
    return 4 + len(_FOLDERS) + len(KINDS) + len(_LIVE_CI)


def check_rendered(path: Path, files: dict[str, str]) -> None:
    """Refuse when a rendered file is not valid: policy.yaml and people.yaml as ``check`` reads
    them, every other YAML file as YAML (a value given to init that breaks a template)."""
    register = Register(root=path)
    for rel in (POLICY_FILE, PEOPLE_FILE):
        register = register_with_file(register, rel, files[rel])
    problems = [f"{p.file}:{p.line}: {p.message}" for p in register.problems]
    for rel, text in files.items():
        if rel.endswith((".yml", ".yaml")) and rel not in (POLICY_FILE, PEOPLE_FILE):
            problems += [f"{rel}:{p.line}: {p.message}" for p in parse_text(text).problems]
    if problems:
        raise RefusedError(
            "refused: the new register would not be valid; nothing was written", tuple(problems)
        )


def _existing_folder(path: Path) -> Path:
    """``path`` or its nearest existing parent."""
    for folder in (path, *path.parents):
        if folder.is_dir():
            return folder
    return Path.cwd()


@dataclass(frozen=True)
class _Target:
    """Where init writes: the folder, and the repository around it."""

    path: Path
    top: Path | None
    """The top of the repository holding ``path``; None outside one, or without git."""
    git_missing: bool


def _target(path: Path, commit: bool) -> _Target:
    """Refuse a ``path`` that is not a folder or already holds a register, and ``commit``
    without git."""
    path = path.absolute()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} exists and is not a folder")
    if (path / POLICY_FILE).exists():
        raise UsageError(f"{path} already holds a register ({POLICY_FILE}); nothing was written")
    git_missing = False
    try:
        top = repository_root(_existing_folder(path))
    except GitError:
        top, git_missing = None, True
    if commit and git_missing:
        raise UsageError("--commit needs git, which is not installed; nothing was written")
    return _Target(path, top, git_missing)


def _refuse_overwriting(target: _Target, files: dict[str, str], commit: bool) -> None:
    """Refuse when a file init would write exists, or ``commit`` without a git identity."""
    taken = sorted(rel for rel in files if (target.path / rel).exists())
    if taken:
        raise UsageError(
            f"{target.path} already holds {', '.join(taken)}; init never overwrites a file "
            "(nothing was written)"
        )
    if commit:
        check_identity(_existing_folder(target.path))


def check_target(path: Path, *, today: date, commit: bool = False) -> None:
    """Refuse, before any question, what ``init`` would refuse whatever the answers: the folder
    (not a folder, a register already, a file init writes already there) and ``commit``
    without git or a git identity. The names asked for change no file's path."""
    target = _target(path, commit)
    _refuse_overwriting(
        target, render(target.path, InitOptions(), today, target.top or target.path), commit
    )


def initialise(
    path: Path, options: InitOptions, *, today: date, commit: bool = False
) -> InitOutcome:
    """Scaffold a register at ``path`` (a new or empty folder, or one without any of the files
    init writes); ``git init`` there when it is not inside a repository; with ``commit``,
    commit exactly the files written."""
    target = _target(path, commit)
    path, top, git_missing = target.path, target.top, target.git_missing
    files = render(path, options, today, top or path)
    check_rendered(path, files)
    _refuse_overwriting(target, files, commit)
    path.mkdir(parents=True, exist_ok=True)
    initialised = False
    if top is None and not git_missing:
        init_repository(path)
        initialised = True
    plan = plan_commit(path, [path / rel for rel in files]) if commit else None
    written: list[Path] = []
    try:
        for rel, text in files.items():
            atomic_write_text(path / rel, text)
            written.append(path / rel)
    except BaseException:
        for done in written:
            done.unlink(missing_ok=True)
        raise
    sha = commit_files(plan, COMMIT_MESSAGE) if plan is not None else None
    return InitOutcome(
        root=path,
        files=tuple(files),
        git_initialised=initialised,
        git_missing=git_missing,
        ci_folder=None if any(rel in _LIVE_CI.values() for rel in files) else CI_FOLDER,
        has_gm=any("general-manager" in p["roles"] for p in _people(options)),
        commit=sha,
    )
