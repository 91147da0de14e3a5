"""Where the repository's files are, wherever a test module sits below tests/."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The top of the checkout (pyproject.toml, src/, register/, docs/)."""
TESTS = REPO / "tests"
DATA = TESTS / "data"
"""Test data files (tests/data/)."""
EXAMPLE = REPO / "register"
"""The example register."""
SHARED = REPO.parent / "shared"
"""The shared folder beside the checkout (the spec, real CSAF and KEV data), as CI lays it."""
