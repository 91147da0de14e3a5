"""The one place that talks to git: the register's history, and commits and tags of the tool's own
writes.

Commits go through the ``git`` command itself (never GitPython's index), so they carry the user's
own identity, exactly as ``git commit`` would, and git refuses when there is none.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from iotpolicy.errors import RefusedError, UsageError


class GitError(UsageError):
    """git failed, or the register is not inside a git repository."""


def run_git(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` in ``cwd`` and return the completed process (text mode).

    Raises GitError with git's own message when ``check`` and git fails.
    """
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done


def repository_root(path: Path) -> Path | None:
    """The top folder of the git work tree holding ``path``, or None when there is none."""
    done = run_git(["rev-parse", "--show-toplevel"], cwd=path, check=False)
    return Path(done.stdout.strip()) if done.returncode == 0 else None


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
    run_git(["init", "--quiet"], cwd=path)


def check_identity(cwd: Path) -> None:
    """Raise GitError unless git knows the user's name and e-mail (commits are made as the
    user, exactly as ``git commit`` would make them; the tool never invents an identity)."""
    for who in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if run_git(["var", who], cwd=cwd, check=False).returncode != 0:
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
    top = repository_root(root)
    if top is None:
        raise GitError(
            f"--commit needs a git repository, and the register {root} is not inside one "
            "(run git init there, or leave out --commit); nothing was written"
        )
    check_identity(top)
    base = top.resolve()
    paths = tuple(sorted({f.resolve().relative_to(base).as_posix() for f in files}))
    status = run_git(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths], cwd=top
    )
    dirty = sorted({entry[3:] for entry in status.stdout.split("\0") if len(entry) > 3})
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
    try:
        run_git(["add", "--", *plan.paths], cwd=plan.top)
        run_git(["commit", "--quiet", "-m", message, "--only", "--", *plan.paths], cwd=plan.top)
    except GitError as exc:  # a hook refused, the disk filled up ...
        raise GitError(
            f"{', '.join(plan.paths)} written but not committed ({exc}); commit "
            f"{'it' if len(plan.paths) == 1 else 'them'} with git once that is fixed"
        ) from None
    return run_git(["rev-parse", "--short", "HEAD"], cwd=plan.top).stdout.strip()


def tag_exists(top: Path, name: str) -> bool:
    """True when the repository at ``top`` already has the tag ``name``."""
    done = run_git(["rev-parse", "--verify", "--quiet", f"refs/tags/{name}"], cwd=top, check=False)
    return done.returncode == 0


def tag_commit(top: Path, name: str, message: str, commit: str = "HEAD") -> None:
    """Tag ``commit`` as ``name`` with an annotated tag (``message``, the user as tagger);
    GitError when git refuses (the tag exists, no identity ...)."""
    try:
        run_git(["tag", "-a", name, "-m", message, commit], cwd=top)
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


def _git_bytes(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    """Run ``git ARGS`` in ``cwd`` and return its raw standard output; GitError when it fails."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def register_state(root: Path, exclude: Path | None = None) -> RegisterState:
    """The last commit that changed the register at ``root`` and whether its files have
    uncommitted changes (untracked files included, git-ignored ones not). ``exclude``: a folder
    inside the register not to count (where reports are being written)."""
    try:
        if repository_root(root) is None:
            return RegisterState(in_repository=False, commit=None, dirty=False)
        last = run_git(["log", "-1", "--format=%H", "--", "."], cwd=root, check=False)
        commit = (last.stdout.strip() or None) if last.returncode == 0 else None
        pathspec = ["."]
        if exclude is not None and exclude.resolve().is_relative_to(root.resolve()):
            inside = exclude.resolve().relative_to(root.resolve()).as_posix()
            if inside != ".":
                pathspec.append(f":(exclude){inside}")
        status = run_git(
            ["status", "--porcelain", "-z", "--untracked-files=all", "--", *pathspec], cwd=root
        )
    except GitError:
        return RegisterState(in_repository=False, commit=None, dirty=False)
    return RegisterState(in_repository=True, commit=commit, dirty=bool(status.stdout))


def uncommitted_files(root: Path, ignore: Iterable[str] = ()) -> list[str]:
    """Files of the register at ``root`` (relative to it, ``/``-separated) with uncommitted
    changes, untracked ones included (git-ignored ones and ``ignore`` not), sorted."""
    status = run_git(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."], cwd=root
    )
    top = repository_root(root)
    base = root.resolve().relative_to(top.resolve()) if top is not None else Path()
    found: set[str] = set()
    entries = iter(status.stdout.split("\0"))
    for entry in entries:
        if len(entry) <= 3:
            continue
        if entry[0] in "RC":  # a rename or copy: the next token is its source
            next(entries, None)
        path = Path(entry[3:])
        rel = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.as_posix()
        if rel not in ignore:
            found.add(rel)
    return sorted(found)


def resolve_commit(root: Path, rev: str) -> str:
    """The full hash of the commit ``rev`` names (a hash, tag or branch); GitError when none."""
    done = run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=root,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise GitError(f"'{rev}' is not a commit, tag or branch of the register's repository")
    return done.stdout.strip()


def read_log(root: Path, after: str | None = None) -> list[LogCommit]:
    """Every commit that changed the register at ``root``, newest first, with the files it
    changed: one pass over ``git log``. ``after``: a full commit hash; only commits reachable from
    HEAD but not from it are read. Merge commits contribute through the commits they merge."""
    if repository_root(root) is None:
        raise GitError("the register is not inside a git repository, so it has no history")
    if run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=root, check=False).returncode:
        return []
    args = ["log", "--no-renames", "--raw", "--no-abbrev", "-z", "--relative", "--root"]
    args += [f"--format={_LOG_FORMAT}", "--no-color", f"{after}..HEAD" if after else "HEAD"]
    return _parse_log(_git_bytes([*args, "--", "."], cwd=root).decode("utf-8", "replace"))


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
    ``git cat-file --batch``."""
    wanted = sorted(set(blob_ids))
    if not wanted:
        return {}
    output = _git_bytes(["cat-file", "--batch"], cwd=root, stdin="\n".join(wanted).encode() + b"\n")
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
