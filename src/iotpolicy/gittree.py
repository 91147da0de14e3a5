"""The register as it was in a commit, read from git objects (never from the working tree, the
index or the check cache) by the loader ``check`` uses, so a commit checks exactly as a fresh
checkout of it would.

:class:`CommitLoader` reads the trees of the commits it is given (one ``git ls-tree`` each) and
the file versions they hold (one ``git cat-file --batch`` for all of them); each file version is
parsed and validated once per run, however many commits hold it. Symbolic links are followed
inside the tree as the file system would follow them in a checkout; one leading out of the
register (or looping) is refused as ``check`` refuses it on disk.
"""

from __future__ import annotations

import errno
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from iotpolicy.errors import RegisterNotFound
from iotpolicy.gitlog import LINK_MODE, TreeEntry, read_blobs, read_tree, register_inside
from iotpolicy.inputs import NOT_REGULAR, InputRefused, larger_than
from iotpolicy.kinds import POLICY_FILE
from iotpolicy.register import (
    OUTSIDE_LINK,
    FileRead,
    Progress,
    Register,
    load_register,
)
from iotpolicy.yamlio.load import MAX_FILE_BYTES, Parsed, parse_bytes, refused_file, unreadable_file

_FILE_MODES = frozenset({"100644", "100755"})
_MAX_HOPS = 40
"""Symbolic links followed for one path before it counts as a loop (as Linux does)."""


@dataclass(frozen=True, slots=True)
class _Child:
    """An entry of a folder of the tree, as the loader lists it."""

    name: str
    file: bool

    def is_file(self) -> bool:
        """True for a file, or a link to one (or to somewhere outside the register)."""
        return self.file


