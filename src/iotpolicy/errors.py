"""The package's exceptions and its named exit codes (see cli.md)."""

from __future__ import annotations

EXIT_OK = 0
"""Success; for ``check``: no unsuppressed error (nor warning under ``--strict``)."""
EXIT_FINDINGS = 1
"""``check`` found errors; other commands: the action was refused because data would be invalid."""
EXIT_USAGE = 2
"""Usage error, missing or unreadable register, bad option value."""
EXIT_INTERRUPTED = 130
"""Interrupted: Ctrl-C, or Ctrl-D at a prompt; nothing was written."""


class IotpolicyError(Exception):
    """A user-facing error: printed as one line (after its ``details``, one line per problem),
    then the process exits with ``exit_code``."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details
        """One line per problem (``file:line: field: what``), printed before the message."""


class UsageError(IotpolicyError):
    """A bad option value or an unusable register path."""

    exit_code = EXIT_USAGE


class RegisterNotFound(UsageError):
    """No register folder, or a folder without ``policy.yaml``."""


class RefusedError(IotpolicyError):
    """The action would leave the register invalid, so nothing was written."""

    exit_code = EXIT_FINDINGS


class RegisterLocked(UsageError):
    """Another iotpolicy command holds the register's write lock for too long."""
