"""A register's template cannot take the machine's memory or time: each way one filter call,
operator or loop could build gigabytes is refused before the work is done, with one line.

Every attack runs the real CLI in a child process limited to 1 GiB of address space and a minute:
a bound that does not hold fails the test (a MemoryError, a kill, a timeout) instead of taking
the machine down.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.support.paths import REPO

AS_OF = "2026-11-25"
MEMORY = 1024 * 1024 * 1024
BIG = "'x' * 4000000"
"""A value just under the output cap (5 MiB)."""
LIST = f"[{BIG}] * 1000"
"""A list of a thousand references to it: small in memory, 4 GB when printed."""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_limited(
    args: list[str], code: str = "from iotpolicy.cli import main; main()", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``iotpolicy ARGS`` in a child process with 1 GiB of memory and ``timeout`` seconds."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limits,
        check=False,
    )


@pytest.fixture
def render(
    make_register: Callable[..., Path], tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(template: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
        root = make_register({"templates/site.md.j2": template})
        out = tmp_path / "out"
        args = ["report", "site", "--register", str(root), "--as-of", AS_OF, "-o", str(out)]
        done = run_limited(args, code) if code else run_limited(args)
        assert not out.exists(), "a refused report writes nothing"
        return done

    return run


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert lines[0].startswith("iotpolicy: templates/site.md.j2:"), lines[0]
    return lines[0]


ATTACKS = {
    "printf width in the format filter": "{{ '%2000000000s'|format('x') }}",
    "printf precision in the format filter": "{{ '%.2000000000f'|format(1.5) }}",
    "printf width through the % operator": "{{ '%2000000000s' % 'x' }}",
    "printf repeating a large value": "{{ ('%s' * 3000)|format(*([" + BIG + "] * 3000)) }}",
    "str.format width": "{{ '{:>2000000000}'.format('x') }}",
    "str.format computed width": "{{ '{:{}}'.format('x', '2000000000') }}",
    "str.format of a huge list": "{{ '{}'.format(" + LIST + ") }}",
    "join with a huge separator": "{{ range(100000)|join(" + BIG + ") }}",
    "join of a huge list": "{{ (" + LIST + ")|join }}",
    "join of huge attributes": (
        "{% set ns = namespace(v=" + BIG + ") %}{{ ([ns] * 1000)|join(attribute='v') }}"
    ),
    "str.join of a huge list": "{{ ''.join(" + LIST + ") }}",
    "printing a huge list": "{{ " + LIST + " }}",
    "string of a huge list": "{{ (" + LIST + ")|string }}",
    "tojson of a huge list": "{{ (" + LIST + ")|tojson }}",
    "tojson with a huge indent": "{{ range(1000)|list|tojson(indent=4000000) }}",
    "pprint of a huge list": "{{ (" + LIST + ")|pprint }}",
    "sum of huge lists": "{{ ([range(100000)|list] * 1000)|sum(start=[]) }}",
    "replace multiplying": "{{ (" + BIG + ")|replace('x', 'y' * 1000) }}",
    "str.replace multiplying": "{{ (" + BIG + ").replace('x', 'y' * 1000) }}",
    "str.expandtabs": "{{ ('\\t' * 4000000).expandtabs(1000) }}",
    "str.translate": "{{ ('x' * 4000000).translate({120: 'y' * 1000}) }}",
    "indent with a long string": "{{ ('x\\n' * 2000000)|indent('y' * 1000) }}",
    "indent with a wide width": "{{ ('x\\n' * 2000000)|indent(4000000) }}",
    "wordwrap with a long wrapstring": "{{ ('x ' * 30000)|wordwrap(1, wrapstring='y' * 5000) }}",
    "wordwrap of a long word": "{{ ('x' * 4000000)|wordwrap(1) }}",
    "range of a billion": "{{ range(10 ** 9)|list }}",
    "repetition of a billion": "{{ 'x' * 10 ** 9 }}",
    "doubling with ~": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}"
    ),
    "squaring a number": (
        "{% set ns = namespace(n=10) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
        "{% endfor %}{{ ns.n > 1 }}"
    ),
    "repeated powers": (
        "{% set ns = namespace(n=10) %}{% for i in range(30) %}{% set ns.n = ns.n ** 64 %}"
        "{% endfor %}{{ ns.n > 1 }}"
    ),
    "a macro's buffer": (
        "{% macro m() %}{% for i in range(100000) %}{{ " + BIG + " }}{% endfor %}{% endmacro %}"
        "{{ m()|length }}"
    ),
    "a filter block's buffer": (
        "{% filter upper %}{% for i in range(100000) %}{{ " + BIG + " }}{% endfor %}{% endfilter %}"
    ),
    "a set block's buffer": (
        "{% set x %}{% for i in range(100000) %}{{ " + BIG + " }}{% endfor %}{% endset %}"
        "{{ x|length }}"
    ),
    "constant text in a buffer": (
        "{% macro m() %}{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxx"
        "{% endfor %}{% endfor %}{% endmacro %}{{ m()|length }}"
    ),
    "many values kept": (
        "{% set ns = namespace(keep=[]) %}{% for i in range(100000) %}"
        "{% set _ = ns.keep.append((" + BIG + ")|upper) %}{% endfor %}{{ ns.keep|length }}"
    ),
    "mapping a filter over a huge list": "{{ (" + LIST + ")|map('upper')|list|length }}",
    "batch of a huge count": "{{ range(10)|batch(4000000, 'x')|list|length }}",
}


@pytest.mark.parametrize("template", list(ATTACKS.values()), ids=list(ATTACKS))
def test_no_template_takes_gigabytes(
    render: Callable[..., subprocess.CompletedProcess[str]], template: str
) -> None:
    started = time.monotonic()
    line = one_line(render(template))
    assert time.monotonic() - started < 50
    assert any(
        words in line
        for words in ("too large", "not allowed", "built more than", "larger than 5 MiB", "refused")
    ), line


@pytest.mark.parametrize(
    "template",
    [
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
        "{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    ],
    ids=["nested loops over a range", "nested loops over a text", "nested ranges"],
)
def test_rendering_time_is_limited(
    render: Callable[..., subprocess.CompletedProcess[str]], template: str
) -> None:
    code = (
        "import iotpolicy.reports.templating as t; t.MAX_RENDER_SECONDS = 2; "
        "from iotpolicy.cli import main; main()"
    )
    started = time.monotonic()
    line = one_line(render(template, code))
    assert line.endswith(": took longer than 2 s to render; refused"), line
    assert time.monotonic() - started < 30


def test_the_limits_are_the_documented_numbers() -> None:
    from iotpolicy.reports import templating

    assert templating.MAX_OUTPUT_BYTES == 5 * 1024 * 1024
    assert templating.MAX_BUILT_BYTES == 256 * 1024 * 1024
    assert templating.MAX_RENDER_SECONDS == 60
    security = (REPO / "SECURITY.md").read_text(encoding="utf-8")
    for text in ("5 MiB", "256 MiB", "60 s", "1 MiB", "64 KiB", "4,096 bits"):
        assert text in security, text


@pytest.mark.parametrize(
    "template",
    [
        "{{ range(100000)|join(',')|length }}",
        "{{ ('x' * 1000000)|replace('x', 'yy')|length }}",
        "{{ '%10s|%-8.3f'|format('a', 1.5) }} {{ '{:>12}'.format('b') }}",
        "{% for page in sites %}{{ page.site|upper }}: {{ page.devices|length }}\n{% endfor %}",
        "{{ ('a b ' * 1000)|wordwrap(20)|length }} {{ ('x\\ny' * 100)|indent(2)|length }}",
        "{{ [1, 2, 3]|sum }} {{ ([[1], [2]])|sum(start=[]) }} {{ 2 ** 64 }} {{ 10 * 10 }}",
        "{% set ns = namespace(s='') %}{% for i in range(1000) %}{% set ns.s = ns.s ~ i %}"
        "{% endfor %}{{ ns.s|length }}",
        "{{ range(3)|list|tojson(indent=2) }}",
    ],
)
def test_ordinary_templates_still_render(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path, template: str
) -> None:
    root = make_register({"templates/site.md.j2": template})
    out = tmp_path / "out"
    run = cli("report", "site", "--register", str(root), "--as-of", AS_OF, "-o", str(out))
    assert run.exit_code == 0, run.stderr
    assert (out / "site.md").read_text(encoding="utf-8").strip()
