"""Vendors' version statements (CSAF ``product_version`` / ``product_version_range``) as register
ranges (controls.md *Versions*).

:func:`translate_range` reads what vendors and CISA really write:

- vers ranges (``vers:intdot/>=2.0|<2.3|>=3.0|<3.1``), CISA's ``vers:all/>=V2.0<V2.1``, and the
  same ``|``-separated constraints without ``vers:``: sorted by version and paired into intervals,
  as the vers specification reads them (``>=15.00|<=20.4`` is one interval); a bare version among
  them is one more alternative (``<= A | B | C`` -> ``<=A``, ``==B``, ``==C``);
- conjunctions (``>= A and < B``, ``>A<B``, ``between A (including) and B (excluding)``,
  ``A to B``, ``V14 < V14 SP3``), words (``3.1 and prior``, ``prior to 2.0``, ``V2.0 and later``),
  wildcards (``2.x`` -> ``>=2,<3``), alternatives (``<= 2.0.11 / 3.0.11``, ``<= 2018 SP3
  Version 3.4.430``, ``(aka <= Version 10.95)``: their union);
- versions as vendors write them (``V16 Update 4``, ``V4.8 SP2 HF9``, ``3.4.4 Build 16102416``,
  ``15.2(5)EA``);
- qualifier words before the bound (``All BIOS versions <``, ``NMC2 <=``, ``< CPC80 V16.30``),
  remarks in parentheses and conditions after the bound (``with WinCC V7.3``, ``and Function
  State (FS) <= 3``): dropped, which only widens the range.

It raises :class:`NoVersion` when the text names no version of the product (``No version``,
``All versions with Ethernet interface``, a model or order number, a serial number), and
:class:`RangeError` when it holds a version it cannot read with certainty. A reading never narrows
what the text says: when in doubt, it refuses (and the importer records every version, ``*``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import unquote

from iotpolicy.grammar.versions import Version, range_problem


class RangeError(ValueError):
    """A version statement that cannot be put into the register's syntax."""


class NoVersion(RangeError):
    """A version statement that names no version of the product."""


