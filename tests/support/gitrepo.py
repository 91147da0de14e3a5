"""A temporary git repository with scripted commits: fixed identities and dates, no user or system
configuration, so every commit hash is the same on every machine; and a recorder of the git
processes a command starts."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_register

IDENTITY = {"name": "Ole Hansen", "email": "ole.hansen@example.com"}


class GitRepo:
    """A git work tree at ``top``; the register at ``top/register``."""

    def __init__(self, top: Path, register: str = "register") -> None:
        self.top = top
        self.register = top / register
        self.register.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def env(self, when: str, name: str, email: str) -> dict[str, str]:
        """git's environment: only this identity and date, no configuration from outside."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_CONFIG_NOSYSTEM="1",
            GIT_AUTHOR_NAME=name,
            GIT_AUTHOR_EMAIL=email,
            GIT_COMMITTER_NAME=name,
            GIT_COMMITTER_EMAIL=email,
            GIT_AUTHOR_DATE=when,
            GIT_COMMITTER_DATE=when,
        )
        return env

    def git(self, *args: str, when: str = "2026-01-01T09:00:00+00:00", **who: str) -> str:
        """Run git in the work tree; returns its output."""
        identity = {**IDENTITY, **who}
        done = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
            cwd=self.top,
            env=self.env(when, identity["name"], identity["email"]),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def commit(
        self,
        message: str,
        when: str,
        files: dict[str, Any] | None = None,
        delete: tuple[str, ...] = (),
        **who: str,
    ) -> str:
        """Write ``files`` (relative to the register) and delete ``delete``, commit everything
        with ``message`` at ``when``; returns the commit's full hash."""
        write_register(self.register, files or {})
        for rel in delete:
            (self.register / rel).unlink()
        self.git("add", "-A", when=when, **who)
        self.git("commit", "-q", "--allow-empty", "-m", message, when=when, **who)
        return self.git("rev-parse", "HEAD").strip()


class GitCalls:
    """The argument lists (``git`` first) of every git process started while it is installed:
    a ``git`` first on PATH logs its arguments and runs the real git. (GitPython binds ``Popen``
    when it is imported, so patching ``subprocess`` would not see its processes.)"""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import git  # GitPython runs ``git version`` when imported: not a command's own process

        del git
        real = shutil.which("git")
        assert real is not None, "git is not installed"
        shim = folder / "bin" / "git"
        shim.parent.mkdir(parents=True, exist_ok=True)
        self.log = folder / "git-calls"
        self.log.write_bytes(b"")
        log = shlex.quote(str(self.log))
        shim.write_text(
            f"#!/bin/sh\n{{ printf '%s\\0' \"$@\"; printf '\\036\\0'; }} >> {log}\n"
            f'exec {shlex.quote(real)} "$@"\n',
            encoding="utf-8",
        )
        shim.chmod(0o755)
        monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ.get('PATH', '')}")

    def clear(self) -> None:
        """Forget the processes recorded so far."""
        self.log.write_bytes(b"")

    def __iter__(self) -> Iterator[list[str]]:
        call: list[str] = ["git"]
        for token in self.log.read_bytes().split(b"\0")[:-1]:
            if token == b"\x1e":
                yield call
                call = ["git"]
            else:
                call.append(token.decode("utf-8", "replace"))

    def commands(self) -> list[list[str]]:
        """Each git process's arguments from its subcommand on (git's own options before it,
        such as ``-c key=value`` and ``--no-optional-locks``, left out)."""
        found = []
        for call in self:
            args = call[1:]
            while args and args[0].startswith("-"):
                args = args[2:] if args[0] in ("-c", "-C") else args[1:]
            found.append(args)
        return found
