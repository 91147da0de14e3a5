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
import os
import re
import string
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment
from jinja2.utils import _PassArg

from iotpolicy.errors import RefusedError
from iotpolicy.fsio import OutsideRegister, in_register
from iotpolicy.inputs import InputRefused, read_bounded
from iotpolicy.reports.markdown import contact, finalize, md, mermaid, mermaid_id
from iotpolicy.wording import plural

MAX_OUTPUT_BYTES = 5 * 1024 * 1024
"""Largest report (UTF-8 bytes) a register's own template may produce."""
MAX_TEMPLATE_BYTES = 1024 * 1024
"""Largest template file read from a register."""
MAX_BUILT_BYTES = 256 * 1024 * 1024
"""Most a register's template may build in all while one report renders (values returned by
operators, calls and filters, and text written, also into buffers)."""
MAX_RENDER_SECONDS = 60.0
"""Longest a register's template may take to render one report."""
MAX_NUMBER_BITS = 4096
"""Largest number (in bits) a register's template may compute."""
MAX_WRAP_BYTES = 64 * 1024
"""Longest text ``wordwrap`` takes in a register's template (Python's wrapping is quadratic in
the length of a word)."""
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


def override_folder(root: Path) -> Path | None:
    """The ``templates/`` folder of the register at ``root``, None when it has none;
    TemplateRefused when a symbolic link takes it out of the register."""
    try:
        folder = in_register(root, OVERRIDE_FOLDER)
    except OutsideRegister as exc:
        raise TemplateRefused(f"{exc.what}; not used") from None
    return folder if folder.is_dir() else None