Bound = tuple[str, str]
"""(operator, version)."""
Interval = tuple[Bound | None, Bound | None]
"""(lower bound, upper bound); None for no bound."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_OPERATORS = {"<=": "<=", "=<": "<=", ">=": ">=", "=>": ">=", "==": "==", "=": "=="}
_OPERATORS.update({"!=": "!=", "<": "<", ">": ">"})
_TOKEN = re.compile(r"<=|>=|=<|=>|==|!=|[<>=|,;&/]|[^\s<>=!|,;&/]+|!")
_SEPARATORS = frozenset({",", ";", "&", "and", "or"})
_CONNECTORS = frozenset({"to", "-", "through", "thru", "until", "till"})
_QUALIFIERS = _words(
    "all any every version versions ver firmware software fw sw bios release releases "
    "revision rev the"
)
_STOP = _words(
    "with w/ without only when if on of for in using used installed running model that where "
    "which except excluding including incl as deployed manufactured shipped based may could "
    "might also is are series editions via under not but hardware hw"
)
_SUFFIXES = _words(
    "update upd sp servicepack service pack hf hotfix hot fix build patch p r rev release fp "
    "ru qu uc cu mr sr beta alpha rc bn security"
)
_MONTHS = _words(
    "january february march april june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_STRICT = re.compile(r"[vV]?[0-9][0-9A-Za-z._+~()-]*\*?")
_LETTERED = re.compile(r"([A-Za-z]{1,2})\.?[0-9][0-9A-Za-z._+~()-]*")
_SUFFIX_WORD = re.compile(
    r"(?:update|upd|sp|servicepack|hf|hotfix|build|patch|fp|ru|qu|uc|cu|mr|sr|rc|bn|[a-z])"
    r"[0-9][0-9a-z._-]*",
    re.I,
)
_LEADING_SUFFIX = re.compile(r"(?:update|upd|sp|servicepack|hf|hotfix|fp|build|patch)[0-9]", re.I)
_AFTER_SUFFIX = re.compile(r"[0-9][0-9A-Za-z._-]*|[A-Za-z]")
_WILDCARD = re.compile(r"(.*?[0-9])((?:[._-]?(?:x+|\*))+)", re.I)
_WHOLE_NUMBERS = re.compile(r"([0-9]{1,2})-([0-9]{1,2})|[vV]([0-9]{1,4})-[vV]?([0-9]{1,4})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_VERSIONS = re.compile(r"\bserial\s+numbers?\b|\bproduction\s+date\b", re.I)
_REMARK_PHRASES = [
    (re.compile(r"\(\s*including\s*\)", re.I), " \x00inc "),
    (re.compile(r"\(\s*excluding\s*\)", re.I), " \x00exc "),
    (
        re.compile(
            r"\((?:and\s+)?(?:possibly\s+)?(?:all\s+)?(?:prior|earlier|older|previous)"
            r"(?:\s+versions?)?\s*\)",
            re.I,
        ),
        " and prior ",
    ),
]
_BEFORE_VERSION = r"(?=\s+(?:versions?\s+)?[0-9vV])"
_PHRASES = [
    (re.compile(pattern, re.I), replacement)
    for pattern, replacement in (
        (
            r"\b(?:and|or)\s+(?:all\s+)?(?:prior|earlier|below|lower|older|previous|before)"
            r"(?:\s+versions?)?\b",
            " \x00prev ",
        ),
        (
            r"\b(?:and|or)\s+(?:all\s+)?(?:later|newer|above|higher|after|subsequent|greater)"
            r"(?:\s+versions?)?\b",
            " \x00next ",
        ),
        (r"\b(?:prior\s+to|before|earlier\s+than|older\s+than|lower\s+than|less\s+than)\b", " < "),
        (r"\bup\s+to(?:\s+and\s+including)?" + _BEFORE_VERSION, " <= "),
        (r"\b(?:later|newer|greater|higher)\s+than" + _BEFORE_VERSION, " > "),
        (r"\b(?:from|since|starting\s+(?:with|from))" + _BEFORE_VERSION, " >= "),
        (r"\bbetween\b", " \x00between "),
    )
]
_ALIAS = re.compile(r"^\s*(?:aka|a\.k\.a\.?|also\s+known\s+as|or)\s+(.*)$", re.I | re.S)
_RANGE_REMARK = re.compile(r"[<>]|\bprior\s+to\b|\bbefore\b|\balso\b|\bmay\b", re.I)
_ATTACHED = re.compile(r"\([0-9A-Za-z]+\)")


@lru_cache(maxsize=8192)
def translate_range(text: str) -> tuple[str, ...]:
    """A vendor's version statement as register ranges, one per alternative (``*`` for every
    version). Raises NoVersion or RangeError (see the module's description)."""
    cleaned = _normalise(text)
    if not cleaned:
        raise RangeError("empty")
    vers = re.match(r"^vers:([^/]*)/(.*)$", cleaned, re.I | re.S)
    if vers is not None:
        cleaned = _from_vers(vers.group(2).strip())
        if cleaned == "*":
            return ("*",)
    ranges = _read(cleaned, strict=vers is not None)
    if any(range_problem(expression) is not None for expression in ranges):
        raise RangeError("not a range the register can hold")  # never write what it refuses
    return ranges


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text).replace("\u2014", " - ").replace("\u2013", " - ")
    words = []
    for word in re.split(r"([\s<>=|,;&/]+)", text):
        if "_" in word and word.split("_")[0].lower() in _QUALIFIERS | _STOP | {"production"}:
            word = word.replace("_", " ")  # CISA's the_first_5_digits_of_serial_number_22081
        words.append(word)
    return " ".join("".join(words).split())


