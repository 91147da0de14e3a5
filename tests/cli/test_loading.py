"""The console script imports only the module of the command it runs, and knows every command."""

from __future__ import annotations

import subprocess
import sys

import typer

from iotpolicy.cli import COMMAND_MODULES, load_commands
from tests.support.paths import REPO

EXAMPLE = REPO / "register"


def top_level_names(app: typer.Typer) -> set[str]:
    """Names of the app's commands and command groups."""
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    groups = {g.name or "" for g in app.registered_groups}
    return commands | groups


def run_main(*argv: str) -> tuple[str, set[str]]:
    """(standard output, top-level names of the modules loaded) of the console script run with
    ``argv`` in a fresh interpreter."""
    script = (
        "import sys\n"
        f"sys.argv = ['iotpolicy', *{list(argv)!r}]\n"
        "from iotpolicy.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    return done.stdout, set(done.stderr.split())


def test_the_table_names_every_command_of_the_app() -> None:
    assert top_level_names(load_commands()) == set(COMMAND_MODULES)


def test_check_starts_without_the_reports_editing_and_import_code() -> None:
    output, loaded = run_main("check", "--help")
    assert "--register" in output
    assert "iotpolicy.cli.commands.check" in loaded
    for heavy in (
        "jinja2",
        "openpyxl",
        "ruamel.yaml",
        "git",
        "iotpolicy.reports",
        "iotpolicy.writing.edit",
        "iotpolicy.writing.draft",
    ):
        assert heavy not in loaded, heavy


def test_a_json_check_does_not_even_load_rich() -> None:
    output, loaded = run_main(
        "check", "--register", str(EXAMPLE), "--no-cache", "--as-of", "2026-11-25", "-f", "json"
    )
    assert '"devices": 33' in output
    assert not {name.split(".")[0] for name in loaded} & {
        "rich",
        "jinja2",
        "openpyxl",
        "ruamel",
        "git",
    }


def test_an_unknown_command_still_gets_typers_message_with_every_command_loaded() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "iotpolicy", "chekc"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "No such command 'chekc'" in done.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "iotpolicy", "--help"], capture_output=True, text=True
    ).stdout
    for name in ("check", "add-device", "report", "review", "advisories", "reconcile"):
        assert name in help_text


def test_an_unexpected_error_is_one_line_without_a_traceback() -> None:
    script = (
        "import sys\n"
        "import iotpolicy.register\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('secret-looking detail')\n"
        "iotpolicy.register.find_register = broken\n"
        "import iotpolicy.cli.commands.check\n"
        "iotpolicy.cli.commands.check.find_register = broken\n"
        "sys.argv = ['iotpolicy', 'check']\n"
        "from iotpolicy.cli import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr == (
        "iotpolicy: internal error: RuntimeError in iotpolicy.cli.commands.check; please report it "
        "(run with --debug for the traceback)\n"
    )