class RegisterLoader(jinja2.BaseLoader):
    """Templates from the ``templates/`` folder of the register at ``root``: regular UTF-8 files
    inside the register (no link out of it, no ``..``), at most :data:`MAX_TEMPLATE_BYTES`
    each."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        parts = template.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise jinja2.TemplateNotFound(template)
        name = f"{OVERRIDE_FOLDER}/{template}"
        try:
            path = in_register(self.root, name)
        except OutsideRegister as exc:
            raise TemplateRefused(f"{exc.what}; not used") from None
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        try:
            text = read_bounded(path, MAX_TEMPLATE_BYTES).decode("utf-8")
        except InputRefused as exc:
            raise TemplateRefused(f"{name}: {exc}") from None
        except UnicodeDecodeError:
            raise TemplateRefused(f"{name}: not UTF-8 text") from None
        return text, name, lambda: False


_TOO_LARGE = f"value too large (over {MAX_OUTPUT_BYTES // 2**20} MiB) for a report template"
_TOO_BIG = f"number too large (over {MAX_NUMBER_BITS:,} bits) for a report template"


class RenderLimit(Exception):
    """A register's template went past one of the sandbox's limits (the message says which)."""


class ReportSandbox(SandboxedEnvironment):
    """Jinja's sandbox (no attribute starting with ``_``, no unsafe method, bounded ``range``)
    with bounds on what a template may build, each checked *before* the work is done:

    - no single value above :data:`MAX_OUTPUT_BYTES` (the output cap): operators (``*``,
      ``**``, ``+``, ``%``, ``~``), calls and filters are checked on their arguments (widths and
      counts, the printed size of lists, format strings) and on their result;
    - numbers of at most :data:`MAX_NUMBER_BITS` bits;
    - at most :data:`MAX_BUILT_BYTES` built in all while one report renders (every value an
      operator, call or filter returns, and every piece of text written, into the report or into
      a macro's, ``{% set %}`` block's or ``{% filter %}`` block's buffer);
    - at most :data:`MAX_RENDER_SECONDS` of rendering, checked at every loop step, call, filter,
      operator and output.

    ``lipsum`` and ``urlize`` are not offered (the reports are Markdown, and urlize's regular
    expressions are slow on long words). The sandbox's promise stays what Jinja's is: no code
    execution and no access to Python's internals; these bounds keep a template from taking the
    machine's memory or time."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_generator_class = _BoundedCodeGenerator
        self._deadline = float("inf")
        self._built = 0

    def start_render(self) -> None:
        """Start the clock and the count of built bytes for one report."""
        self._deadline = time.monotonic() + MAX_RENDER_SECONDS
        self._built = 0

    def tick(self) -> None:
        """Stop a render that has run out of time."""
        if time.monotonic() > self._deadline:
            raise RenderLimit(f"took longer than {MAX_RENDER_SECONDS:g} s to render")

    def made(self, value: Any) -> Any:
        """``value`` (just built by the template), counted against :data:`MAX_BUILT_BYTES` and
        refused above the size of one value."""
        self.tick()
        self._built += 16 + _cost(value)
        if self._built > MAX_BUILT_BYTES:
            limit = MAX_BUILT_BYTES // (1024 * 1024)
            raise RenderLimit(f"built more than {limit} MiB of values while rendering")
        if isinstance(value, str | list | tuple | dict) and len(value) > MAX_OUTPUT_BYTES:
            raise SecurityError(_TOO_LARGE)
        return value

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """``left operator right``, refusing huge powers, products, repetitions, concatenations
        and format widths before they are computed."""
        self.tick()
        numbers = all(isinstance(x, int) and not isinstance(x, bool) for x in (left, right))
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large for a report template")
        if numbers and operator == "**" and abs(left).bit_length() * abs(right) > MAX_NUMBER_BITS:
            raise SecurityError(_TOO_BIG)
        if numbers and operator == "*" and left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
            raise SecurityError(_TOO_BIG)
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_OUTPUT_BYTES:
                    raise SecurityError("repetition too large for a report template")
        sequences = all(isinstance(side, str | list | tuple) for side in (left, right))
        if operator == "+" and sequences and len(left) + len(right) > MAX_OUTPUT_BYTES:
            raise SecurityError(_TOO_LARGE)
        if operator == "%" and isinstance(left, str):
            _check_printf(left, right if isinstance(right, tuple | dict) else (right,))
        return self.made(super().call_binop(context, operator, left, right))

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj`` as the sandbox does, checking its arguments and result."""
        self.tick()
        _bounded_arguments(args, kwargs)
        _check_method(obj, args, kwargs)
        return self.made(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """The sandbox's ``str.format``/``format_map``, refusing a field width or precision
        above the output cap, nested (computed) widths and arguments too large to print."""
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template: str = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            _check_format(template, args, kwargs)
            return wrapper(*args, **kwargs)

        return bounded

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``, refused when the parts together are too large."""
        self.tick()
        _check_printed(parts)
        return cast(str, self.made("".join(str(part) for part in parts)))

    def write(self, text: str) -> str:
        """A piece of the output (into the report, or a macro's or block's buffer), counted."""
        return cast(str, self.made(text))

    def iterate(self, iterable: Any) -> Iterator[Any]:
        """A ``{% for %}`` loop's items, the clock checked at each."""
        for item in iterable:
            self.tick()
            yield item


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, routing what the sandbox hooks cannot see through
    :class:`ReportSandbox`: ``~`` (:meth:`ReportSandbox.concat`), every write of output
    (:meth:`ReportSandbox.write`) and every loop (:meth:`ReportSandbox.iterate`)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        looped = nodes.EnvironmentAttribute("iterate", lineno=node.lineno)
        if not (isinstance(node.iter, nodes.Call) and node.iter.node == looped):
            node.iter = nodes.Call(looped, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.write({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.write(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")


def _cost(value: Any) -> int:
    """Bytes a new value takes, roughly: its length for text, 8 per item of a list or mapping
    (the items themselves were counted when they were made)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple | dict | set | frozenset):
        return 8 * len(value)
    if isinstance(value, int):
        return value.bit_length() // 8
    return 0


def _printed_size(value: Any, limit: int = MAX_OUTPUT_BYTES) -> int:
    """About how long ``str(value)`` (or a report printing it) is, counted only up to a little
    past ``limit``: a list printed a thousand times over holds no memory until it is printed."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            stack.extend(item)
        else:
            total += 8
    return total


def _check_printed(values: Iterable[Any], extra: int = 0) -> None:
    """Refuse values that together (with ``extra`` characters) print to more than the output
    cap."""
    total = extra
    for value in values:
        total += _printed_size(value, MAX_OUTPUT_BYTES - total)
        if total > MAX_OUTPUT_BYTES:
            raise SecurityError(_TOO_LARGE)


def _bounded_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse a number above the output cap as an argument (a width, a count), and a list or
    mapping that would print larger than it."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_BYTES:
            raise SecurityError("argument too large for a report template")
        if isinstance(value, list | tuple | dict | set | frozenset):
            _check_printed((value,))


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


def _check_printf(template: str, args: tuple[Any, ...] | Mapping[str, Any]) -> None:
    """Refuse ``template % args`` when a width or precision, or what it would print, is above
    the output cap (``'%2000000000s'``)."""
    specs = _PRINTF.findall(template)
    for width, precision in specs:
        for number in (width, precision):
            if number.isdigit() and int(number) > MAX_OUTPUT_BYTES:
                raise SecurityError("format width too large for a report template")
    values = list(args.values()) if isinstance(args, Mapping) else list(args)
    _bounded_arguments(values, {})
    largest = max((_printed_size(v) for v in values), default=0)
    if len(template) + len(specs) * largest > MAX_OUTPUT_BYTES:
        raise SecurityError(_TOO_LARGE)


def _check_format(template: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse ``template.format(...)`` with a width above the output cap, a width computed from
    an argument (``{:{}}``), or a result above the output cap."""
    fields = 0
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is None:
            continue
        fields += 1
        if spec and "{" in spec:
            raise SecurityError("computed format widths are not allowed in a report template")
        if any(int(n) > MAX_OUTPUT_BYTES for n in re.findall(r"\d+", spec or "")):
            raise SecurityError("format width too large for a report template")
    values = [*args, *kwargs.values()]
    _bounded_arguments(values, {})
    largest = max((_printed_size(v) for v in values), default=0)
    if len(template) + fields * largest > MAX_OUTPUT_BYTES:
        raise SecurityError(_TOO_LARGE)


def _check_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse the text methods whose result can be far larger than their arguments, before
    they run: ``join``, ``replace``, ``expandtabs`` and ``translate``."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(obj, "__name__", "")
    size = len(owner)
    if name == "join" and args:
        items = args[0] if isinstance(args[0], list | tuple) else ()
        size = _printed_size(list(items)) + size * max(len(items) - 1, 0)
    elif name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        size += (owner.count(old) if old else size + 1) * max(len(new) - len(old), 0)
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        size += owner.count("\t") * (tab if isinstance(tab, int) else 8)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        size *= max(longest, 1)
    if size > MAX_OUTPUT_BYTES:
        raise SecurityError(_TOO_LARGE)


def _lines(text: Any) -> int:
    return str(text).count("\n") + 1


def _join_args(env: jinja2.Environment, value: Any, d: Any = "", attribute: Any = None) -> Any:
    items = list(value)
    if attribute is not None:
        items = [make_attrgetter(env, attribute)(item) for item in items]
    _check_printed(items, extra=len(str(d)) * max(len(items) - 1, 0))
    return (items, d)


def _sum_args(env: jinja2.Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    items = list(iterable)
    if attribute is not None:
        items = [make_attrgetter(env, attribute)(item) for item in items]
    if any(isinstance(item, str | list | tuple) for item in items):
        total = sum(len(i) for i in items if isinstance(i, str | list | tuple))
        if total + (len(start) if isinstance(start, str | list | tuple) else 0) > MAX_OUTPUT_BYTES:
            raise SecurityError(_TOO_LARGE)
    return (items, None, start)


def _size_checks(name: str, values: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse the filters whose result can be far larger than their input (``replace``,
    ``indent``, ``wordwrap``, ``format``, ``tojson``) and the counts of ``batch`` and ``slice``,
    before they run."""

    def arg(index: int, key: str, default: Any) -> Any:
        return values[index] if len(values) > index else kwargs.get(key, default)

    text = str(values[0]) if values else ""
    size = len(text)
    if name == "replace":
        old, new, count = str(arg(1, "old", "")), str(arg(2, "new", "")), arg(3, "count", None)
        times = text.count(old) if old else size + 1
        if isinstance(count, int) and count >= 0:
            times = min(times, count)
        size += times * max(len(new) - len(old), 0)
    elif name == "indent":
        width = arg(1, "width", 4)
        size += _lines(text) * (len(width) if isinstance(width, str) else int(width or 0))
    elif name == "wordwrap":
        if size > MAX_WRAP_BYTES:
            limit = MAX_WRAP_BYTES // 1024
            raise SecurityError(f"wordwrap of more than {limit} KiB refused in a report template")
        width = max(int(arg(1, "width", 79) or 1), 1)
        wrapstring = arg(3, "wrapstring", None)
        size += (size // width + _lines(text)) * len(str(wrapstring or "\n"))
    elif name == "format":
        _check_printf(text, kwargs if kwargs else tuple(values[1:]))
    elif name == "tojson":
        indent = arg(1, "indent", None)
        if isinstance(indent, int) and indent > 64:
            raise SecurityError("tojson indent too large for a report template")
        size = _printed_size(values[0] if values else None) * (1 + int(indent or 0))
    elif name in ("batch", "slice"):
        count = arg(1, "linecount" if name == "batch" else "slices", 1)
        if isinstance(count, int) and count > MAX_RANGE:
            raise SecurityError(f"{name} count too large for a report template")
    if size > MAX_OUTPUT_BYTES:
        raise SecurityError(_TOO_LARGE)


_MATERIALISED: dict[str, Callable[..., Any]] = {"join": _join_args, "sum": _sum_args}
"""Filters whose input is made a list first, so that its size can be checked."""


def _bounded(env: ReportSandbox, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter ``function``, checked by ``env`` before it runs (its arguments, and the
    result it would make) and after (the result made)."""
    passed = _PassArg.from_obj(function) is not None

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        env.tick()
        head, values = args[:passed], args[passed:]
        if name in _MATERIALISED and values:
            values = _MATERIALISED[name](env, *values, **kwargs)
            kwargs = {}
        _bounded_arguments(values[1:], kwargs)
        if values and isinstance(values[0], list | tuple | dict | set | frozenset):
            _check_printed(values[:1])
        _size_checks(name, tuple(values), kwargs)
        return env.made(function(*head, *values, **kwargs))

    return bounded


def sandbox(root: Path) -> ReportSandbox:
    """The sandboxed environment over the ``templates/`` folder of the register at ``root``,
    falling back to the built-in templates for the names it does not override."""
    options = {**_REPORT_OPTIONS, "finalize": _bounded_finalize}
    env = ReportSandbox(
        loader=jinja2.ChoiceLoader([RegisterLoader(root), _builtin_loader()]), **options
    )
    env.filters.update(FILTERS)
    env.filters.pop("urlize", None)
    env.filters = {name: _bounded(env, name, function) for name, function in env.filters.items()}
    env.globals.pop("lipsum", None)
    return env


def _bounded_finalize(value: Any) -> str:
    """:func:`finalize`, refusing a list that would print larger than the output cap."""
    if isinstance(value, list | tuple | dict | set | frozenset):
        _check_printed((value,))
    return finalize(value)


def overrides(root: Path) -> list[str]:
    """Template names the ``templates/`` folder of the register at ``root`` holds
    (``/``-separated, sorted; links to folders are not followed)."""
    folder = override_folder(root)
    if folder is None:
        return []
    found = []
    for top, _folders, names in os.walk(folder):
        for name in names:
            path = Path(top, name)
            if name.endswith(".j2") and path.is_file():
                found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def render_report(
    template: str, context: Mapping[str, Any], register_root: Path | None = None
) -> str:
    """Render the report ``template`` with ``context``.

    When the ``templates/`` folder of the register at ``register_root`` overrides this template
    or any partial, it renders in the sandbox, capped at :data:`MAX_OUTPUT_BYTES`; any failure
    there is a :class:`TemplateRefused` naming the template file and line. Otherwise the
    built-in template renders normally.
    """
    names = overrides(register_root) if register_root is not None else []
    if register_root is None or not (
        template in names or any(name.startswith(PARTIALS) for name in names)
    ):
        return report_environment().get_template(template).render(context)
    try:
        env = sandbox(register_root)
        env.start_render()
        return _capped(env.get_template(template), context)
    except TemplateRefused:
        raise
    except RenderLimit as exc:
        raise TemplateRefused(f"{_where(exc, template)}: {exc}; refused") from None
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