def _from_vers(constraints: str) -> str:
    """vers constraints as loose text: each version %-decoded, which must not give an operator."""
    if not constraints:
        raise RangeError("a vers range needs constraints after the scheme")
    if constraints == "*":
        return "*"
    pieces = []
    for constraint in constraints.split("|"):
        parts = re.split(r"(<=|>=|==|!=|<|>|=)", constraint)
        for index in range(0, len(parts), 2):
            version = unquote(parts[index]).strip()
            if any(c in "<>=!|,/" for c in version):
                raise RangeError("a %-encoded operator in a version")
            parts[index] = f" {version} "
        pieces.append("".join(parts))
    return " | ".join(pieces)


# -- one text: remarks and alternatives -----------------------------------------------------------


def _read(text: str, strict: bool) -> tuple[str, ...]:
    if _NOT_VERSIONS.search(text):
        raise NoVersion("a serial number or production date, not a version")
    for pattern, replacement in _REMARK_PHRASES:
        text = pattern.sub(replacement, text)
    main, remarks = _split_remarks(text)
    if remarks and not re.search(r"[0-9A-Za-z*]", main):
        main, remarks = f"{main} {' '.join(remarks)}", []  # <=(R4.10)
    tokens = _tokens(main)
    union = _Union(strict)
    pieces: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            pieces.append([])
        else:
            pieces[-1].append(token)
    problems: list[RangeError] = []
    for piece in pieces:
        try:
            union.add(_Piece(piece).read())
        except RangeError as exc:
            problems.append(exc)
    if union.every:
        return ("*",)  # "* | 1.5.0 plus205": one alternative is every version
    if problems:
        raise problems[0]
    operator = next((_OPERATORS[t] for t in tokens if t in _OPERATORS), None)
    for remark in remarks:
        alias = _ALIAS.match(remark)
        if alias is None and not _RANGE_REMARK.search(remark):
            continue  # "(firmware 1.46)", "(only affected by CVE-...)": dropped
        inner = _tokens(_split_remarks(alias.group(1) if alias else remark)[0])
        if alias and operator and not any(t in _OPERATORS for t in inner):
            inner.insert(0, operator)  # "< R02 (or Software Version 1.1.13166)"
        try:
            union.add(_Piece(inner).read())
        except NoVersion:
            continue
    return union.ranges()


def _tokens(text: str) -> list[str]:
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    tokens = []
    for token in _TOKEN.findall(text):
        if len(token) > 1 and token[-1] in ".:" and token[0] != "\x00":
            token = token.rstrip(".:")
        if token:
            tokens.append(token)
    return tokens


def _split_remarks(text: str) -> tuple[str, list[str]]:
    """The text without its parenthesised remarks (nested ones included), and the remarks. A
    parenthesis inside a version (``15.2(5)EA``, ``01.07.13(10)``) is part of the version."""
    outside: list[str] = []
    remarks: list[str] = []
    current: list[str] = []
    depth = index = 0
    while index < len(text):
        char = text[index]
        attached = _ATTACHED.match(text, index) if char == "(" and depth == 0 else None
        if attached is not None and index and text[index - 1].isalnum():
            outside.append(attached.group(0))
            index = attached.end()
            continue
        index += 1
        if char == "(":
            depth += 1
            if depth == 1:
                current = []
                outside.append(" ")
                continue
        elif char == ")":
            if depth == 0:
                outside.append(" ")
                continue
            depth -= 1
            if depth == 0:
                remarks.append("".join(current))
                continue
        (current if depth else outside).append(char)
    if depth:
        remarks.append("".join(current))
    return "".join(outside), remarks


