"""Fuzz the register loader, secret recognition, the spreadsheet reader and paths inside the
register: random and mutated input must never raise, only report problems (no control character,
escaped or not, is read; no line of check's text is a workflow command); a credential in any
recognised form never reaches an output; no path reached inside a register leads out of it.

Runs the properties of tests/unit/yamlio/test_fuzz.py with many more examples:

    python fuzz/fuzz_loader.py --examples 200000
    python fuzz/fuzz_loader.py --target secrets --examples 5000
    python fuzz/fuzz_loader.py --target sheets --examples 20000
    python fuzz/fuzz_loader.py --target links --examples 20000

A crash prints the failing input (hypothesis shrinks it first); keep it as a regression case in
tests/data/hostile/ with its expected finding in tests/data/hostile/expected.yaml.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.unit.yamlio.test_fuzz import (
    FORMS,
    SECRETS,
    check_links,
    check_one_file,
    check_secret,
    linked_tree,
    read_sheet_or_refuse,
    sheet_like,
    yaml_like,
)

TARGETS: dict[str, tuple[st.SearchStrategy[tuple[object, ...]], Callable[..., None]]] = {
    "loader": (st.tuples(yaml_like()), check_one_file),
    "secrets": (st.tuples(st.sampled_from(FORMS), SECRETS), check_secret),
    "sheets": (st.tuples(sheet_like()), read_sheet_or_refuse),
    "links": (linked_tree(), check_links),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--target", choices=sorted(TARGETS), default="loader")
    args = parser.parse_args()
    strategy, check = TARGETS[args.target]

    @settings(
        max_examples=args.examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(strategy)
    def fuzz(values: tuple[object, ...]) -> None:
        check(*values)

    fuzz()
    print(f"{args.examples} inputs ({args.target}), no crash")


if __name__ == "__main__":
    main()
