"""``--format json``: exactly one JSON document, the contract of cli.md. Strings pass through
:func:`iotpolicy.grammar.escaping.visible` (a control character or a file name that is not UTF-8 is
written as its escape)."""

from __future__ import annotations

import json

from iotpolicy.findings import CheckResult
from iotpolicy.grammar.escaping import visible_strings


def render_json(result: CheckResult) -> str:
    """The result as an indented JSON document with a final newline."""
    return json.dumps(visible_strings(result.to_dict()), indent=2, ensure_ascii=False) + "\n"
