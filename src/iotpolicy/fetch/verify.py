"""Is a downloaded document the provider's? Its published hash, its OpenPGP signature by a pinned
key (checked with pysequoia, Sequoia-PGP: no gpg binary needed), and its TLP label.

Every check returns the problem in one line, or None when the document passes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence

import pysequoia
from pysequoia import packet

HASH_ALGORITHMS = ("sha512", "sha256")
"""The hashes CSAF providers publish next to a document, the stronger first."""
PUBLIC_TLP = frozenset({"CLEAR", "WHITE"})
"""TLP labels fetched by default (CLEAR is TLP 2.0's name for TLP 1.0's WHITE)."""
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def hash_problem(data: bytes, published: bytes, algorithm: str) -> str | None:
    """Whether ``data`` has the hash the provider published (``<hex>  <file name>``, as
    sha512sum writes it, or the hex digest alone)."""
    words = published.decode("ascii", "replace").split()
    expected = words[0].lower() if words else ""
    digest = hashlib.new(algorithm, data).hexdigest()
    if not _HEX.match(expected) or len(expected) != len(digest):
        return f"the published .{algorithm} holds no {algorithm.upper()} hash"
    if not hmac.compare_digest(expected, digest):
        return f"{algorithm.upper()} hash does not match the published .{algorithm}"
    return None


def tlp_problem(data: bytes, feed_label: str | None, allowed: frozenset[str]) -> str | None:
    """Whether the document may be fetched: its ``document.distribution.tlp.label`` (or, when it
    gives none, its feed's) must be in ``allowed``."""
    try:
        document = json.loads(data.decode("utf-8-sig")).get("document", {})
        label = document.get("distribution", {}).get("tlp", {}).get("label")
    except (AttributeError, UnicodeDecodeError, ValueError, RecursionError):
        return "not a CSAF document (not JSON with a 'document' object)"
    found = str(label).strip().upper() if isinstance(label, str) and label.strip() else None
    found = found or (feed_label or "").upper() or None
    if found in allowed:
        return None
    named = f"TLP:{found}" if found else "no TLP label"
    accepted = "/".join(sorted(allowed))
    return f"{named}: only TLP:{accepted} documents are fetched (--tlp green adds GREEN)"


def read_certs(raw: bytes) -> list[pysequoia.Cert]:
    """The OpenPGP certificates (public keys) in ``raw``, armored or binary; ValueError when it
    holds none."""
    try:
        certs = pysequoia.Cert.split_bytes(raw)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"not an OpenPGP public key ({_first_line(exc)})") from None
    if not certs:
        raise ValueError("not an OpenPGP public key (no key in it)")
    return certs


class Keyring:
    """The pinned keys of one provider, as downloaded from it."""

    def __init__(self, certs: Iterable[pysequoia.Cert]) -> None:
        self.certs = tuple(certs)
        self.fingerprints = frozenset(
            fingerprint.upper() for cert in self.certs for fingerprint in key_fingerprints(cert)
        )
        """The fingerprints of every primary key and subkey."""

    def signature_problem(self, data: bytes, armored: bytes) -> str | None:
        """Whether ``armored`` is a valid detached signature of ``data`` by one of the keys."""
        try:
            signature = pysequoia.Sig.from_bytes(armored)
        except (RuntimeError, ValueError):
            return "the .asc file is not an OpenPGP signature"
        issuer = signature.issuer_fingerprint or signature.issuer_key_id or ""
        if issuer and not any(f.endswith(issuer.upper()) for f in self.fingerprints):
            return f"signed by key {issuer.upper()}, which is not pinned"
        try:
            result = pysequoia.verify(bytes=data, store=self._store, signature=signature)
        except (RuntimeError, ValueError):
            return "bad OpenPGP signature (the document or its signature was changed)"
        return None if result.valid_sigs else "bad OpenPGP signature"

    def _store(self, key_ids: Sequence[str]) -> list[pysequoia.Cert]:
        return list(self.certs)


def key_fingerprints(cert: pysequoia.Cert) -> list[str]:
    """The fingerprints of a certificate's primary key and subkeys (upper case)."""
    keys = (packet.Tag.PublicKey, packet.Tag.PublicSubkey)
    found = [
        p.fingerprint.upper()
        for p in packet.PacketPile.from_bytes(bytes(cert))
        if p.tag in keys and p.fingerprint
    ]
    return found or [cert.fingerprint.upper()]


def _first_line(exc: BaseException) -> str:
    """pysequoia's message without the Rust backtrace it may carry."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
