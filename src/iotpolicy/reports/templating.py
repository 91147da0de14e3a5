"""The Jinja environments: the built-in templates, and the sandbox for a register's own templates.

Built-in templates (``iotpolicy.templates``, shipped in the wheel) are the tool's code and run in a
normal environment. A register may carry ``templates/<name>.md.j2`` (same names as the built-in
ones, ``partials/`` included); those run in Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment`,
with StrictUndefined, under an output cap (:data:`MAX_OUTPUT_BYTES`) counted while the text is
produced. Both report environments escape every printed value (``finalize``, see
:mod:`iotpolicy.reports.markdown`).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from iotpolicy.errors import RefusedError
from iotpolicy.reports.markdown import contact, finalize, md, mermaid, mermaid_id
from iotpolicy.wording import plural

MAX_OUTPUT_BYTES = 5 * 1024 * 1024
"""Largest report (UTF-8 bytes) a register's own template may produce."""
MAX_TEMPLATE_BYTES = 1024 * 1024
"""Largest template file read from a register."""
OVERRIDE_FOLDER = "templates"
"""The register's folder of template overrides."""
PARTIALS = "partials/"
"""Prefix of the templates that other templates include (header, footer)."""

FILTERS: dict[str, Callable[..., Any]] = {
    "contact": contact,
    "md": md,
    "mermaid": mermaid,
    "mermaid_id": mermaid_id,
    "plural": plural,
}
"""Filters of the report environments: ``contact`` (an e-mail or web address as a link), ``md``
(escape for Markdown; every printed value gets it anyway), ``mermaid`` (a quoted Mermaid label's
text), ``mermaid_id`` (a hashed node id), ``plural`` (``{{ n | plural("warning") }}``:
``1 warning``, ``2 warnings``)."""


class TemplateRefused(RefusedError):
    """A register's template failed or was refused (sandbox, size cap, syntax, undefined name)."""


class OutputTooLarge(Exception):
    """A sandboxed template produced more than :data:`MAX_OUTPUT_BYTES`."""


def _builtin_loader() -> jinja2.BaseLoader:
    return jinja2.FileSystemLoader(str(files("iotpolicy.templates")))


