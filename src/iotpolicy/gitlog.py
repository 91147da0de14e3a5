"""The one place that talks to git, through GitPython: the register's history, and commits and
tags of the tool's own writes.

Commits are made by ``git commit`` itself (``repo.git.commit``, never GitPython's index), so they
carry the user's own identity, run the user's hooks and are signed when ``commit.gpgsign`` says
so, exactly as ``git commit`` would; git refuses when there is no identity. Reading never takes
git's optional locks and never starts an fsmonitor. GitPython is imported on first use (importing
it runs ``git version``), and every failure of git or GitPython is a :class:`GitError`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from iotpolicy.errors import RefusedError, UsageError

if TYPE_CHECKING:
    from git import Git, Repo


class GitError(UsageError):
    """git failed, or the register is not inside a git repository."""


_NO_GIT = "git is not installed or not on PATH"
_READ_ONLY = {"no_optional_locks": True, "c": "core.fsmonitor=false"}
"""git options of every read: no optional lock (the index is not refreshed), no fsmonitor."""


def _repository(path: Path) -> Repo | None:
    """The repository whose work tree holds ``path``, or None when there is none."""
    _load_gitpython()
    from git import GitError as GitPythonError
    from git import InvalidGitRepositoryError, NoSuchPathError
    from git import Repo as GitRepo

    try:
        repo = GitRepo(path.resolve(), search_parent_directories=True, expand_vars=False)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None
    except (GitPythonError, OSError) as exc:
        raise GitError(f"cannot open the git repository of {path}: {_first_line(exc)}") from None
    if repo.working_tree_dir is None:  # a bare repository has no register in it
        return None
    return repo


def _command(cwd: Path) -> Git:
    """GitPython's git, run in ``cwd`` (which need not be in a repository)."""
    _load_gitpython()
    from git import Git as GitCommand

    return GitCommand(cwd)


def _load_gitpython() -> None:
    """Import GitPython (its import runs ``git version``); GitError when git cannot be run."""
    try:
        import git  # noqa: F401
    except ModuleNotFoundError:
        raise
    except ImportError:  # GitPython refuses to import without a git to run
        raise GitError(_NO_GIT) from None


