"""Scalar types and the base model shared by every record kind.

The loader hands over unresolved YAML 1.2 scalars (``PlainStr`` for unquoted ones), so each type
here decides what a scalar means: a boolean is only ``true``/``false`` (any case), an integer a
plain decimal, a date an ISO date (quoted or not), and a text field keeps the characters written.
Values built in Python (``True``, ``514``, ``date(...)``) are accepted too. No message ever repeats
the value, so a secret typed into the wrong field is not echoed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, WithJsonSchema

from iotpolicy.grammar.dates import parse_iso
from iotpolicy.grammar.names import is_reserved_name
from iotpolicy.yamlio.nodes import BOOLEANS, INTEGER, PlainStr

SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
WORD = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")
_DECIMAL = re.compile(r"^[0-9]{1,2}(?:\.[0-9]+)?$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")


def error_message(error: Mapping[str, Any]) -> str:
    """What a pydantic error (one of ``ValidationError.errors()``) says, in the validator's own
    words: pydantic's ``Value error, `` prefix never reaches a user."""
    return str(error["msg"]).removeprefix("Value error, ")


def to_text(value: Any) -> str:
    """Any scalar as the text written; lists and mappings are refused."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ValueError(f"must be text, not a {_kind(value)}")


def to_bool(value: Any) -> bool:
    """``true`` or ``false`` in any case, unquoted; ``yes``/``no``/``on``/``off`` are refused."""
    if isinstance(value, bool):
        return value
    if isinstance(value, PlainStr) and value.lower() in BOOLEANS:
        return value.lower() == "true"
    raise ValueError("must be true or false")


def to_int(value: Any) -> int:
    """A plain decimal integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and isinstance(value, PlainStr) and INTEGER.match(value):
        return int(value)
    raise ValueError("must be a whole number")


def to_date(value: Any) -> dt.date:
    """An ISO date ``YYYY-MM-DD``, quoted or not; date-times and other forms are refused."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_iso(value)
    raise ValueError("must be a date written YYYY-MM-DD")


def to_word(value: Any) -> str:
    """A lower-case word: letters, digits and hyphens (``hvac-controller``)."""
    text = to_text(value)
    if not WORD.match(text):
        raise ValueError("must be a lower-case word of letters, digits and hyphens")
    return text


def to_ip(value: Any) -> str:
    """An IPv4 or IPv6 address, kept as written."""
    text = to_text(value).strip()
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address") from None
    return text


def to_cidr(value: Any) -> str:
    """A network in CIDR notation (``10.20.1.0/24``)."""
    text = to_text(value).strip()
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("must be a network in CIDR notation, e.g. 10.20.1.0/24") from None
    if "/" not in text:
        raise ValueError("must be a network in CIDR notation, e.g. 10.20.1.0/24")
    return text


def to_mac(value: Any) -> str:
    """A MAC address, six pairs of hex digits separated by ``:`` or ``-``."""
    text = to_text(value).strip()
    if not _MAC.match(text):
        raise ValueError("must be a MAC address such as 00:1b:1b:12:34:56")
    return text


def to_port_number(value: Any) -> int:
    """A port number 0-65535."""
    port = to_int(value)
    if not 0 <= port <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return port


def to_port(value: Any) -> int | str:
    """A port number 0-65535, or the word ``any`` (which SEG-004 reports)."""
    if isinstance(value, str) and value.strip().lower() == "any":
        return "any"
    return to_port_number(value)


def to_score(value: Any) -> float:
    """A CVSS base score: a decimal number from 0 to 10 (``7.5``)."""
    text = isinstance(value, str) and bool(_DECIMAL.match(value.strip()))
    if not text and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ValueError("must be a number such as 7.5")
    number = float(value)
    if not 0 <= number <= 10:
        raise ValueError("must be a score from 0 to 10")
    return number


def to_fingerprint(value: Any) -> str:
    """An OpenPGP key fingerprint: 40 (v4) or 64 (v6) hex digits, spaces allowed; kept in
    upper case without spaces."""
    text = "".join(to_text(value).split()).upper()
    if not _FINGERPRINT.match(text):
        raise ValueError("must be an OpenPGP fingerprint of 40 or 64 hex digits")
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "empty value"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _non_negative(value: Any) -> int:
    number = to_int(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


_TEXT_SCHEMA = {"type": ["string", "number", "boolean"]}
Text = Annotated[str, PlainValidator(to_text), WithJsonSchema(_TEXT_SCHEMA)]
Bool = Annotated[bool, PlainValidator(to_bool), WithJsonSchema({"type": "boolean"})]
Int = Annotated[int, PlainValidator(to_int), WithJsonSchema({"type": "integer"})]
Count = Annotated[
    int, PlainValidator(_non_negative), WithJsonSchema({"type": "integer", "minimum": 0})
]
Date = Annotated[
    dt.date, PlainValidator(to_date), WithJsonSchema({"type": "string", "format": "date"})
]
Word = Annotated[
    str, PlainValidator(to_word), WithJsonSchema({"type": "string", "pattern": WORD.pattern})
]
IpAddress = Annotated[str, PlainValidator(to_ip), WithJsonSchema({"type": "string"})]
Cidr = Annotated[str, PlainValidator(to_cidr), WithJsonSchema({"type": "string"})]
Mac = Annotated[
    str, PlainValidator(to_mac), WithJsonSchema({"type": "string", "pattern": _MAC.pattern})
]
Score = Annotated[
    float,
    PlainValidator(to_score),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 10},
                {"type": "string", "pattern": _DECIMAL.pattern},
            ]
        }
    ),
]
Fingerprint = Annotated[
    str,
    PlainValidator(to_fingerprint),
    WithJsonSchema({"type": "string", "pattern": "^([0-9A-Fa-f] ?){40}(([0-9A-Fa-f] ?){24})?$"}),
]
_PORT_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 65535}
PortNumber = Annotated[int, PlainValidator(to_port_number), WithJsonSchema(_PORT_SCHEMA)]
Port = Annotated[
    int | str,
    PlainValidator(to_port),
    WithJsonSchema({"anyOf": [_PORT_SCHEMA, {"const": "any"}]}),
]


SLUG_RULE = (
    "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 "
    "characters"
)


def slug_problem(value: str) -> str | None:
    """Why ``value`` is not a record id (a slug every file system can hold as a file name), or
    None when it is one."""
    if not SLUG.fullmatch(value):
        return SLUG_RULE
    if value.endswith("."):
        return "it ends with '.'"
    if is_reserved_name(value):
        return (
            f"'{value.split('.')[0]}' is a name Windows reserves: con, prn, aux, nul, com1-com9 "
            "and lpt1-lpt9, with or without an extension"
        )
    return None


def is_slug(value: str) -> bool:
    """True when ``value`` is a valid record id."""
    return slug_problem(value) is None


Problems = Iterator[tuple[tuple[str | int, ...], str]]
"""(path inside the record, message) of each problem a valid record still has."""


class Model(BaseModel):
    """Base of every register model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    def problems(self) -> Problems:
        """REG-001 problems that leave the record usable: a part that decides nothing (see
        :class:`~iotpolicy.models.advisory.Advisory`). None by default."""
        yield from ()
