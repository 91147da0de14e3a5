"""Every third-party module the package imports is a declared runtime dependency, and every
declared runtime dependency is imported: a plain ``pip install`` (no extras) must be enough, and
the dev extras must not hide a missing one. Modules map to distributions through the installed
metadata (``yaml`` is PyYAML, ``git`` is GitPython ...). The code of the tests, benchmarks and
fuzzers may use the dev extras too."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest

from tests.install_floors import floors, normalise, release, runtime_floors
from tests.support.paths import REPO

ROOT = REPO
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCAL = {"iotpolicy", "tests", "benchmarks", "fuzz", "__future__"}


def requirement_names(requirements: Iterable[str]) -> set[str]:
    """The distribution names of requirement strings (``typer>=0.12`` -> ``typer``)."""
    return {normalise(re.split(r"[\s<>=!~\[;@(]", r.strip(), maxsplit=1)[0]) for r in requirements}


def imported_modules(folders: Iterable[Path]) -> dict[str, str]:
    """Top-level third-party modules imported by the Python files under ``folders`` (absolute
    imports, wherever they stand), each with the first file and line importing it."""
    found: dict[str, str] = {}
    for folder in folders:
        # tests/node/node_modules is npm's tree (Node test tools), not Python of ours.
        files = [p for p in folder.rglob("*.py") if "node_modules" not in p.parts]
        local = LOCAL | {p.stem for p in files}
        for path in sorted(files):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, f"{path.relative_to(folder.parent)}:{node.lineno}")
    return found


def provided_modules(declared: set[str]) -> dict[str, set[str]]:
    """The top-level modules each declared distribution installs; for a meta-package that
    installs none itself (typer 0.12 is typer-slim with extras), those of what it requires."""
    by_dist: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            by_dist.setdefault(normalise(dist), set()).add(module)
    found: dict[str, set[str]] = {}
    for name in declared:
        found[name] = by_dist.get(name, set())
        if not found[name]:
            try:
                required = metadata.requires(name) or []
            except metadata.PackageNotFoundError:
                continue
            unconditional = [r for r in required if ";" not in r]
            for dist in requirement_names(unconditional):
                found[name] |= by_dist.get(dist, set())
    return found


def problems(folders: Iterable[Path], declared: set[str], *, all_used: bool) -> list[str]:
    """What is wrong with ``declared`` for the imports under ``folders``: a module no declared
    distribution provides, and (with ``all_used``) a declared distribution nothing imports."""
    installs = provided_modules(declared)
    installed_by = metadata.packages_distributions()
    found: list[str] = []
    used: set[str] = set()
    for module, where in sorted(imported_modules(folders).items()):
        providers = {name for name, modules in installs.items() if module in modules}
        used |= providers
        if not providers:
            dists = sorted(installed_by.get(module, []))
            by = f" (from {', '.join(dists)})" if dists else ""
            found.append(f"{where} imports {module}{by}, which is not declared")
    if all_used:
        found += [f"{name} is declared but never imported" for name in sorted(declared - used)]
    return found


def test_the_package_imports_exactly_its_declared_dependencies() -> None:
    declared = requirement_names(PROJECT["dependencies"])
    assert problems([ROOT / "src"], declared, all_used=True) == []


def test_tests_benchmarks_and_fuzzers_import_only_declared_packages() -> None:
    declared = requirement_names(PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"])
    folders = [ROOT / "tests", ROOT / "benchmarks", ROOT / "fuzz"]
    assert problems(folders, declared, all_used=False) == []


def test_an_undeclared_import_and_an_unused_declaration_are_both_found(tmp_path: Path) -> None:
    """The check itself: an installed but undeclared package (pytest, as click came with a dev
    extra), an unused declaration, a module no installed distribution provides; the standard
    library and the package's own modules pass."""
    src = tmp_path / "src"
    (src / "iotpolicy").mkdir(parents=True)
    (src / "iotpolicy" / "a.py").write_text(
        "import os\nfrom iotpolicy import b\nimport typer\n"
        "def f():\n    import pytest\n    from no_such_module_xyz import g\n",
        encoding="utf-8",
    )
    declared = requirement_names(["typer>=0.12", "Ruamel.Yaml>=0.18"])
    assert declared == {"typer", "ruamel-yaml"}
    assert problems([src], declared, all_used=True) == [
        "src/iotpolicy/a.py:6 imports no_such_module_xyz, which is not declared",
        "src/iotpolicy/a.py:5 imports pytest (from pytest), which is not declared",
        "ruamel-yaml is declared but never imported",
    ]


SECURITY_FIXES = {
    "jinja2": ("3.1.6", "CVE-2025-27516, sandbox escape through |attr"),
    "gitpython": ("3.1.61", "CVE-2026-78676, CVE-2026-87818, PYSEC-2026-3785 to 3788"),
    "pydantic": ("2.4.0", "CVE-2024-3772, email ReDoS"),
    "pyyaml": ("5.4", "CVE-2020-14343, full_load code execution"),
}
"""The first release of a dependency with the fix of a published advisory (README, "Dependency
floors"): its floor must never be lowered below it."""


def test_no_floor_is_below_the_release_that_fixed_an_advisory() -> None:
    found = runtime_floors()
    below = {
        name: f"{found[name]} < {fixed} ({advisory})"
        for name, (fixed, advisory) in SECURITY_FIXES.items()
        if release(found[name]) < release(fixed)
    }
    assert below == {}


def test_the_readme_table_gives_the_floors_of_pyproject() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Dependency floors", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| ([A-Za-z][\w.-]*) \| ([0-9][0-9.]*) \|", section, re.M)
    assert {normalise(name): floor for name, floor in rows} == runtime_floors()


def test_a_floor_is_read_from_the_start_of_each_requirement() -> None:
    assert floors(["typer>=0.24.0,!=0.26.0", "pydantic >= 2.11.0, <3", "Ruamel.Yaml>=0.18.5"]) == {
        "typer": "0.24.0",
        "pydantic": "2.11.0",
        "ruamel-yaml": "0.18.5",
    }
    for untested in ["typer", "typer<1", "typer!=0.26.0,>=0.24", "typer==0.24.0"]:
        with pytest.raises(ValueError, match="does not start with a lower bound"):
            floors([untested])
