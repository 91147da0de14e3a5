"""Writing files safely: paths confined to the register, atomic replacement, the register's
write lock, content digests.

:func:`in_register` is the one way to a path inside the register (it refuses links out of it),
:func:`atomic_write_text` replaces a file atomically and :func:`register_lock` serialises
writers; none of them knows anything of YAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from iotpolicy.errors import RegisterLocked, UsageError

LOCK_FILE = ".iotpolicy.lock"
"""The register's lock file (kept out of git by the register's .gitignore)."""
LOCK_TIMEOUT = 60.0
"""Seconds a writer waits for another writer to finish before giving up."""


class OutsideRegister(UsageError):
    """A path inside the register that a symbolic link (the file, or a folder on the way) takes
    outside it; the message names the link: ``templates: symbolic link to a folder outside the
    register``."""

    def __init__(self, link: str, folder: bool) -> None:
        self.link = link
        """The link, relative to the register (``/``-separated)."""
        self.what = (
            f"{link}: symbolic link to a {'folder' if folder else 'file'} outside the register"
        )
        """The message without what was done about it."""
        super().__init__(f"{self.what}; nothing is read or written through it")


def in_register(root: Path, rel: str) -> Path:
    """The path of ``rel`` (relative to the register at ``root``, ``/``-separated) once it is
    sure to stay inside the register: every part of it that exists and is a symbolic link must
    resolve inside the resolved ``root`` (a loop counts as outside). Raises
    :class:`OutsideRegister` naming the first link that leads out, and ValueError for an
    absolute path or ``..``. Every file or folder of the register that the tool reads or writes
    (records, templates, the cache, the lock, schemas, reviews) is reached through it; paths the
    user names (``--output``, ``--output-dir``, ``init PATH``, input files) are not."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith("/") or any(part in (".", "..") for part in parts):
        raise ValueError(f"not a path inside the register: {rel!r}")
    base = root.resolve()
    path = root
    for depth, part in enumerate(parts, 1):
        path = path / part
        if path.is_symlink():
            try:
                inside = path.resolve(strict=False).is_relative_to(base)
            except (OSError, RuntimeError):  # a loop of links
                inside = False
            if not inside:
                raise OutsideRegister("/".join(parts[:depth]), depth < len(parts) or path.is_dir())
    return path


def content_digest(raw: bytes) -> str:
    """The content hash the check cache keys files by (BLAKE2b, 128 bits, hex)."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in UTF-8, as :func:`atomic_write_bytes` does."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(files: Sequence[tuple[Path, str]]) -> None:
    """Write each ``(path, text)`` as :func:`atomic_write_text` does, all of them or none: when
    one write fails (or is interrupted), the files already written get their old content back
    and new ones are removed. Each folder is fsynced once at the end rather than after every
    file (an import of thousands of files)."""
    done: list[tuple[Path, bytes | None]] = []
    try:
        for path, text in files:
            old = path.read_bytes() if path.is_file() else None
            atomic_write_bytes(path, text.encode("utf-8"), sync=False)  # a failure leaves it
            done.append((path, old))
    except BaseException:
        for path, old in reversed(done):
            with contextlib.suppress(OSError):
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    atomic_write_bytes(path, old)
        raise
    for folder in sorted({path.parent for path, _ in files}):
        _sync_folder(folder)


def atomic_write_bytes(path: Path, data: bytes, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync and rename.

    A crash or Ctrl-C at any moment leaves the old file or the new one, never a truncated file,
    and no temporary file behind (a kill -9 in the window leaves a hidden ``.NAME.*.tmp``, which
    nothing reads). The new file keeps the permissions of the file it replaces (a new file gets
    the umask's, not the temporary file's private 0600). ``sync``: fsync the folder too, so the
    rename survives a power cut (:func:`atomic_write_many` does it once per folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        # Created inside the try, not by tempfile.mkstemp before it: a Ctrl-C raised the moment
        # open() returns (one that came while it blocked) must remove the file too.
        fd = os.open(tmp, _TEMP_FLAGS, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except FileExistsError:  # from os.open only: the name is taken (1 in 2**64), not ours
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync:
        _sync_folder(path.parent)


_TEMP_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)
"""A temporary file is a new file (never an existing file or link), written without newline
translation on Windows: tempfile.mkstemp's flags."""


def _mode_for(path: Path) -> int:
    """Permissions for the new version of ``path``: those of the current file, else the
    umask's default for a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """fsync a folder so a rename in it survives a power cut (not possible everywhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def register_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the register's write lock (an exclusive lock on ``<root>/.iotpolicy.lock``) for the
    read-modify-write of a command, so concurrent writers never lose each other's change.

    The lock is a separate file: locking the file being replaced would not serialise writers
    (a rename gives the next writer a new, unlocked file). Raises RegisterLocked after
    ``timeout`` seconds (default :data:`LOCK_TIMEOUT`)."""
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    path = in_register(root, LOCK_FILE)
    with path.open("a+b") as handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle.fileno()):
            if time.monotonic() >= deadline:
                raise RegisterLocked(
                    f"the register is being changed by another iotpolicy command ({path} is "
                    f"locked for more than {timeout:.0f} s); try again"
                )
            time.sleep(0.02)
        try:
            yield
        finally:
            _unlock(handle.fileno())


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
