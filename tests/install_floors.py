"""Floors test: the oldest versions pyproject allows, installed together, pass the test suite.

Reads the lower bound of every runtime dependency in pyproject (``typer>=0.24.0,!=0.26.0``:
0.24.0), installs the checkout with the dev extras into a fresh venv while a constraints file
pins each runtime dependency to its bound, checks that pip installed exactly those versions, and
runs pytest there from the checkout (arguments go to pytest: ``tests/test_completion.py`` ...).
Exit status: pytest's, or 1 if the floors could not be installed.

Not run by CI (the install and the whole suite take about five minutes); run it whenever a lower
bound changes: ``.venv/bin/python tests/install_floors.py``. It needs the package index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9]+(?:\.[0-9]+)*)\s*(?:,|$)")
"""A requirement that starts with its lower bound: ``name>=1.2.3`` (an upper bound may follow)."""


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def floors(requirements: Iterable[str]) -> dict[str, str]:
    """Each requirement's normalised distribution name and its lower bound; a requirement
    without one is an error (an untested floor is what this guards against)."""
    found: dict[str, str] = {}
    for requirement in requirements:
        match = FLOOR.match(requirement)
        if not match:
            raise ValueError(f"{requirement!r} does not start with a lower bound (name>=X)")
        found[normalise(match[1])] = match[2]
    return found


def runtime_floors() -> dict[str, str]:
    """The lower bounds of the runtime dependencies declared in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return floors(project["dependencies"])


INSTALLED = """
import json, sys
from importlib import metadata
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps(found))
"""
"""Run by the venv's python: the installed version of each distribution named (None: absent;
click is, from typer 0.26 on)."""


def release(version: str) -> tuple[int, ...]:
    """``6.0`` -> (6,), ``6.0.4`` -> (6, 0, 4): a release with its trailing zeros dropped, so that
    a floor written ``>=13`` matches the installed 13.0.0."""
    parts = [int(part) for part in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def main(pytest_args: list[str]) -> int:
    """Install the floors into a fresh venv and run pytest there; the exit status."""
    pins = runtime_floors()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    with tempfile.TemporaryDirectory(prefix="iotpolicy-floors-") as tmp:
        constraints = Path(tmp, "floors.txt")
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()), encoding="utf-8")
        venv = Path(tmp, "venv")
        python = str(venv / "bin" / "python")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [python, "-m", "pip", "install", "-q", "-c", str(constraints)]
        if subprocess.run([*pip, "-e", f"{ROOT}[dev]"], env=env).returncode:
            print(f"pip could not install the floors together: {pins}", file=sys.stderr)
            return 1
        listed = subprocess.run(
            [python, "-c", INSTALLED, *pins, "click"], env=env, capture_output=True, text=True
        )
        installed: dict[str, str | None] = json.loads(listed.stdout)
        for name, version in installed.items():
            print(f"{name:12} {version}" + ("  (floor)" if name in pins else ""))
        wrong = {
            name: version
            for name, version in installed.items()
            if name in pins and release(version or "0") != release(pins[name])
        }
        if wrong:
            print(f"pip did not install the floors: {wrong}", file=sys.stderr)
            return 1
        test = [python, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
        return subprocess.run(test, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
