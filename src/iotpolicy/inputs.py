"""Reading a file with its size checked first: the one way every file the tool reads is read
(register files and templates, spreadsheets, nmap scans, CSAF advisories, KEV catalogs).

The file is opened without blocking (a named pipe would wait forever for a writer), must be a
regular file, its size is taken from the open file, and at most ``limit + 1`` bytes are read: a
huge, sparse or growing file costs nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from iotpolicy.errors import UsageError

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class InputRefused(Exception):
    """A file not read: larger than its limit, or not a regular file (the message says which,
    as in "file is ...")."""


def size_text(limit: int) -> str:
    """A limit in bytes as the messages write it: ``2 MiB``, ``64 KiB``."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit:,} bytes"


NOT_REGULAR = "not a regular file"


def larger_than(limit: int) -> InputRefused:
    """The refusal of a file holding more than ``limit`` bytes."""
    return InputRefused(f"larger than {size_text(limit)}")


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``. Raises InputRefused when it holds more than
    ``limit`` bytes or is not a regular file, OSError when it cannot be opened."""
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputRefused(NOT_REGULAR)
        if info.st_size > limit:
            raise larger_than(limit)
        chunks, left = [], limit + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew, or its size was not told
        raise larger_than(limit)
    return data


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of an input file named on the command line; a usage error (one line naming
    the file) when it is missing, not a regular file, larger than ``limit`` or unreadable."""
    try:
        return read_bounded(path, limit)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except InputRefused as exc:
        raise UsageError(f"{path.name}: {exc}; not read") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
