"""A temporary git repository with scripted commits: fixed identities and dates, no user or system
configuration, so every commit hash is the same on every machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

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