@dataclass
class CommitFiles:
    """The files of the register in one commit, as the loader reads them."""

    tree: Mapping[str, TreeEntry]
    """The tree below the register folder, by path relative to it."""
    blobs: Mapping[str, bytes]
    """The contents of the file versions the loader may read, by object id."""
    inside: str
    """The register folder relative to the top of the repository (links may go through it)."""
    memo: dict[tuple[str, str], FileRead]
    """Record files as read, by path and object id: shared by every commit of a run."""
    _children: dict[str, set[str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for path in self.tree:
            folder, _, name = path.rpartition("/")
            self._children.setdefault(folder, set()).add(name)
            while folder:
                folder, _, name = folder.rpartition("/")
                self._children.setdefault(folder, set()).add(name)

    def _resolve(self, rel: str) -> str | None:
        """``rel`` with every symbolic link on the way followed; None when one leads out of the
        register or they loop."""
        top = [part for part in self.inside.split("/") if part]
        done = list(top)
        todo = rel.split("/")
        hops = 0
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not done:
                    return None  # above the top of the repository
                done.pop()
                continue
            done.append(part)
            if done[: len(top)] != top:
                continue  # outside the register: not in the tree read
            entry = self.tree.get("/".join(done[len(top) :]))
            if entry is not None and entry.mode == LINK_MODE:
                hops += 1
                target = os.fsdecode(self.blobs.get(entry.blob, b""))
                if hops > _MAX_HOPS or target.startswith("/"):
                    return None
                done.pop()
                todo = posixpath.normpath(target).split("/") + todo
        if done[: len(top)] != top:
            return None
        return "/".join(done[len(top) :])

    def _entry(self, rel: str) -> TreeEntry | None:
        """The file or submodule ``rel`` leads to (links followed), if any."""
        target = self._resolve(rel)
        return self.tree.get(target) if target is not None else None

    def exists(self, rel: str) -> bool:
        """True when ``rel`` leads to a file or a folder, or out of the register."""
        target = self._resolve(rel)
        return target is None or target in self.tree or target in self._children

    def entries(self, folder: str) -> list[_Child] | None:
        """The entries of ``folder``; None when there is no such folder."""
        target = self._resolve(folder)
        if target is None:
            return []  # a folder elsewhere: its files are not in the tree read
        if target in self.tree or target not in self._children:
            return None
        children = []
        for name in self._children[target]:
            leads = self._resolve(f"{folder}/{name}")
            entry = self.tree.get(leads) if leads is not None else None
            children.append(_Child(name, leads is None or _is_file(entry)))
        return children

    def read(self, rel: str) -> Parsed | str:
        """The file parsed as ``check`` parses it on disk, or why it is not read."""
        target = self._resolve(rel)
        if target is None:
            return OUTSIDE_LINK
        entry = self.tree.get(target)
        if entry is None:
            if target in self._children:
                return refused_file(InputRefused(NOT_REGULAR))
            return unreadable_file(os.strerror(errno.ENOENT))
        if not _is_file(entry):
            return refused_file(InputRefused(NOT_REGULAR))
        if entry.size is not None and entry.size > MAX_FILE_BYTES:
            return refused_file(larger_than(MAX_FILE_BYTES))
        return parse_bytes(self.blobs[entry.blob])

    def remembered(self, rel: str, make: Callable[[], FileRead]) -> FileRead:
        """The record file ``rel`` as read before in this version, or read now."""
        entry = self._entry(rel)
        key = (rel, entry.blob if entry is not None else "")
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = make()
        return found


def _is_file(entry: TreeEntry | None) -> bool:
    return entry is not None and entry.mode in _FILE_MODES


class CommitLoader:
    """Loads the register at ``root`` as it was in commits: their trees and file versions are
    read once (:meth:`read`), then each commit's register is built from them (:meth:`load`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inside = register_inside(root)
        self.trees: dict[str, dict[str, TreeEntry]] = {}
        self.blobs: dict[str, bytes] = {}
        self.memo: dict[tuple[str, str], FileRead] = {}

    def read(self, commits: Iterable[str]) -> None:
        """Read the trees of ``commits`` (one ``git ls-tree`` each) and the file versions the
        loader may read in them (one ``git cat-file --batch`` for all, a second one only for
        symbolic links to other files)."""
        new = {commit: read_tree(self.root, commit) for commit in dict.fromkeys(commits)}
        new = {commit: tree for commit, tree in new.items() if commit not in self.trees}
        self.trees.update(new)
        wanted = {
            entry.blob
            for tree in new.values()
            for path, entry in tree.items()
            if entry.mode == LINK_MODE or (path.endswith(".yaml") and _small_file(entry))
        }
        self._fetch(wanted)
        targets = set()
        for tree in new.values():
            files = CommitFiles(tree, self.blobs, self.inside, self.memo)
            for path, entry in tree.items():
                if entry.mode == LINK_MODE:
                    target = files._entry(path)
                    if target is not None and _small_file(target):
                        targets.add(target.blob)
        self._fetch(targets)

    def _fetch(self, wanted: set[str]) -> None:
        missing = wanted - self.blobs.keys()
        if missing:
            self.blobs.update(read_blobs(self.root, missing))

    def holds_register(self, commit: str) -> bool:
        """True when the register (its policy.yaml) existed in ``commit`` (read first)."""
        try:
            self.files(commit)
        except RegisterNotFound:
            return False
        return True

    def files(self, commit: str) -> CommitFiles:
        """The register's files in ``commit`` (read first); RegisterNotFound when the register
        folder did not exist there or held no policy.yaml."""
        tree = self.trees[commit]
        where = self.inside or "the top folder"
        if not tree:
            raise RegisterNotFound(f"the register folder ({where}) did not exist in {commit}")
        files = CommitFiles(tree, self.blobs, self.inside, self.memo)
        if not _is_file(files._entry(POLICY_FILE)):
            raise RegisterNotFound(f"not a register in {commit}: no {POLICY_FILE} in {where}")
        return files

    def load(self, commit: str, progress: Progress | None = None) -> Register:
        """The register as it was in ``commit`` (read first), loaded as ``check`` loads it."""
        return load_register(self.root, progress=progress, files=self.files(commit))

    def load_one(self, commit: str, progress: Progress | None = None) -> Register:
        """:meth:`read` and :meth:`load` of one commit."""
        self.read([commit])
        return self.load(commit, progress)


def _small_file(entry: TreeEntry) -> bool:
    """A file the loader reads (larger ones are refused unread)."""
    return _is_file(entry) and (entry.size or 0) <= MAX_FILE_BYTES