# -- one alternative: its versions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    """One version of a statement, with the operator before it (None: a bare version)."""

    operator: str | None
    version: str
    wildcard: bool = False
    mark: str | None = None
    """``inc``/``exc`` (``(including)``/``(excluding)`` after it): an endpoint of a range."""
    joined: bool = False
    """A separator (and , ;) came before it."""
    connected: bool = False
    """``to``, ``-``, ``through`` or ``between ... and`` came before it."""
    alternative: bool = False
    """Another spelling of the bound before it (``/``, ``Version X``): a union, no conjunction."""


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one ``|``-separated alternative says."""

    kind: str
    """``items``; ``all`` (every version); ``none`` (no version of the product: a condition, a
    model name); ``unsure`` (no version either, but a date or a number in a name that another
    alternative cannot do without)."""
    items: tuple[_Item, ...] = ()


class _Piece:
    """A left-to-right reading of one alternative's tokens."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.index = 0
        self.items: list[_Item] = []

    def read(self) -> _Reading:
        tokens = self.tokens
        operator: str | None = None
        joined = connected = between = alternative = False
        named = False  # product words came before the next bare version
        while self.index < len(tokens):
            token = tokens[self.index]
            lower = token.lower()
            last = self.items[-1] if self.items else None
            self.index += 1
            if token in _OPERATORS:
                if operator is not None:
                    raise RangeError("two operators in a row")
                operator = _OPERATORS[token]
            elif lower in ("\x00inc", "\x00exc"):
                if last is None or operator is not None:
                    raise RangeError("(including) or (excluding) after no version")
                self.items[-1] = replace(last, mark=lower[1:])
            elif lower in ("\x00prev", "\x00next"):
                if last is None or last.operator is not None or operator is not None:
                    raise RangeError("'and prior' or 'and later' after no bare version")
                self.items[-1] = replace(last, operator="<=" if lower == "\x00prev" else ">=")
            elif lower == "\x00between":
                between = True
            elif lower in _SEPARATORS or lower in _CONNECTORS or token == "/":
                if operator is not None:
                    raise RangeError("no version after an operator")
                if last is None:
                    continue
                if between and lower == "and":
                    connected, between = True, False
                elif lower in _CONNECTORS:
                    connected = True
                elif not self._version_follows():
                    if token == "/":
                        raise RangeError("'/' before no version")
                    break  # "and Function State (FS) <= 3": a condition, dropped
                elif token == "/" and last.operator is not None:
                    operator, alternative = last.operator, True  # "<= 2.0.11 / 3.0.11"
                else:
                    joined = True
            elif lower in ("version", "versions") and last and operator is None:
                if not self._version_follows():
                    raise RangeError(f"{token!r} after a version")
                if lower == "versions" or last.operator is None:
                    joined = True  # "<= R4.03.00 Versions R5.01.00 through R5.04.20"
                else:
                    operator, alternative = last.operator, True  # "<= 2018 SP3 Version 3.4"
            elif token == "*":
                if last is not None and operator is None:
                    self.items[-1] = replace(last, wildcard=True)  # ABB's "1.2 *"
                elif last is None and operator is None and self._only_condition_follows():
                    return _Reading("all")
                else:
                    raise RangeError("'*' among other terms")
            else:
                self.index -= 1
                version = self._version(after_operator=operator is not None)
                if version is None:
                    effect = self._word(token, operator, named)
                    if effect == "date":
                        return _Reading("unsure")
                    if effect == "none":
                        return _Reading("none")
                    if effect == "stop":
                        break
                    named = lower not in _QUALIFIERS and operator is None
                    self.index += 1
                    continue
                if operator is None and named and not self._operator_follows():
                    return _Reading("unsure")  # "CODESYS Control RTE V3", "Sofia 3G"
                if operator is None and named:
                    raise RangeError("a bare version after product words")
                if operator is None and last and not (joined or connected or alternative):
                    raise RangeError("two versions without a separator")
                text, wildcard = version
                self.items.append(
                    _Item(operator, text, wildcard, None, joined, connected, alternative)
                )
                operator, named = None, False
                joined = connected = alternative = False
        if operator is not None:
            raise RangeError("no version after an operator")
        if self.items:
            return _Reading("items", tuple(self.items))
        words = [t.lower() for t in tokens]
        if words and words[0] in ("all", "any", "every") and set(words) <= _QUALIFIERS:
            return _Reading("all")
        return _Reading("none")

    def _word(self, token: str, operator: str | None, named: bool) -> str:
        """What a word that starts no version does: ``date`` (a month), ``none`` (a condition
        before any version: the alternative names no version of the product), ``stop`` (a
        condition after one, dropped with the rest) or ``skip`` (a qualifier or product word)."""
        lower = token.lower()
        following = self.tokens[self.index + 1 : self.index + 2]
        if lower in _MONTHS or (lower == "may" and following and following[0][:1].isdigit()):
            return "date"
        if lower in _STOP:
            if operator is not None:
                raise RangeError("no version after an operator")
            return "stop" if self.items else "none"
        if lower in _QUALIFIERS:
            return "skip"
        if self.items and operator is None:
            raise RangeError(f"{token!r} after a version")
        suffix = lower in _SUFFIXES - {"p", "r"} or _LEADING_SUFFIX.match(token)
        if suffix and (operator is not None or not named):
            raise RangeError(f"{token!r} where a version should begin")
        if operator is None and not named and _ambiguous(token) and not self._operator_follows():
            raise RangeError(f"{token!r} may be a version or a model")
        return "skip"

    def _version_follows(self) -> bool:
        """Does a version or an operator come next (past qualifier words)?"""
        ahead = self.index
        while ahead < len(self.tokens) and self.tokens[ahead].lower() in _QUALIFIERS | _SEPARATORS:
            ahead += 1
        if ahead >= len(self.tokens):
            return False
        token = self.tokens[ahead]
        following = self.tokens[ahead + 1] if ahead + 1 < len(self.tokens) else ""
        return (
            token in _OPERATORS
            or token == "\x00between"
            or _is_strict(token)
            or bool(_LETTERED.fullmatch(token) and "." in token)
            or (token in ("v", "V") and _is_strict(following))
        )

    def _operator_follows(self) -> bool:
        return any(t in _OPERATORS for t in self.tokens[self.index :])

    def _only_condition_follows(self) -> bool:
        rest = self.tokens[self.index :]
        return not rest or rest[0].lower() in _STOP

    def _version(self, after_operator: bool) -> tuple[str, bool] | None:
        """The version starting at the current token (its words joined by spaces), moving past
        it, and whether it ends in a wildcard; None when no version starts here."""
        tokens, position = self.tokens, self.index
        token = tokens[position]
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        lettered = _LETTERED.fullmatch(token)
        if token in ("v", "V") and _is_strict(following):
            words = [token + following]  # "V 4.83"
            position += 1
        elif _is_strict(token) and (after_operator or _bare_version(token)):
            words = [token]
        elif lettered and (after_operator or "." in token) and not _LEADING_SUFFIX.match(token):
            words = [token]  # "R6.01.01", "A.01", after an operator "FW14", "SE2021MP5"
        elif after_operator and len(token) == 1 and token.isascii() and token.isalpha():
            words = [token]  # a revision letter: "<=W"
        else:
            return None
        position += 1
        while position < len(tokens):
            word = tokens[position]
            if word.lower() in _SUFFIXES:
                words.append(word)
                position += 1
                number = tokens[position] if position < len(tokens) else ""
                if _AFTER_SUFFIX.fullmatch(number) and number.lower() not in _STOP | _SEPARATORS:
                    words.append(number)
                    position += 1
            elif _SUFFIX_WORD.fullmatch(word) or (
                len(word) == 1 and word.isascii() and word.isalpha() and word not in "aAvV"
            ):
                words.append(word)
                position += 1
            else:
                break
        self.index = position
        text = " ".join(words)
        wildcard = _WILDCARD.fullmatch(text)
        return (wildcard.group(1), True) if wildcard else (text, False)


