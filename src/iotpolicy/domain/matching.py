"""Match registered devices to the products of an advisory: exact by model number, serial number,
CPE or model name; fuzzy by a similar name, with how sure the match is. No I/O.

Only exact matches count: they are what :func:`advisory_affects` writes as ``affects`` entries, so
they are what FW-002 sees. A fuzzy match is shown for a person to review, never written.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from iotpolicy.domain.affected import norm, split_part_numbers, wildcard_match
from iotpolicy.domain.csaf import AffectedProduct, Product, cpe_vendor_product
from iotpolicy.grammar.names import company_key, resolve_vendor
from iotpolicy.grammar.versions import in_range
from iotpolicy.models import Device
from iotpolicy.models.enums import Status

CLOSE = 0.9
"""Similarity (difflib ratio of the normalised names) from which two names with the same numbers
are a possible match whatever their letters (``AXIS P3245-LV`` and ``AXIS P3245-LVE``)."""
_WORDS = re.compile(r"[a-z0-9]+")
_NUMBERS = re.compile(r"[0-9]+")


class MatchMethod(enum.StrEnum):
    """How a device was matched to an advisory's product."""

    MODEL_NUMBER = "model number"
    SERIAL_NUMBER = "serial number"
    CPE = "CPE"
    NAME = "name and version"
    FUZZY = "similar name"


EXACT_METHODS = frozenset(
    {MatchMethod.MODEL_NUMBER, MatchMethod.SERIAL_NUMBER, MatchMethod.CPE, MatchMethod.NAME}
)


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    """A registered device that an advisory's product names."""

    device: str
    """Device id."""
    model: str
    """The device's model as registered."""
    firmware: str | None
    """The device's firmware version (None when unknown)."""
    product: str
    """The advisory's product model (``product_name``)."""
    versions: str
    """The affected range of that product."""
    method: MatchMethod
    certainty: float
    """1.0 for an exact match; the name similarity (0-1) for a fuzzy one."""
    affected: bool
    """True when the device's firmware lies inside ``versions``."""

    @property
    def exact(self) -> bool:
        """True for the matches that are written and feed FW-002."""
        return self.method in EXACT_METHODS

    def describe(self) -> str:
        """One line: device, how it matched, how sure, and whether its firmware is affected (a
        similar name only *could* be: a person decides)."""
        how = self.method.value + (
            "" if self.exact else f" ({round(self.certainty * 100)}%): review"
        )
        firmware = self.firmware or "unknown"
        if self.exact:
            state = "affected" if self.affected else "not affected"
        else:
            state = f"firmware {'inside' if self.affected else 'outside'} the range"
        return (
            f"{self.device} ({self.model}, firmware {firmware}): {self.product} "
            f"{self.versions} by {how}; {state}"
        )

    def to_dict(self) -> dict[str, object]:
        """The match as plain data."""
        return {
            "device": self.device,
            "model": self.model,
            "firmware": self.firmware,
            "product": self.product,
            "versions": self.versions,
            "method": self.method.value,
            "exact": self.exact,
            "certainty": round(self.certainty, 2),
            "affected": self.affected,
        }


def _cpe_names(product: Product) -> Iterable[tuple[str, str]]:
    for cpe in product.cpes:
        named = cpe_vendor_product(cpe)
        if named is not None:
            yield named


def product_identity(product: Product) -> tuple[str, tuple[str, ...]]:
    """The product's model name without a trailing order number, and its part numbers: those
    of the name's parenthesis (``CC712 (6GK1411-1AC00)``) and its CSAF model numbers."""
    model, parts = split_part_numbers(product.model)
    return model, tuple(dict.fromkeys((*parts, *product.model_numbers)))


def _exact_method(product: Product, device: Device, vendor_name: str) -> MatchMethod | None:
    model = device.model or ""
    name, numbers = product_identity(product)
    if any(wildcard_match(number, model) for number in product.model_numbers):
        return MatchMethod.MODEL_NUMBER
    if device.part_number and any(wildcard_match(n, device.part_number) for n in numbers):
        return MatchMethod.MODEL_NUMBER
    if device.serial and any(wildcard_match(s, device.serial) for s in product.serial_numbers):
        return MatchMethod.SERIAL_NUMBER
    if device.cpe and any(norm(cpe) == norm(device.cpe) for cpe in product.cpes):
        return MatchMethod.CPE
    for cpe_vendor, cpe_product in _cpe_names(product):
        vendor_ok = company_key(cpe_vendor) in (
            company_key(vendor_name),
            company_key(device.vendor or ""),
        )
        if vendor_ok and norm(cpe_product) == norm(model.replace("_", " ")):
            return MatchMethod.CPE
    names = {norm(product.model), norm(name), *(norm(m) for m in product.other_models)}
    if norm(model) in names:
        return MatchMethod.NAME
    return None


def _other_part(product: Product, device: Device) -> bool:
    """True when the device's part number and the product's differ: another product, however
    alike the names (``CPU 1511-1 PN (6ES7511-1AK00-0AB0)`` is not a 6ES7511-1AL03-0AB0)."""
    numbers = product_identity(product)[1]
    return bool(device.part_number and numbers)


@functools.lru_cache(maxsize=8192)
def _name_facts(name: str) -> tuple[str, frozenset[str], tuple[str, ...]]:
    """A name as compared: normalised, its words, its numbers."""
    return norm(name), frozenset(_WORDS.findall(name.lower())), tuple(_NUMBERS.findall(name))


