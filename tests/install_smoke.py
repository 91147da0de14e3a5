"""Install smoke test: the package as a user gets it, not as the dev checkout runs it.

Builds the wheel from a snapshot of the working tree, installs it with its runtime dependencies
only into a fresh venv, and runs the installed ``iotpolicy`` from a folder outside the checkout:
``--help`` of every command and sub-command (enumerated from the installed app), ``check`` and
``report`` on a copy of the example register, ``init`` into a new folder, and the pre-commit hook
through ``pre-commit try-repo`` (pre-commit builds its own environment from the declared
dependencies, as for users). Any failure, and any traceback, internal error or import error in
any output, stops it with the command and its output and exit status 1.

Run from a checkout with the dev venv (it uses that venv's pre-commit and PyYAML):
``.venv/bin/python tests/install_smoke.py``. It needs the package index (pip and pre-commit install
from it) and takes one to two minutes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-25"
BROKEN = re.compile(
    r"Traceback \(most recent call last\)|^(iotpolicy: )?internal error"
    r"|\b(ModuleNotFound|Import)Error\b",
    re.M,
)
"""What a crash leaves in the output (an internal error is a line of its own; help texts may
mention one)."""
LIST_COMMANDS = """
import json, typer
from iotpolicy.cli import load_commands
def walk(command, path):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, [*path, name])
print(json.dumps(list(walk(typer.main.get_command(load_commands()), []))))
"""
"""Run by the fresh venv's python: the path of every command and sub-command of the installed
app, the root's ([]) first."""


class SmokeFailure(Exception):
    """A step did not behave as a user of the installed package needs."""


def user_env() -> dict[str, str]:
    """The environment of a user's shell: none of this checkout's or its venv's settings, and
    the dev venv off the PATH."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("IOTPOLICY")}
    dev_bin = Path(sys.prefix, "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != dev_bin]
    return env | {"PATH": os.pathsep.join(path), "NO_COLOR": "1", "COLUMNS": "120"}


def run(
    args: list[str | Path], cwd: Path, *, expect: int = 0, env: dict[str, str] | None = None
) -> str:
    """Run ``args`` in ``cwd``; its stdout and stderr together, after checking the exit status
    and that nothing in them shows a crash."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env or user_env(), capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    broken = BROKEN.search(output)
    if done.returncode != expect or broken:
        why = f"found {broken.group(0)!r} in its output" if broken else ""
        raise SmokeFailure(
            f"$ {' '.join(map(str, args))}\n(in {cwd})\n"
            f"exit status {done.returncode}, expected {expect} {why}\n{output}"
        )
    return output


def check(condition: bool, message: str) -> None:
    """Fail the smoke test with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SmokeFailure(message)


def snapshot(into: Path) -> Path:
    """A git repository holding the working tree as it is (tracked and untracked files, not
    ignored ones) in one commit: what the wheel is built from and pre-commit installs."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():  # deleted but not yet staged: not part of the tree
            (into / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / rel)
    git = ["git", "-c", "user.name=smoke", "-c", "user.email=smoke@example.invalid"]
    run([*git, "init", "-q"], into)
    run([*git, "add", "-A"], into)
    run([*git, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "snap"], into)
    return into


def install(source: Path, work: Path) -> Path:
    """Build the wheel of ``source`` and install it with its runtime dependencies into a fresh
    venv; the venv's bin folder."""
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source], work)
    [wheel] = dist.glob("iotpolicy-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], work)
    bin_dir = venv / "bin"
    run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], work)
    run([bin_dir / "python", "-m", "pip", "check"], work)
    where = run([bin_dir / "python", "-c", "import iotpolicy; print(iotpolicy.__file__)"], work)
    check(Path(where.strip()).is_relative_to(venv), f"iotpolicy imported from {where.strip()}")
    return bin_dir


def smoke_help(bin_dir: Path, outside: Path) -> int:
    """``--version`` and ``--help`` first (what a new user types), then the ``--help`` of every
    command and sub-command of the installed app; how many commands there were."""
    iotpolicy = bin_dir / "iotpolicy"
    version = run([iotpolicy, "--version"], outside)
    check(bool(re.search(r"\d+\.\d+", version)), f"iotpolicy --version: {version}")
    run([iotpolicy, "--help"], outside)
    root, *commands = json.loads(run([bin_dir / "python", "-c", LIST_COMMANDS], outside))
    check(root == [] and len(commands) > 10, f"the installed app lists {commands}")
    for path in commands:
        text = run([iotpolicy, *path, "--help"], outside)
        check(f"Usage: iotpolicy {' '.join(path)}" in text, f"{path} --help:\n{text}")
    return len(commands)


