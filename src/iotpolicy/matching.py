"""Match registered devices to the products of an advisory: exact by model number, serial number,
CPE or model name; fuzzy by a similar name, with how sure the match is. No I/O.

Only exact matches count: they are what :func:`advisory_affects` writes as ``affects`` entries, so
they are what FW-002 sees. A fuzzy match is shown for a person to review, never written.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from iotpolicy.csaf import AffectedProduct, Product, cpe_vendor_product
from iotpolicy.models import Device
from iotpolicy.models.enums import Status
from iotpolicy.names import company_key, resolve_vendor
from iotpolicy.versions import in_range

FUZZY_THRESHOLD = 0.75
"""Lowest similarity (difflib ratio of the normalised names) shown as a fuzzy match: a shared
word such as ``SIMATIC`` alone stays below it, ``SIMATIC S7-1200`` against ``SIMATIC S7-1200 CPU
1214C`` reaches it."""


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
        """One line: device, how it matched, how sure, and whether its firmware is affected."""
        how = f"{self.method.value}" + (
            "" if self.exact else f", {round(self.certainty * 100)}% similar: review"
        )
        firmware = self.firmware or "unknown"
        state = "affected" if self.affected else "not affected"
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


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def _compact(text: str) -> str:
    """An identifier without case and spaces (``6ES7 214-1AG40`` == ``6es7214-1ag40``)."""
    return "".join(text.lower().split())


def _wildcard(pattern: str, value: str) -> bool:
    """CSAF model/serial numbers: ``*`` any characters, ``?`` one character."""
    escaped = _compact(pattern).replace("[", "[[]")
    return fnmatchcase(_compact(value), escaped)


def _cpe_names(product: Product) -> Iterable[tuple[str, str]]:
    for cpe in product.cpes:
        named = cpe_vendor_product(cpe)
        if named is not None:
            yield named


def _exact_method(product: Product, device: Device, vendor_name: str) -> MatchMethod | None:
    model = device.model or ""
    if any(_wildcard(number, model) for number in product.model_numbers):
        return MatchMethod.MODEL_NUMBER
    if device.serial and any(_wildcard(serial, device.serial) for serial in product.serial_numbers):
        return MatchMethod.SERIAL_NUMBER
    for cpe_vendor, cpe_product in _cpe_names(product):
        vendor_ok = company_key(cpe_vendor) in (
            company_key(vendor_name),
            company_key(device.vendor or ""),
        )
        if vendor_ok and _norm(cpe_product) == _norm(model.replace("_", " ")):
            return MatchMethod.CPE
    if _norm(model) in {_norm(product.model), *(_norm(m) for m in product.other_models)}:
        return MatchMethod.NAME
    return None


def _similarity(product: Product, model: str) -> float:
    names = {product.model, product.name, *product.other_models}
    if product.family:
        names.add(product.family)
    return max(difflib.SequenceMatcher(None, _norm(model), _norm(n)).ratio() for n in names)


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
            certainty = 1.0 if method else _similarity(product, device.model)
            if method is None and certainty >= FUZZY_THRESHOLD:
                method = MatchMethod.FUZZY
            if method is None:
                continue
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
    """The ``affects`` entries of the advisory record: every affected product under its own model
    name, and, for devices matched exactly by model number, serial number or CPE under another
    model name, the same range under the device's model (so FW-002 sees them). Fuzzy matches add
    nothing. Sorted, without repeats."""
    entries = {(a.product.model, a.versions) for a in affected}
    entries.update((m.model, m.versions) for m in matches if m.exact)
    return [
        {"model": model, "versions": versions}
        for model, versions in sorted(entries, key=lambda e: (e[0].lower(), e[0], e[1]))
    ]