@functools.lru_cache(maxsize=65536)
def _similar_names(model: str, name: str) -> float | None:
    """The similarity of two names when they are a possible match (see :func:`_similarity`),
    else None. Cached: advisories repeat product names, registers repeat models."""
    model_norm, mine, model_numbers = _name_facts(model)
    name_norm, theirs, name_numbers = _name_facts(name)
    smaller = min(mine, theirs, key=len)
    nested = (mine <= theirs or theirs <= mine) and any(c.isdigit() for w in smaller for c in w)
    matcher = difflib.SequenceMatcher(None, model_norm, name_norm)
    if not nested and (model_numbers != name_numbers or matcher.real_quick_ratio() < CLOSE):
        return None
    ratio = matcher.ratio()
    return ratio if nested or ratio >= CLOSE else None


def _similarity(product: Product, model: str) -> float | None:
    """How similar the device's model is to one of the product's names, when they are a possible
    match: the words of one name (a model designation with a digit among them) are all words of
    the other (``SIMATIC S7-1200`` and ``SIMATIC S7-1200 CPU 1214C``), or the names hold the same
    numbers and are :data:`CLOSE`; None otherwise: other numbers are other products (``MGate
    5109`` and ``MGate 5103``, ``SIMATIC S7-1500`` and ``SIMATIC S7-1200``, ``Desigo PXC4.E16``
    and ``Desigo PXC64-U``), and so are other words (``SIMATIC HMI TP700 Comfort`` and ``SIMATIC
    HMI KTP700 Basic``)."""
    names = {product.model, product.name, product_identity(product)[0], *product.other_models}
    if product.family:
        names.add(product.family)
    ratios = [r for name in names if (r := _similar_names(model, name)) is not None]
    return max(ratios) if ratios else None


def match_devices(
    affected: Sequence[AffectedProduct],
    devices: Iterable[Device],
    vendors: Mapping[str, str],
) -> list[DeviceMatch]:
    """Every registered device (planned or active: retired ones are off the network) that the
    affected products name: its exact matches when it has any, else its one most similar fuzzy
    match; sorted by device, product and range. ``vendors``: vendor id -> name; a product
    matches only devices of the vendor record its vendor resolves to."""
    candidates = [
        d for d in devices if d.status in (Status.PLANNED, Status.ACTIVE) and d.vendor and d.model
    ]
    found: dict[tuple[str, str, str], DeviceMatch] = {}
    for entry in affected:
        product = entry.product
        vendor_id = resolve_vendor(product.vendor or "", vendors)
        if vendor_id is None:
            continue
        for device in candidates:
            if device.vendor != vendor_id or device.model is None:
                continue
            version = device.firmware.version if device.firmware else None
            method = _exact_method(product, device, vendors.get(vendor_id, ""))
            similar = (
                None
                if method or _other_part(product, device)
                else _similarity(product, device.model)
            )
            if method is None and similar is None:
                continue
            certainty = 1.0 if method else similar or 0.0
            method = method or MatchMethod.FUZZY
            match = DeviceMatch(
                device=device.id,
                model=device.model,
                firmware=version,
                product=product.model,
                versions=entry.versions,
                method=method,
                certainty=certainty,
                affected=in_range(version, entry.versions),
            )
            key = (device.id, product.model.lower(), entry.versions)
            best = found.get(key)
            if best is None or (match.exact, match.certainty) > (best.exact, best.certainty):
                found[key] = match
    result = [m for m in found.values() if m.exact]
    exact_devices = {m.device for m in result}
    best_fuzzy: dict[str, DeviceMatch] = {}
    for match in sorted(found.values(), key=lambda m: (-m.certainty, m.product, m.versions)):
        if not match.exact and match.device not in exact_devices:
            best_fuzzy.setdefault(match.device, match)
    result.extend(best_fuzzy.values())
    result.sort(key=lambda m: (m.device, not m.exact, m.product.lower(), m.versions))
    return result


def advisory_affects(
    affected: Sequence[AffectedProduct], matches: Sequence[DeviceMatch]
) -> list[dict[str, str]]:
    """The ``affects`` entries of the advisory record, so that ``check`` finds the devices
    registered now and later: every affected product under its model name (a trailing order
    number moved to ``part_number``), with its part number and CPE when it has one of each;
    further part numbers and CPEs as entries of their own; and, for devices matched exactly by
    model number, serial number or CPE under another model name, the same range under the
    device's model. Fuzzy matches add nothing (they become triage candidates). Sorted, without
    repeats."""
    entries: set[tuple[str, str, str, str]] = set()
    for entry in affected:
        model, numbers = product_identity(entry.product)
        cpes = entry.product.cpes
        entries.add(
            (
                model,
                numbers[0] if len(numbers) == 1 else "",
                cpes[0] if len(cpes) == 1 else "",
                entry.versions,
            )
        )
        if len(numbers) > 1:
            entries.update(("", number, "", entry.versions) for number in numbers)
        if len(cpes) > 1:
            entries.update(("", "", cpe, entry.versions) for cpe in cpes)
    named = {(e[0], e[3]) for e in entries}
    entries.update(
        (m.model, "", "", m.versions)
        for m in matches
        if m.exact and (m.model, m.versions) not in named
    )
    return [
        {
            key: value
            for key, value in zip(("model", "part_number", "cpe", "versions"), e, strict=True)
            if value
        }
        | {"versions": e[3]}
        for e in sorted(entries, key=lambda e: (e[0].lower(), e[0], e[1], e[2], e[3]))
    ]
