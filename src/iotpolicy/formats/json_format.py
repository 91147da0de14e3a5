"""``--format json``: exactly one JSON document, the contract of cli.md. Strings pass through
:func:`iotpolicy.escaping.visible` (a control character or a file name that is not UTF-8 is
written as its escape)."""

from __future__ import annotations

import json
from typing import Any

from iotpolicy.escaping import visible
from iotpolicy.findings import CheckResult


def render_json(result: CheckResult) -> str:
    """The result as an indented JSON document with a final newline."""
    return json.dumps(_visible(result.to_dict()), indent=2, ensure_ascii=False) + "\n"


def _visible(node: Any) -> Any:
    if isinstance(node, str):
        return visible(node)
    if isinstance(node, dict):
        return {key: _visible(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_visible(value) for value in node]
    return node
