"""``--format json``: exactly one JSON document, the contract of cli.md."""

from __future__ import annotations

import json

from iotpolicy.findings import CheckResult


def render_json(result: CheckResult) -> str:
    """The result as an indented JSON document with a final newline."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
