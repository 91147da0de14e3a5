"""A rule's documentation (its docstring, written with reST ````literal```` markup and wrapped
lines) as plain text and as Markdown, for the formats that show it to people: SARIF's
descriptions and help, and the job summary."""

from __future__ import annotations

import re

_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def paragraphs(doc: str) -> list[str]:
    """The paragraphs of ``doc``, each on one line."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", doc) if block.strip()]


def plain_text(doc: str) -> str:
    """``doc`` without markup: each paragraph on one line, literals in single quotes, paragraphs
    separated by a blank line."""
    return "\n\n".join(_LITERAL.sub(r"'\1'", p) for p in paragraphs(doc))


def markdown_text(doc: str) -> str:
    """``doc`` as Markdown: literals as code spans, each paragraph on one line."""
    return "\n\n".join(_LITERAL.sub(_code, p) for p in paragraphs(doc))


def _code(match: re.Match[str]) -> str:
    text = match.group(1)
    return f"`` {text} ``" if "`" in text else f"`{text}`"