def _is_strict(token: str) -> bool:
    """A token that reads as a version beginning with a digit (``V16``, ``1.0.212N``)."""
    return bool(_STRICT.fullmatch(token)) and not _DATE.fullmatch(token)


def _bare_version(token: str) -> bool:
    """A token that, without an operator before it, is a version rather than a model, part or
    order number (``2700988``, ``1SAP500900R0101``, ``1783-SAD4T0SBK9``, a model ``620``)."""
    if _WHOLE_NUMBERS.fullmatch(token) or token[:1] in ("v", "V"):
        return True
    if ".." in token:
        return False  # an order number pattern: "6SR32..-....."
    words = [w for w in re.findall(r"[A-Za-z]+", token[1:]) if w.lower() not in _SUFFIXES]
    if len([w for w in words if len(w) > 1]) >= 2:
        return False
    if "." in token:
        return True
    if any(len(d) >= 6 for d in re.findall(r"[0-9]+", token)) or re.match(r"[0-9]{4,}-", token):
        return False
    lead = re.match(r"[vV]?([0-9]+)", token)
    return lead is None or len(lead.group(1)) < 3 or 1990 <= int(lead.group(1)) <= 2039


def _ambiguous(token: str) -> bool:
    """A word that may be a version as much as a model (``R202``, ``M221``): not guessed."""
    lettered = _LETTERED.fullmatch(token)
    runs = len(re.findall(r"[A-Za-z]+", token))
    return bool(lettered and len(lettered.group(1)) == 1 and runs < 3)  # not "H4W2PER2"


