"""The Jinja environment over the built-in templates, and rendering of Markdown documents."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import jinja2


@cache
def environment() -> jinja2.Environment:
    """The environment over the built-in templates: strict about undefined names, no
    autoescaping (the output is Markdown, escaped by the templates where values come from the
    register)."""
    folder = files("iotpolicy.templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    """Render the built-in ``template`` with ``context``."""
    return environment().get_template(template).render(**context)
