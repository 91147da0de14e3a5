"""CSAF 2.0 advisories: read a document into the products it affects, in the register's terms.

No I/O: :func:`parse_csaf` takes the bytes of a document and returns a :class:`CsafAdvisory`.
The product tree is walked (``vendor`` / ``product_family`` / ``product_name`` /
``product_version`` / ``product_version_range`` branches, ``full_product_names`` and
``relationships``), and each vulnerability's ``product_status`` says which products are affected.
Version statements become the register's syntax (``<``, ``<=``, ``==``, ``>=``, ``>`` joined by
commas; ``*``), see :func:`iotpolicy.grammar.vendor_ranges.translate_range`.

Choices where CSAF leaves room (documented in the README):

- ``known_affected``: a range is taken as it is, an exact ``product_version`` V gives ``==V``, a
  product without any version gives ``*``; ``first_affected`` V gives ``>=V``, ``last_affected`` V
  ``<=V`` (combined into one range for the same product, with the lowest fixed version above them).
- ``fixed`` / ``first_fixed``: a product whose only statement in a vulnerability is "fixed in
  version X" is taken as affected below X (``<X``; with several fixed versions, below the highest,
  the conservative choice). When the same product also has an affected statement, the fixed
  version adds nothing (CISA writes ``<=8.1.1.3`` affected and ``8.2`` fixed).
- ``known_not_affected``, ``recommended`` and ``under_investigation`` never give an affected entry.
- A version statement that cannot be read, or names no version (a model name in
  ``product_version``), is recorded as ``*`` (every version: over-reporting is safer than missing
  a vulnerable device) with a warning naming the text; it never stops the import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from iotpolicy.errors import UsageError
from iotpolicy.grammar.escaping import visible_strings
from iotpolicy.grammar.names import slugify
from iotpolicy.grammar.vendor_ranges import RangeError, translate_range
from iotpolicy.grammar.versions import Version

MAX_CSAF_BYTES = 32 * 1024 * 1024
"""Documents above this size are refused unread (large vendor VEX files stay well below)."""
MAX_BRANCH_DEPTH = 30
"""Deepest branch nesting followed in a product tree."""
CSAF_VERSIONS = frozenset({"2.0", "2.1"})
"""Accepted ``document.csaf_version`` values (2.1 keeps the 2.0 structure used here)."""

AFFECTED_STATUSES = ("known_affected", "first_affected", "last_affected")
FIXED_STATUSES = ("fixed", "first_fixed")
_DATE_PREFIX = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[Tt ].*)?$")
_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$", re.IGNORECASE)


class CsafError(UsageError):
    """The file is not a usable CSAF 2.0 document."""


@dataclass(frozen=True, slots=True)
class Product:
    """One product of the product tree, with everything that identifies it."""

    product_id: str
    """The document's product id (``CSAFPID-0001``, or CISA's bare ``1``)."""
    name: str
    """The full product name."""
    vendor: str | None
    """The ``vendor`` branch above it (or the CPE's vendor, or the publishing vendor)."""
    family: str | None
    """The ``product_family`` branch above it."""
    model: str
    """The ``product_name`` branch above it; the full name when there is none."""
    version: str | None = None
    """A ``product_version`` branch: one exact version."""
    version_range: str | None = None
    """A ``product_version_range`` branch, as written."""
    model_numbers: tuple[str, ...] = ()
    """``product_identification_helper.model_numbers`` (may hold ``*``/``?`` wildcards)."""
    serial_numbers: tuple[str, ...] = ()
    """``product_identification_helper.serial_numbers``."""
    cpes: tuple[str, ...] = ()
    """``product_identification_helper.cpe``."""
    other_models: tuple[str, ...] = ()
    """For a product built by a relationship: the model it is installed on or part of."""


@dataclass(frozen=True, slots=True)
class AffectedProduct:
    """A product an advisory affects, with the versions in the register's range syntax."""

    product: Product
    versions: str
    """One register range (a vers union of several intervals gives several entries)."""
    cves: tuple[str, ...]
    """The vulnerabilities (CVE ids, or titles without one) that affect it in this range."""
    statuses: tuple[str, ...]
    """The product_status lists that put it here (known_affected, fixed ...)."""


@dataclass(frozen=True, slots=True)
class CsafAdvisory:
    """What the register needs from one CSAF document."""

    tracking_id: str
    """``document.tracking.id`` as written (``ICSA-24-289-02``)."""
    id: str
    """The register id: the tracking id as a slug (``icsa-24-289-02``)."""
    title: str
    category: str
    """``document.category`` (``csaf_security_advisory``, ``csaf_vex`` ...)."""
    publisher: str
    published_on: date | None
    """``tracking.initial_release_date`` (its date as written, the time dropped)."""
    revised_on: date | None
    """``tracking.current_release_date``."""
    revision: str
    """``tracking.version``: compared as a version to tell a newer revision."""
    tracking_status: str
    """``tracking.status``: draft, interim or final."""
    cves: tuple[str, ...]
    """Every CVE id of the document, sorted."""
    reference: str | None
    """The document's own URL (the ``self`` reference), when it gives one."""
    products: tuple[Product, ...]
    """Every product of the tree, by product id."""
    affected: tuple[AffectedProduct, ...]
    """The affected products, sorted by vendor, model and range."""
    warnings: tuple[str, ...] = field(default=())
    """Things to review by hand: ranges not understood, unknown product ids."""
    cvss: float | None = None
    """The highest CVSS v3.x base score of the document (v2 when it gives no v3)."""

    @property
    def vendors(self) -> tuple[str, ...]:
        """The vendors of the affected products, as the document names them, sorted."""
        return tuple(sorted({a.product.vendor for a in self.affected if a.product.vendor}))

    def is_newer_than(self, revision: str | None, revised_on: date | None) -> bool:
        """True when this document is a later revision than one recorded with ``revision`` and
        ``revised_on`` (either may be unknown): a later release date, or the same date and a
        higher version number."""
        if revised_on is not None and self.revised_on is not None and self.revised_on != revised_on:
            return self.revised_on > revised_on
        if revision is None:
            return True
        return Version(self.revision) > Version(revision)


def parse_csaf(raw: bytes, source: str = "document") -> CsafAdvisory:
    """Parse one CSAF document. Raises CsafError, naming ``source``, when it is not CSAF 2.0."""
    if len(raw) > MAX_CSAF_BYTES:
        raise CsafError(f"{source}: larger than {MAX_CSAF_BYTES // (1024 * 1024)} MiB; not read")
    try:
        # Control characters made visible (``\x1b``) in every text, so none reaches the register.
        data = visible_strings(json.loads(raw.decode("utf-8-sig")))
    except UnicodeDecodeError:
        raise CsafError(f"{source}: not a CSAF document (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise CsafError(
            f"{source}: not a CSAF document (invalid JSON at line {exc.lineno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise CsafError(f"{source}: not a CSAF document (JSON nested too deeply)") from None
    return _Reader(source).read(data)


class _Reader:
    """One document's walk; collects warnings on the way."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []

    def fail(self, what: str) -> CsafError:
        return CsafError(f"{self.source}: not a CSAF 2.0 document ({what})")

    def read(self, data: Any) -> CsafAdvisory:
        document = _mapping(data.get("document")) if isinstance(data, dict) else None
        if document is None:
            raise self.fail("no 'document' object at the top")
        version = document.get("csaf_version")
        if version not in CSAF_VERSIONS:
            raise self.fail(
                "document.csaf_version is missing"
                if version is None
                else "document.csaf_version is not 2.0"
            )
        tracking = _mapping(document.get("tracking")) or {}
        missing = [
            name
            for name, value in (
                ("document.category", document.get("category")),
                ("document.title", document.get("title")),
                ("document.tracking.id", tracking.get("id")),
                ("document.tracking.version", tracking.get("version")),
                ("document.tracking.current_release_date", tracking.get("current_release_date")),
                ("document.tracking.initial_release_date", tracking.get("initial_release_date")),
            )
            if not isinstance(value, str) or not value.strip()
        ]
        if missing:
            raise self.fail(
                ", ".join(missing) + (" is" if len(missing) == 1 else " are") + " missing"
            )
        publisher = _mapping(document.get("publisher")) or {}
        products = self.products(data.get("product_tree"), publisher)
        vulnerabilities = [v for v in _list(data.get("vulnerabilities")) if isinstance(v, dict)]
        affected = self.affected(vulnerabilities, products)
        cves = sorted({v["cve"].strip().upper() for v in vulnerabilities if _is_cve(v.get("cve"))})
        tracking_id = tracking["id"].strip()
        return CsafAdvisory(
            tracking_id=tracking_id,
            id=slugify(tracking_id, "advisory"),
            title=" ".join(document["title"].split()),
            category=document["category"].strip(),
            publisher=_text(publisher.get("name")) or "",
            published_on=written_date(tracking.get("initial_release_date")),
            revised_on=written_date(tracking.get("current_release_date")),
            revision=tracking["version"].strip(),
            tracking_status=_text(tracking.get("status")) or "",
            cves=tuple(cves),
            reference=_self_reference(document, tracking_id),
            products=tuple(sorted(products.values(), key=lambda p: p.product_id)),
            affected=tuple(affected),
            warnings=tuple(dict.fromkeys(self.warnings)),
            cvss=_highest_score(vulnerabilities),
        )

    # -- the product tree ------------------------------------------------------------------------

    def products(self, tree: Any, publisher: Mapping[str, Any]) -> dict[str, Product]:
        """Every product of the tree by product id."""
        tree = _mapping(tree) or {}
        found: dict[str, Product] = {}
        fallback_vendor = (
            _text(publisher.get("name")) if publisher.get("category") == "vendor" else None
        )
        for product in self._walk(_list(tree.get("branches")), {}, 0, fallback_vendor):
            found.setdefault(product.product_id, product)
        for item in _list(tree.get("full_product_names")):
            named = _product(item, {}, fallback_vendor)
            if named is not None:
                found.setdefault(named.product_id, named)
        vendors = {p.vendor for p in found.values() if p.vendor}
        only_vendor = next(iter(vendors)) if len(vendors) == 1 else fallback_vendor
        for item in _list(tree.get("relationships")):
            related = _related(item, found, only_vendor)
            if related is not None:
                found.setdefault(related.product_id, related)
        return found

    def _walk(
        self, branches: list[Any], context: dict[str, str], depth: int, vendor: str | None
    ) -> Iterator[Product]:
        if depth > MAX_BRANCH_DEPTH:
            self.warnings.append(f"product tree nested deeper than {MAX_BRANCH_DEPTH} levels")
            return
        for branch in branches:
            if not isinstance(branch, dict):
                continue
            category, name = _text(branch.get("category")), _text(branch.get("name"))
            inner = dict(context)
            if category and name:
                inner[category] = name
            if isinstance(branch.get("product"), dict):
                product = _product(branch["product"], inner, vendor)
                if product is not None:
                    yield product
            yield from self._walk(_list(branch.get("branches")), inner, depth + 1, vendor)

    # -- product status --------------------------------------------------------------------------

    def affected(
        self, vulnerabilities: list[dict[str, Any]], products: dict[str, Product]
    ) -> list[AffectedProduct]:
        """The affected products of every vulnerability, merged by product and range."""
        merged: dict[tuple[str, str], tuple[Product, set[str], set[str]]] = {}
        for index, vulnerability in enumerate(vulnerabilities, 1):
            label = (
                vulnerability["cve"].strip().upper()
                if _is_cve(vulnerability.get("cve"))
                else _text(vulnerability.get("title")) or f"vulnerability {index}"
            )
            status = _mapping(vulnerability.get("product_status")) or {}
            for product, versions, statuses in self._statuses(status, products, label):
                key = (product.product_id, versions)
                entry = merged.setdefault(key, (product, set(), set()))
                entry[1].add(label)
                entry[2].update(statuses)
        result = [
            AffectedProduct(product, versions, tuple(sorted(cves)), tuple(sorted(statuses)))
            for (_, versions), (product, cves, statuses) in merged.items()
        ]
        result.sort(
            key=lambda a: (
                (a.product.vendor or "").lower(),
                a.product.model.lower(),
                a.versions,
                a.product.product_id,
            )
        )
        return result

    def _statuses(
        self, status: Mapping[str, Any], products: dict[str, Product], label: str
    ) -> Iterator[tuple[Product, str, tuple[str, ...]]]:
        """(product, range, statuses) for one vulnerability's product_status."""
        per_product: dict[str, dict[str, list[Product]]] = {}
        for name in (*AFFECTED_STATUSES, *FIXED_STATUSES):
            for pid in _list(status.get(name)):
                product = products.get(str(pid))
                if product is None:
                    self.warnings.append(f"{label}: product id {pid!r} is not in the product tree")
                    continue
                per_product.setdefault(_product_key(product), {}).setdefault(name, []).append(
                    product
                )
        for statements in per_product.values():
            yield from self._product_ranges(statements, label)

    def _product_ranges(
        self, statements: dict[str, list[Product]], label: str
    ) -> Iterator[tuple[Product, str, tuple[str, ...]]]:
        """The ranges one product (all its versions) is affected in, by one vulnerability."""
        lower: list[tuple[Product, str]] = []  # first_affected exact versions
        upper: list[tuple[Product, str]] = []  # last_affected exact versions
        direct = False
        for name in AFFECTED_STATUSES:
            for product in statements.get(name, []):
                exact = _exact(product) if name != "known_affected" else None
                if exact is not None:
                    bounds = lower if name == "first_affected" else upper
                    bounds.extend((product, version) for version in exact)
                    continue
                direct = True
                for versions in self.ranges(product):
                    yield product, versions, (name,)
        fixed: list[tuple[Product, str]] = []
        unread: list[Product] = []  # fixed in a version that cannot be read
        for name in FIXED_STATUSES:
            for product in statements.get(name, []):
                exact = _exact(product)
                if exact is not None:
                    fixed.extend((product, version) for version in exact)
                elif product.version is not None or product.version_range is not None:
                    self.ranges(product)  # the warning
                    unread.append(product)
        if direct:
            return
        if lower or upper:
            terms, statuses = [], []
            low = min(lower, key=lambda p: Version(p[1]))[1] if lower else None
            high = max(upper, key=lambda p: Version(p[1]))[1] if upper else None
            product = (lower or upper)[0][0]
            if low is not None and high is not None and Version(high) < Version(low):
                self.warnings.append(
                    f"{label}: {product.model}: last affected version {high!r} is below the "
                    f"first {low!r}; recorded as every version (*): review it"
                )
                yield product, "*", ("first_affected", "last_affected")
                return
            if low is not None:
                terms.append(f">={low}")
                statuses.append("first_affected")
            if high is not None:
                terms.append(f"<={high}")
                statuses.append("last_affected")
            elif fixed and not unread and low is not None:
                above = [p for p in fixed if Version(p[1]) > Version(low)]
                if above:
                    terms.append(f"<{min(above, key=lambda p: Version(p[1]))[1]}")
                    statuses.append("fixed")
            yield product, ",".join(terms), tuple(statuses)
        elif unread:
            yield unread[0], "*", ("fixed",)
        elif fixed:
            product, highest = max(fixed, key=lambda p: Version(p[1]))
            yield product, f"<{highest}", ("fixed",)

    def ranges(self, product: Product) -> tuple[str, ...]:
        """The register ranges of a product's own version statement; every version (``*``), with
        a warning naming the text, when it cannot be read."""
        text = product.version_range if product.version_range is not None else product.version
        if text is None:
            return ("*",)
        try:
            return translate_range(text)
        except RangeError as exc:
            what = "range" if product.version_range is not None else "version"
            shown = text if len(text) <= 100 else text[:99] + "\u2026"
            self.warnings.append(  # about the product, whichever vulnerability names it
                f"{product.model}: {what} {shown!r} not understood ({exc}); "
                "recorded as every version (*): review it"
            )
            return ("*",)


def _exact(product: Product) -> tuple[str, ...] | None:
    """The exact versions a ``product_version`` states (``V1.1, V1.2`` gives two); None when the
    product has a range instead, or no readable version."""
    if product.version_range is not None or product.version is None:
        return None
    try:
        ranges = translate_range(product.version)
    except RangeError:
        return None
    if all(r.startswith("==") for r in ranges):
        return tuple(r[2:] for r in ranges)
    return None


# -- small readers ---------------------------------------------------------------------------------


def _product(item: Any, context: Mapping[str, str], vendor: str | None) -> Product | None:
    """A full_product_name object (with its branch context) as a Product."""
    if not isinstance(item, dict):
        return None
    pid, name = _text(item.get("product_id")), _text(item.get("name"))
    if not pid or not name:
        return None
    helper = _mapping(item.get("product_identification_helper")) or {}
    cpe = _text(helper.get("cpe"))
    cpes = (cpe,) if cpe else ()
    return Product(
        product_id=pid,
        name=name,
        vendor=context.get("vendor") or _cpe_part(cpe, 3) or vendor,
        family=context.get("product_family"),
        model=context.get("product_name") or name,
        version=context.get("product_version"),
        version_range=context.get("product_version_range"),
        model_numbers=_texts(helper.get("model_numbers")),
        serial_numbers=_texts(helper.get("serial_numbers")),
        cpes=cpes,
    )


def _related(item: Any, products: dict[str, Product], vendor: str | None) -> Product | None:
    """A relationship's product: the component (``product_reference``: its vendor, model and
    versions) on or in the platform (``relates_to_product_reference``: its identifiers count
    too, and its model is another name it may be registered under)."""
    if not isinstance(item, dict):
        return None
    component = products.get(str(item.get("product_reference")))
    platform = products.get(str(item.get("relates_to_product_reference")))
    own = _product(item.get("full_product_name"), {}, vendor)
    if own is None:
        return None
    if component is None:
        return own
    others = (platform.model,) if platform and platform.model != component.model else ()
    return Product(
        product_id=own.product_id,
        name=own.name,
        vendor=component.vendor or (platform.vendor if platform else None) or own.vendor,
        family=component.family,
        model=component.model,
        version=component.version,
        version_range=component.version_range,
        model_numbers=_union(component.model_numbers, platform.model_numbers if platform else ()),
        serial_numbers=_union(
            component.serial_numbers, platform.serial_numbers if platform else ()
        ),
        cpes=_union(component.cpes, platform.cpes if platform else (), own.cpes),
        other_models=others,
    )


def _product_key(product: Product) -> str:
    return f"{(product.vendor or '').strip().lower()}\x00{product.model.strip().lower()}"


def _union(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _cpe_part(cpe: str | None, index: int) -> str | None:
    """Component ``index`` of a CPE 2.3 formatted string (3 = vendor, 4 = product) or of a CPE
    2.2 URI (``cpe:/h:vendor:product``), unescaped, None when absent or a wildcard."""
    if not cpe:
        return None
    if cpe.lower().startswith("cpe:/"):
        parts = ["cpe", "2.2", *re.split(r"(?<!\\):", cpe[5:])]
    else:
        parts = re.split(r"(?<!\\):", cpe)
    if len(parts) <= index:
        return None
    value = parts[index].replace("\\", "").replace("_", " ").strip()
    return None if value in ("", "*", "-") else value


def cpe_vendor_product(cpe: str) -> tuple[str, str] | None:
    """(vendor, product) named by a CPE, spaces for underscores; None when either is missing."""
    vendor, product = _cpe_part(cpe, 3), _cpe_part(cpe, 4)
    return (vendor, product) if vendor and product else None


def _self_reference(document: Mapping[str, Any], tracking_id: str) -> str | None:
    """The document's own page: a ``self`` reference naming the tracking id, a web page rather
    than the JSON file when there are both; else the first ``self`` reference."""
    urls = [
        url
        for reference in _list(document.get("references"))
        if isinstance(reference, dict) and reference.get("category") == "self"
        for url in (_text(reference.get("url")),)
        if url
    ]
    naming = [url for url in urls if tracking_id.lower() in url.lower()]
    pages = [url for url in naming if not url.lower().endswith(".json")]
    best = pages or naming or urls
    return best[0] if best else None


def _highest_score(vulnerabilities: list[dict[str, Any]]) -> float | None:
    """The highest CVSS v3.x base score of the vulnerabilities' ``scores``; v2 when none."""
    found: dict[str, list[float]] = {"cvss_v3": [], "cvss_v2": []}
    for vulnerability in vulnerabilities:
        for score in _list(vulnerability.get("scores")):
            for name, values in found.items():
                base = (
                    (_mapping(score.get(name)) or {}).get("baseScore")
                    if isinstance(score, dict)
                    else None
                )
                if isinstance(base, int | float) and not isinstance(base, bool) and 0 <= base <= 10:
                    values.append(float(base))
    best = found["cvss_v3"] or found["cvss_v2"]
    return max(best) if best else None


def written_date(value: Any) -> date | None:
    """The calendar date as written at the start of a CSAF date-time (the time is dropped)."""
    match = _DATE_PREFIX.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _is_cve(value: Any) -> bool:
    return isinstance(value, str) and bool(_CVE.match(value.strip()))


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (_text(v) for v in _list(value)) if t))
