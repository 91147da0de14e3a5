"""How users install iotpolicy, which is not on PyPI: every CI file that installs it (the ones
``init`` writes and the documented ones) installs the tagged release of this version from the
repository pre-commit uses, and the install smoke test the README names is the one CI runs."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import yaml

from iotpolicy import __version__
from tests.conftest import Run
from tests.support.paths import REPO

ROOT = REPO
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REPOSITORY = PROJECT["urls"]["Homepage"]


def test_ci_files_install_the_tagged_release_from_the_repository(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = tmp_path / "register"
    run = cli("init", str(root), "--no-interactive")
    assert run.exit_code == 0, run.stderr
    written = [root / ".github/workflows/iotpolicy.yml", root / ".gitlab-ci.yml"]
    documented = [ROOT / "docs/ci/github-actions.yml", ROOT / "docs/ci/gitlab-ci.yml"]
    for path in written + documented:
        installs = re.findall(r"pip install .*", path.read_text(encoding="utf-8"))
        assert installs == [f"pip install git+{REPOSITORY}@v{__version__}"], path
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert hooks["repos"][0]["repo"] == REPOSITORY
    assert hooks["repos"][0]["rev"] == f"v{__version__}"


def test_the_readme_names_the_install_smoke_test_ci_runs() -> None:
    script = "tests/install_smoke.py"
    assert (ROOT / script).is_file()
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert f"python {script}" in ci
    assert f".venv/bin/python {script}" in (ROOT / "README.md").read_text(encoding="utf-8")
