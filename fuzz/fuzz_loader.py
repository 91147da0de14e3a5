"""Fuzz the register loader: random and mutated YAML must never raise, only report problems.

Runs the same property as tests/unit/yamlio/test_fuzz.py with many more examples:

    python fuzz/fuzz_loader.py --examples 200000

A crash prints the failing input (hypothesis shrinks it first); keep it as a regression case in
tests/data/hostile/ with its expected finding in tests/data/hostile/expected.yaml.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.unit.yamlio.test_fuzz import check_one_file, yaml_like


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000)
    args = parser.parse_args()

    @settings(
        max_examples=args.examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(yaml_like())
    def fuzz(data: bytes) -> None:
        check_one_file(data)

    fuzz()
    print(f"{args.examples} inputs, no crash")


if __name__ == "__main__":
    main()