def smoke_example(iotpolicy: Path, outside: Path) -> None:
    """``check`` (text and JSON) and ``report`` on a copy of the example register, whose
    deliberate findings make ``check`` exit 1."""
    register = outside / "register"
    shutil.copytree(ROOT / "register", register)
    text = run([iotpolicy, "check", "--register", register, "--as-of", AS_OF], outside, expect=1)
    devices = len(list((register / "devices").glob("*.yaml")))
    summary = rf"\b[1-9]\d* errors?, \d+ warnings?, \d+ suppressed; {devices} devices checked"
    check(bool(re.search(summary + f" as of {AS_OF}", text)), f"check's summary:\n{text}")
    args = [iotpolicy, "check", "--register", register, "--as-of", AS_OF, "--format", "json"]
    report = json.loads(run(args, outside, expect=1))
    check(report["summary"]["devices"] == devices, f"check --format json: {report['summary']}")
    for finding in report["findings"]:
        check((register / finding["file"]).is_file(), f"a finding in no file: {finding}")
    out = outside / "reports"
    run([iotpolicy, "report", "--register", register, "--as-of", AS_OF, "-o", out], outside)
    index = (out / "index.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(([\w-]+\.md)\)", index)
    check(len(linked) >= 5, f"index.md links {linked}")
    for name in linked:
        check((out / name).stat().st_size > 0, f"report {name} is empty")


def smoke_init(iotpolicy: Path, outside: Path) -> None:
    """``init`` writes a new register, which ``check`` reads (its revision 1.0 awaits the
    General Manager's approval, so POL-001 fails it)."""
    new = outside / "new-register"
    people = ["--general-manager", "Gina Manager", "--operations-manager", "Otto Ops"]
    run(
        [iotpolicy, "init", new, "--no-interactive", "--organization", "Smoke Ltd", *people],
        outside,
    )
    for rel in ("policy.yaml", "people.yaml", ".pre-commit-config.yaml", ".gitlab-ci.yml"):
        check((new / rel).is_file(), f"init wrote no {rel}")
    text = run([iotpolicy, "check", "--register", new, "--as-of", AS_OF], outside, expect=1)
    check("POL-001" in text and "0 devices checked" in text, f"check of a new register:\n{text}")


def smoke_pre_commit(iotpolicy: Path, clone: Path, work: Path) -> None:
    """The hook of .pre-commit-hooks.yaml through ``pre-commit try-repo`` in a repository holding
    the example register: it fails the commit and names every unsuppressed error."""
    repo = work / "user-repo"
    shutil.copytree(ROOT / "register", repo / "register")
    run(["git", "init", "-q"], repo)
    run(["git", "add", "-A"], repo)
    args = [iotpolicy, "check", "--format", "json"]  # as of today, as the hook runs
    findings = json.loads(run(args, repo, expect=1))["findings"]
    errors = {f["rule"] for f in findings if f["severity"] == "error" and not f["suppressed_by"]}
    check(bool(errors), "the example register has no unsuppressed error as of today")
    [hook] = yaml.safe_load((clone / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    env = user_env() | {"PRE_COMMIT_HOME": str(work / "pre-commit-home")}
    pre_commit = [sys.executable, "-m", "pre_commit", "try-repo", clone, hook["id"]]
    text = run([*pre_commit, "--all-files", "--color", "never"], repo, expect=1, env=env)
    failed = re.search(rf"^{re.escape(hook['name'])}\.+Failed$", text, re.M)
    check(failed is not None, f"pre-commit try-repo:\n{text}")
    missing = sorted(rule for rule in errors if rule not in text)
    check(not missing, f"the hook's output names no {missing}:\n{text}")


def main() -> int:
    """Run every step in a temporary folder; 0 when all pass, else 1 with what failed."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="iotpolicy-smoke-") as tmp:
        work = Path(tmp)
        outside = work / "outside"
        for folder in (outside, work / "clone", work / "user-repo"):
            folder.mkdir()
        try:
            clone = snapshot(work / "clone")
            bin_dir = install(clone, work)
            commands = smoke_help(bin_dir, outside)
            smoke_example(bin_dir / "iotpolicy", outside)
            smoke_init(bin_dir / "iotpolicy", outside)
            smoke_pre_commit(bin_dir / "iotpolicy", clone, work)
        except SmokeFailure as failure:
            print(f"INSTALL SMOKE TEST FAILED\n{failure}", file=sys.stderr)
            return 1
    seconds = time.monotonic() - start
    print(
        f"install smoke: wheel installed without extras; --help of {commands} commands, check, "
        f"report, init and pre-commit try-repo passed ({seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