def _call(
    git: Git, command: str, *args: str, stdin: IO[bytes] | None = None, write: bool = False
) -> tuple[int, bytes, str]:
    """Run ``git COMMAND ARGS`` through GitPython: exit status, raw output, error text. A read
    takes no optional lock and starts no fsmonitor (:data:`_READ_ONLY`); a ``write`` runs as
    plain git would, in the user's own locale (GitPython runs git in the C locale) for the
    user's hooks and signing program."""
    env: Mapping[str, str] | None = None
    if write:
        env = {name: os.environ.get(name, "") for name in ("LC_ALL", "LANGUAGE")}
    else:
        git = git(**_READ_ONLY)  # options of the next command only
    from git import GitCommandNotFound
    from git import GitError as GitPythonError

    try:
        result: tuple[int, bytes, str] = getattr(git, command)(
            *args,
            istream=stdin,
            env=env,
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
    except GitCommandNotFound:
        raise GitError(_NO_GIT) from None
    except GitPythonError as exc:
        raise GitError(f"git {command} failed: {_first_line(exc)}") from None
    return result


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _run(
    git: Git, command: str, *args: str, stdin: IO[bytes] | None = None, write: bool = False
) -> bytes:
    """:func:`_call`, its output; GitError with git's own last line when git fails."""
    status, output, error = _call(git, command, *args, stdin=stdin, write=write)
    if status != 0:
        lines = error.strip().splitlines()
        raise GitError(f"git {command} failed: {lines[-1] if lines else status}")
    return output


def _succeeds(git: Git, command: str, *args: str) -> bool:
    """True when ``git COMMAND ARGS`` exits 0."""
    return _call(git, command, *args)[0] == 0


def _text(output: bytes) -> str:
    return output.decode("utf-8", "replace")


def repository_root(path: Path) -> Path | None:
    """The top folder of the git work tree holding ``path``, or None when there is none."""
    repo = _repository(path)
    return _top(repo) if repo is not None else None


def _top(repo: Repo) -> Path:
    return Path(repo.working_tree_dir or "").resolve()


def _inside(repo: Repo, root: Path) -> str:
    """The register folder ``root`` relative to the work tree's top (``/``-separated, ``""`` at
    the top)."""
    relative = root.resolve().relative_to(_top(repo)).as_posix()
    return "" if relative == "." else relative


def _pathspec(inside: str, exclude: Iterable[str] = ()) -> list[str]:
    """Pathspecs, from the top, of the register folder ``inside`` without ``exclude`` (paths
    relative to the register); literal, so no name is read as a pattern."""
    prefix = f"{inside}/" if inside else ""
    specs = [f":(literal){inside}" if inside else "."]
    return specs + [f":(exclude,literal){prefix}{rel.rstrip('/')}" for rel in exclude]


# --- writing: commits and tags of the tool's own changes (editing commands, review) ---------


@dataclass(frozen=True, slots=True)
class CommitPlan:
    """A commit checked before anything is written: the repository and the exact paths."""

    top: Path
    """The top folder of the repository's work tree."""
    paths: tuple[str, ...]
    """The files the command writes, relative to ``top``, ``/``-separated."""


def init_repository(path: Path) -> None:
    """``git init`` in ``path`` (which exists)."""
    _run(_command(path), "init", "--quiet", write=True)


def check_identity(cwd: Path) -> None:
    """Raise GitError unless git knows the user's name and e-mail (commits are made as the
    user, exactly as ``git commit`` would make them; the tool never invents an identity)."""
    git = _command(cwd)
    for who in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if not _succeeds(git, "var", who):
            raise GitError(
                "--commit needs your git identity and git has none: run "
                'git config --global user.name "Your Name" and '
                "git config --global user.email you@example.com, then try again "
                "(nothing was written)"
            )


def plan_commit(root: Path, files: Iterable[Path]) -> CommitPlan:
    """Check, before the command writes ``files``, that it can commit exactly them: ``root`` is
    inside a git work tree, the user has a git identity, and none of the files already has
    uncommitted changes (they would be swept into a commit they do not belong to)."""
    repo = _repository(root)
    if repo is None:
        raise GitError(
            f"--commit needs a git repository, and the register {root} is not inside one "
            "(run git init there, or leave out --commit); nothing was written"
        )
    top = _top(repo)
    check_identity(top)
    paths = tuple(sorted({f.resolve().relative_to(top).as_posix() for f in files}))
    literal = [f":(literal){path}" for path in paths]
    status = _run(
        repo.git, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *literal
    )
    dirty = sorted({entry[3:] for entry in _text(status).split("\0") if len(entry) > 3})
    if dirty:
        raise RefusedError(
            f"--commit refused: {', '.join(dirty)} already "
            f"{'has' if len(dirty) == 1 else 'have'} uncommitted changes this command did not "
            "make; commit or stash them first, or leave out --commit (nothing was written)"
        )
    return CommitPlan(top, paths)


def commit_files(plan: CommitPlan, message: str) -> str:
    """Commit exactly the planned paths (whatever else is staged stays staged) with
    ``message``, as the user; returns the new commit's short hash."""
    repo = _repository(plan.top)
    if repo is None:
        raise GitError(f"{plan.top} is no longer a git repository")
    literal = [f":(literal){path}" for path in plan.paths]
    try:
        _run(repo.git, "add", "--", *literal, write=True)
        _run(repo.git, "commit", "--quiet", "-m", message, "--only", "--", *literal, write=True)
    except GitError as exc:  # a hook refused, the disk filled up ...
        raise GitError(
            f"{', '.join(plan.paths)} written but not committed ({exc}); commit "
            f"{'it' if len(plan.paths) == 1 else 'them'} with git once that is fixed"
        ) from None
    return _text(_run(repo.git, "rev-parse", "--short", "HEAD")).strip()


def tag_exists(top: Path, name: str) -> bool:
    """True when the repository at ``top`` already has the tag ``name``."""
    repo = _repository(top)
    ref = f"refs/tags/{name}"
    return repo is not None and _succeeds(repo.git, "rev-parse", "--verify", "--quiet", ref)


def tag_commit(top: Path, name: str, message: str, commit: str = "HEAD") -> None:
    """Tag ``commit`` as ``name`` with an annotated tag (``message``, the user as tagger);
    GitError when git refuses (the tag exists, no identity ...)."""
    repo = _repository(top)
    try:
        if repo is None:
            raise GitError(f"{top} is no longer a git repository")
        _run(repo.git, "tag", "-a", name, "-m", message, commit, write=True)
    except GitError as exc:
        raise GitError(
            f"committed but not tagged ({exc}); tag it with git tag -a {name} once that is fixed"
        ) from None


# --- reading: history of records and of the register (history, reports, review) -------------

SHORT_HASH = 12
"""Characters of a commit hash shown in reports and history: a fixed length, so the same commit
always prints the same way however large the repository grows."""
_BLOB_MODES = frozenset({"100644", "100755"})
"""Modes of regular files; symbolic links and submodules have no text to compare."""
_LOG_FORMAT = "%x1e%H%x1f%aI%x1f%an%x1f%ae%x1f%s"


@dataclass(frozen=True, slots=True)
class RegisterState:
    """Where the register stands in git: the footer of every report."""

    in_repository: bool
    """False when the register is not inside a git work tree (or git is not available)."""
    commit: str | None
    """Full hash of the last commit that changed the register; None when there is none yet."""
    dirty: bool
    """True when the register has uncommitted changes, untracked files included."""

    @property
    def short(self) -> str | None:
        """The commit's first :data:`SHORT_HASH` characters."""
        return self.commit[:SHORT_HASH] if self.commit else None


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file a commit changed, with the blob ids of its text before and after."""

    path: str
    """Relative to the register folder, ``/``-separated."""
    status: str
    """git's status letter: A (added), M (modified), D (deleted), T (type changed)."""
    old_blob: str | None
    """Blob id before the commit; None when the file did not exist or is not a regular file."""
    new_blob: str | None
    """Blob id after the commit; None when the file was deleted or is not a regular file."""


@dataclass(frozen=True, slots=True)
class LogCommit:
    """One commit that changed the register, as ``git log`` tells it."""

    commit: str
    """Full hash."""
    date: str
    """Author date, strict ISO 8601 with the author's offset (``2026-01-20T10:02:11+01:00``)."""
    author: str
    """Author name."""
    email: str
    """Author e-mail."""
    subject: str
    """First line of the message."""
    files: tuple[FileChange, ...]
    """Files of the register it changed, in git's order."""


def register_state(root: Path, exclude: Path | None = None, at: str | None = None) -> RegisterState:
    """The last commit that changed the register at ``root`` and whether its files have
    uncommitted changes (untracked files included, git-ignored ones not). ``exclude``: a folder
    inside the register not to count (where reports are being written). ``at``: a commit (full
    hash): the state of a fresh checkout of it, never dirty."""
    try:
        repo = _repository(root)
        if repo is None:
            return RegisterState(in_repository=False, commit=None, dirty=False)
        inside = _inside(repo, root)
        tip = [at] if at is not None else []
        last = _call(repo.git, "log", "-1", "--format=%H", *tip, "--", *_pathspec(inside))
        commit = (_text(last[1]).strip() or None) if last[0] == 0 else None
        if at is not None:
            return RegisterState(in_repository=True, commit=commit, dirty=False)
        skip: list[str] = []
        if exclude is not None and exclude.resolve().is_relative_to(root.resolve()):
            folder = exclude.resolve().relative_to(root.resolve()).as_posix()
            skip = [folder] if folder != "." else []
        status = _run(
            repo.git,
            *("status", "--porcelain", "-z", "--untracked-files=all"),
            *("--", *_pathspec(inside, skip)),
        )
    except GitError:
        return RegisterState(in_repository=False, commit=None, dirty=False)
    return RegisterState(in_repository=True, commit=commit, dirty=bool(status))


def uncommitted_files(root: Path, ignore: Iterable[str] = ()) -> list[str]:
    """Files of the register at ``root`` (relative to it, ``/``-separated) with uncommitted
    changes, untracked ones included (git-ignored ones and ``ignore``, files or folders relative
    to the register, not), sorted."""
    repo = _repository(root)
    if repo is None:
        raise GitError("the register is not inside a git repository")
    inside = _inside(repo, root)
    status = _run(
        repo.git,
        *("status", "--porcelain=v1", "-z", "--untracked-files=all"),
        *("--", *_pathspec(inside, ignore)),
    )
    prefix = f"{inside}/" if inside else ""
    found: set[str] = set()
    entries = iter(_text(status).split("\0"))
    for entry in entries:
        if len(entry) <= 3:
            continue
        if entry[0] in "RC":  # a rename or copy: the next token is its source
            next(entries, None)
        found.add(entry[3:].removeprefix(prefix))
    return sorted(found)


def is_tracked(path: Path) -> bool:
    """True when git's index holds the file at ``path`` (it was committed or added); False
    outside a repository (known without starting GitPython or git when no folder above holds a
    ``.git`` and no ``GIT_DIR`` points elsewhere: every warm check asks)."""
    if "GIT_DIR" not in os.environ and not any(
        (folder / ".git").exists() for folder in path.resolve().parents
    ):
        return False
    repo = _repository(path.parent)
    if repo is None:
        return False
    try:
        rel = path.resolve().relative_to(_top(repo)).as_posix()
    except ValueError:
        return False
    return bool(_run(repo.git, "ls-files", "-z", "--", f":(literal){rel}"))


def resolve_commit(root: Path, rev: str) -> str:
    """The full hash of the commit ``rev`` names (a hash, tag or branch); GitError when none."""
    repo = _history_repository(root)
    status, output, _ = _call(
        repo.git, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
    )
    if status != 0 or not output.strip():
        raise GitError(f"'{rev}' is not a commit, tag or branch of the register's repository")
    return _text(output).strip()


def _history_repository(root: Path) -> Repo:
    repo = _repository(root)
    if repo is None:
        raise GitError("the register is not inside a git repository, so it has no history")
    return repo


def read_log(root: Path, after: str | None = None, tip: str = "HEAD") -> list[LogCommit]:
    """Every commit that changed the register at ``root``, newest first, with the files it
    changed: one pass over ``git log``. ``after``: a full commit hash; only commits reachable from
    ``tip`` (HEAD, or a full commit hash) but not from it are read. Merge commits contribute
    through the commits they merge."""
    repo = _history_repository(root)
    if tip == "HEAD" and not _succeeds(repo.git, "rev-parse", "--verify", "--quiet", "HEAD"):
        return []
    inside = _inside(repo, root)
    args = ["--no-renames", "--raw", "--no-abbrev", "-z", "--root"]
    args += [f"--relative={inside}/" if inside else "--relative"]
    args += [f"--format={_LOG_FORMAT}", "--no-color", f"{after}..{tip}" if after else tip]
    return _parse_log(_text(_run(repo.git, "log", *args, "--", *_pathspec(inside))))


def _parse_log(output: str) -> list[LogCommit]:
    """Commits from ``git log -z --raw`` output: a header token starting with RS (fields separated
    by US), then pairs of tokens ``:modes blobs status`` and the path."""
    commits: list[LogCommit] = []
    header: list[str] | None = None
    files: list[FileChange] = []
    tokens = iter(output.split("\0"))
    for token in tokens:
        token = token.lstrip("\n")
        if token.startswith("\x1e"):
            if header is not None:
                commits.append(_commit(header, files))
            header, files = token[1:].split("\x1f", 4), []
        elif token.startswith(":") and header is not None:
            path = next(tokens, "")
            old_mode, new_mode, old_blob, new_blob, status = token[1:].split(" ", 4)
            files.append(
                FileChange(
                    path=path,
                    status=status[:1],
                    old_blob=old_blob if old_mode in _BLOB_MODES else None,
                    new_blob=new_blob if new_mode in _BLOB_MODES else None,
                )
            )
    if header is not None:
        commits.append(_commit(header, files))
    return commits


def _commit(header: list[str], files: list[FileChange]) -> LogCommit:
    """A LogCommit from the header fields (hash, date, author, e-mail, subject)."""
    commit, date, author, email, subject = (header + [""] * 5)[:5]
    return LogCommit(commit, date, author, email, subject, tuple(files))


def read_blobs(root: Path, blob_ids: Iterable[str]) -> dict[str, bytes]:
    """The contents of the blobs ``blob_ids`` (missing ones left out), read by one
    ``git cat-file --batch`` (its input from a temporary file: a pipe written in full before
    the output is read could fill up both ways)."""
    wanted = sorted(set(blob_ids))
    if not wanted:
        return {}
    repo = _history_repository(root)
    with tempfile.TemporaryFile() as ids:
        ids.write("\n".join(wanted).encode() + b"\n")
        ids.seek(0)
        output = _run(repo.git, "cat-file", "--batch", stdin=ids)
    blobs: dict[str, bytes] = {}
    position = 0
    while position < len(output):
        end = output.index(b"\n", position)
        fields = output[position:end].split(b" ")
        position = end + 1
        if len(fields) != 3:  # "<id> missing"
            continue
        size = int(fields[2])
        blobs[fields[0].decode()] = output[position : position + size]
        position += size + 1
    return blobs


# --- reading: the register as it was in a commit (check --at, trend) --------------------------

_UNSHALLOW = "the repository is a shallow clone without that history: run git fetch --unshallow"
LINK_MODE = "120000"
"""Mode of a symbolic link in a tree (its blob holds the target)."""


@dataclass(frozen=True, slots=True)
class CommitAt:
    """A commit and its committer date."""

    commit: str
    """Full hash."""
    time: int
    """Committer date, seconds since the epoch."""

    @property
    def day(self) -> date:
        """The committer date's day in UTC."""
        return datetime.fromtimestamp(self.time, UTC).date()


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One entry of a commit's tree below the register folder."""

    mode: str
    """``100644``/``100755`` (a file), ``120000`` (a symbolic link), ``160000`` (a submodule)."""
    blob: str
    """Object id."""
    size: int | None
    """Size in bytes; None for a submodule."""


def commit_at(root: Path, rev: str) -> CommitAt:
    """The commit ``rev`` names (a hash, tag or branch) with its committer date; GitError (one
    line) when there is none, saying how to fetch it in a shallow clone."""
    repo = _history_repository(root)
    status, output, _ = _call(
        repo.git, "log", "-1", "--format=%H %ct", "--end-of-options", f"{rev}^{{commit}}", "--"
    )
    fields = _text(output).split()
    if status != 0 or len(fields) != 2:
        if _shallow(repo):
            raise GitError(f"'{rev}' is not in the register's repository: {_UNSHALLOW}")
        raise GitError(f"'{rev}' is not a commit, tag or branch of the register's repository")
    return CommitAt(fields[0], int(fields[1]))


def first_parent_commits(root: Path, tip: str = "HEAD") -> tuple[list[CommitAt], bool]:
    """The first-parent history of the current branch (HEAD, or the commit ``tip``), newest
    first, and whether the repository is a shallow clone (the oldest commit listed may then not
    be the first)."""
    repo = _history_repository(root)
    status, output, _ = _call(repo.git, "log", "--first-parent", "--format=%H %ct", tip, "--")
    commits = []
    if status == 0:
        for line in _text(output).splitlines():
            sha, when = line.split()
            commits.append(CommitAt(sha, int(when)))
    return commits, _shallow(repo)


def last_commit_on(commits: list[CommitAt], day: date, shallow: bool) -> CommitAt:
    """The newest of ``commits`` (newest first) whose committer date (UTC) is on or before
    ``day``; GitError when there is none."""
    for found in commits:
        if found.day <= day:
            return found
    if shallow:
        raise GitError(f"no commit on or before {day.isoformat()}: {_UNSHALLOW}")
    raise GitError(f"no commit of the current branch on or before {day.isoformat()}")


def _shallow(repo: Repo) -> bool:
    output = _call(repo.git, "rev-parse", "--is-shallow-repository")[1]
    return _text(output).strip() == "true"


def read_tree(root: Path, commit: str) -> dict[str, TreeEntry]:
    """Every file, link and submodule below the register folder in ``commit`` (paths relative
    to the register, ``/``-separated): one ``git ls-tree``; empty when the folder did not
    exist."""
    repo = _history_repository(root)
    inside = _inside(repo, root)
    output = _run(
        repo.git, "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--", *_pathspec(inside)
    )
    prefix = f"{inside}/" if inside else ""
    entries: dict[str, TreeEntry] = {}
    for item in _text(output).split("\0"):
        head, tab, path = item.partition("\t")
        if not tab or not path.startswith(prefix):
            continue
        mode, _kind, blob, size = head.split(maxsplit=3)
        entries[path[len(prefix) :]] = TreeEntry(mode, blob, int(size) if size.isdigit() else None)
    return entries


def register_inside(root: Path) -> str:
    """The register folder relative to the top of its work tree (``""`` at the top)."""
    return _inside(_history_repository(root), root)