@cache
def environment() -> jinja2.Environment:
    """The environment of the tool's own documents (the rule catalogue): strict about undefined
    names, no escaping (their text is the tool's, not the register's)."""
    return jinja2.Environment(
        loader=_builtin_loader(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    """Render the built-in ``template`` with ``context`` (no escaping; not for register data)."""
    return environment().get_template(template).render(**context)


_REPORT_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "finalize": finalize,
    "autoescape": False,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


@cache
def report_environment() -> jinja2.Environment:
    """The environment of the built-in report templates: StrictUndefined, every printed value
    escaped for Markdown."""
    env = jinja2.Environment(loader=_builtin_loader(), **_REPORT_OPTIONS)
    env.filters.update(FILTERS)
    return env


class RegisterLoader(jinja2.BaseLoader):
    """Templates from a register's ``templates/`` folder: regular UTF-8 files inside it (no link
    out of it, no ``..``), at most :data:`MAX_TEMPLATE_BYTES` each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        parts = template.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise jinja2.TemplateNotFound(template)
        path = self.folder.joinpath(*parts)
        name = f"{OVERRIDE_FOLDER}/{template}"
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        if not path.resolve().is_relative_to(self.folder.resolve()):
            raise TemplateRefused(f"{name}: symbolic link to a file outside the register; not used")
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateRefused(f"{name}: larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise TemplateRefused(f"{name}: not UTF-8 text") from None
        return text, name, lambda: False


class ReportSandbox(SandboxedEnvironment):
    """Jinja's sandbox (no attribute starting with ``_``, no unsafe method, bounded ``range``),
    refusing also the obvious ways to build a value larger than the output cap: ``*``, ``+``
    and ``**`` are checked before they compute, so is every numeric argument of a call or filter
    (``'x'.ljust(10**9)``, ``center(10**9)``), and a call's result after it. ``lipsum`` is not
    offered. This bounds runaway output, not every use of CPU or memory a template could make
    (string building with ``~`` in a loop, for one): the sandbox's promise is no code
    execution and no access to Python's internals."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """``left operator right``, refusing huge powers, repetitions and concatenations."""
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large for a report template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_OUTPUT_BYTES:
                    raise SecurityError("repetition too large for a report template")
        sequences = all(isinstance(side, str | list | tuple) for side in (left, right))
        if operator == "+" and sequences and len(left) + len(right) > MAX_OUTPUT_BYTES:
            raise SecurityError("value too large for a report template")
        return super().call_binop(context, operator, left, right)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj`` as the sandbox does, checking the size of its arguments and result."""
        _bounded_arguments(args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(result, str | list | tuple) and len(result) > MAX_OUTPUT_BYTES:
            raise SecurityError("value too large for a report template")
        return result


def _bounded_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a number above the output cap as an argument (a width, a count)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_BYTES:
            raise SecurityError("argument too large for a report template")


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a filter), refusing arguments above the output cap."""

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _bounded_arguments(args[1:], kwargs)
        return function(*args, **kwargs)

    return bounded


def sandbox(folder: Path) -> jinja2.Environment:
    """The sandboxed environment over the register's ``templates/`` folder, falling back to the
    built-in templates for the names it does not override."""
    env = ReportSandbox(
        loader=jinja2.ChoiceLoader([RegisterLoader(folder), _builtin_loader()]), **_REPORT_OPTIONS
    )
    env.filters.update(FILTERS)
    env.filters = {name: _bounded(function) for name, function in env.filters.items()}
    env.globals.pop("lipsum", None)
    return env


def overrides(folder: Path) -> list[str]:
    """Template names the register's ``templates/`` folder holds (``/``-separated, sorted)."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix() for path in folder.rglob("*.j2") if path.is_file()
    )


def render_report(
    template: str, context: Mapping[str, Any], register_templates: Path | None = None
) -> str:
    """Render the report ``template`` with ``context``.

    When ``register_templates`` (the register's ``templates/`` folder) overrides this template or
    any partial, it renders in the sandbox, capped at :data:`MAX_OUTPUT_BYTES`; any failure there
    is a :class:`TemplateRefused` naming the template file and line. Otherwise the built-in
    template renders normally.
    """
    names = overrides(register_templates) if register_templates is not None else []
    if register_templates is None or not (
        template in names or any(name.startswith(PARTIALS) for name in names)
    ):
        return report_environment().get_template(template).render(context)
    try:
        return _capped(sandbox(register_templates).get_template(template), context)
    except TemplateRefused:
        raise
    except OutputTooLarge:
        limit = MAX_OUTPUT_BYTES // (1024 * 1024)
        raise TemplateRefused(
            f"{_where(None, template)}: the report would be larger than {limit} MiB; refused"
        ) from None
    except SecurityError as exc:
        raise TemplateRefused(f"{_where(exc, template)}: not allowed in a sandbox: {exc}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateRefused(f"{_where(exc, template)}: no template {exc.name!r}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateRefused(f"{_where(exc, template)}: syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateRefused(f"{_where(exc, template)}: {exc.message or exc}") from None
    except Exception as exc:  # the template's own fault (1/0, a bad call): one line, not a trace
        raise TemplateRefused(f"{_where(exc, template)}: {type(exc).__name__}: {exc}") from None


def _capped(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The template's output, stopped as soon as it passes :data:`MAX_OUTPUT_BYTES`."""
    size, parts = 0, []
    stream = template.generate(context)
    try:
        for chunk in stream:
            size += len(chunk.encode("utf-8"))
            if size > MAX_OUTPUT_BYTES:
                raise OutputTooLarge
            parts.append(chunk)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return "".join(parts)


def _where(exc: BaseException | None, template: str) -> str:
    """``templates/<file>:<line>`` of the template frame an error came from, as far as known."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return f"{exc.filename or template}:{exc.lineno}"
    trace: types.TracebackType | None = exc.__traceback__ if exc is not None else None
    found = None
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            if not filename.startswith(f"{OVERRIDE_FOLDER}/"):  # a built-in template's path
                filename = f"built-in {Path(filename).name}"
            found = f"{filename}:{trace.tb_lineno}"
        trace = trace.tb_next
    return found or f"{OVERRIDE_FOLDER}/{template}"
