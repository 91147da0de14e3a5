"""The one place that talks to git: the register's history, and commits and tags of the tool's own
writes.

Commits go through the ``git`` command itself (never GitPython's index), so they carry the user's
own identity, exactly as ``git commit`` would, and git refuses when there is none.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from iotpolicy.errors import UsageError


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


# --- reading: history of records and of the register (history, reports, review) -------------