# -- the union of the alternatives ----------------------------------------------------------------


class _Union:
    """The alternatives of one statement, put together as the vers specification says.

    ``strict`` (a ``vers:`` range): two lower or two upper bounds in a row are an error, as the
    specification's validation says; in a vendor's own text they are read as their union (the
    lower of two lower bounds, the higher of two upper bounds)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.every = False
        self.unsure = False
        self.pool: list[Bound] = []
        self.intervals: list[Interval] = []
        self.lines: list[Interval] = []  # from wildcards and whole numbers (20-33)
        self.points: list[str] = []
        self.excluded = False

    def add(self, reading: _Reading) -> None:
        self.every = self.every or reading.kind == "all"
        self.unsure = self.unsure or reading.kind == "unsure"
        if reading.kind != "items":
            return
        items = [i for i in reading.items if i.operator != "!="]
        self.excluded = self.excluded or len(items) < len(reading.items)
        index = 0
        while index < len(items):
            item = items[index]
            following = items[index + 1] if index + 1 < len(items) else None
            if following is not None and _pairs(item, following):
                self._interval(_lower(item), _upper(following))
                index += 2
            elif item.operator is None:
                self._point(item)
                index += 1
            else:
                group = [item]
                index += 1
                while index < len(items) and _conjoined(items[index]):
                    group.append(items[index])
                    index += 1
                self._group(group)

    def _point(self, item: _Item) -> None:
        whole = _WHOLE_NUMBERS.fullmatch(item.version)
        if item.wildcard:
            self.lines.append(((">=", item.version), ("<", _next_line(item.version))))
        elif whole is not None:  # Rockwell's "20-33": every version from 20 to 33.x
            low, high = (int(n) for n in whole.groups() if n is not None)
            if low >= high:
                raise RangeError("a range of whole numbers from high to low")
            self.lines.append(((">=", str(low)), ("<", str(high + 1))))
        else:
            self.points.append(item.version)

    def _group(self, group: list[_Item]) -> None:
        bounds = [_bound(item) for item in group]
        if len(bounds) == 1:
            if bounds[0][0] == "==":
                self.points.append(bounds[0][1])
            else:
                self.pool.append(bounds[0])
            return
        lowers = [b for b in bounds if b[0] in (">", ">=")]
        uppers = [b for b in bounds if b[0] in ("<", "<=")]
        if len(lowers) != 1 or len(uppers) != 1 or len(bounds) != 2:
            raise RangeError("terms that do not make one interval")
        self._interval(lowers[0], uppers[0])

    def _interval(self, lower: Bound | None, upper: Bound | None) -> None:
        if lower is not None and upper is not None:
            low, high = Version(lower[1]), Version(upper[1])
            if high < low or (low == high and (lower[0], upper[0]) != (">=", "<=")):
                raise RangeError("an empty interval")
        self.intervals.append((lower, upper))

    def ranges(self) -> tuple[str, ...]:
        if self.every:
            return ("*",)
        bounded = self._paired() + self.intervals
        intervals = bounded + self.lines
        if self.unsure and (intervals or self.points):
            raise RangeError("an alternative that is a date or a name among versions")
        if not intervals and not self.points:
            if self.excluded:
                return ("*",)  # only != terms: every version but some, widened to every one
            raise NoVersion("names no version of the product")
        for point in self.points:  # "< 17 | 4": CISA's split of "< V17 Update 4"
            if any(_inside(Version(point), interval) for interval in bounded):
                raise RangeError("a bare version inside another alternative's range")
        texts = [",".join(f"{b[0]}{b[1]}" for b in interval if b) for interval in intervals]
        texts += [f"=={point}" for point in self.points]
        return tuple(dict.fromkeys(texts))

    def _paired(self) -> list[Interval]:
        """The single bounds sorted by version and paired: a lower bound with the upper bound
        after it."""
        intervals: list[Interval] = []
        lower: Bound | None = None
        for bound in sorted(self.pool, key=lambda b: Version(b[1])):
            if bound[0] in (">", ">="):
                if lower is not None and self.strict:
                    raise RangeError("two lower bounds in a row")
                lower = lower or bound
            elif lower is None and intervals:
                if self.strict:
                    raise RangeError("two upper bounds in a row")
                intervals[-1] = (intervals[-1][0], bound)
            else:
                intervals.append((lower, bound))
                lower = None
        if lower is not None:
            intervals.append((lower, None))
        return intervals


def _pairs(item: _Item, following: _Item) -> bool:
    """Two items that make one interval: ``A to B``, ``A (including) and B (excluding)``,
    ``between A and B``, or a bare version right before an upper bound (``V14 < V14 SP3``)."""
    if item.operator not in (None, ">=", ">") or item.wildcard or following.alternative:
        return False
    if following.connected:
        return following.operator in (None, "<", "<=")
    if item.operator is None and item.mark and following.operator is None and following.mark:
        return True
    if item.operator is None and following.operator in ("<", "<=") and not following.joined:
        readable = _is_strict(item.version) or "." in item.version  # not "NMC2", "A10"
        return readable and Version(item.version) <= Version(following.version)
    return False


def _conjoined(item: _Item) -> bool:
    """An item that adds a term to the bound before it (``>=2.0 <2.5``, ``>= A and < B``)."""
    return item.operator not in (None, "==") and not (item.connected or item.alternative)


def _lower(item: _Item) -> Bound:
    if item.operator is not None:
        return _bound(item)
    return (">" if item.mark == "exc" else ">="), item.version


def _upper(item: _Item) -> Bound:
    if item.operator is not None:
        return _bound(item)
    if item.wildcard:
        return "<", _next_line(item.version)
    return ("<" if item.mark == "exc" else "<="), item.version


def _bound(item: _Item) -> Bound:
    """An item's (operator, version); a wildcard bound covers its whole line."""
    operator = item.operator or "=="
    if not item.wildcard:
        return operator, item.version
    if operator in (">", ">="):
        return ">=", item.version
    if operator in ("<", "<="):
        return "<", _next_line(item.version)  # "< 8.1x": the wider reading, 8.1.* included
    raise RangeError("a wildcard version after ==")


def _next_line(version: str) -> str:
    """The version after a wildcard's line: ``12.2`` (from ``12.2.*``) -> ``12.3``."""
    match = re.fullmatch(r"(.*?)([0-9]+)", version)
    if match is None:
        raise RangeError("a wildcard after no number")
    return f"{match.group(1)}{int(match.group(2)) + 1}"


def _inside(version: Version, interval: Interval) -> bool:
    lower, upper = interval
    above = lower is None or version > Version(lower[1])
    below = upper is None or version < Version(upper[1])
    return above and below
