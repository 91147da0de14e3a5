"""Recognising credentials (REG-004), and keeping them out of every output.

Pure functions over text and plain data, importing nothing of the package: the YAML reader, the
rules and every output use them. Nothing here returns a secret, only where one is and what kind
of thing it is.

:func:`looks_secret` is the one check every output applies to a value it echoes: through
:func:`shown` (one value), :func:`redact_lines` (a text, line by line) or :class:`Scrubber` (the
values of a register that look secret, taken out of any message quoting them).
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

REDACTED = "(redacted)"
"""Shown instead of a value or a line that is, or looks like, a credential."""

# --- keys -----------------------------------------------------------------------------------------

_KEY_WORDS = frozenset(
    {
        # controls.md REG-004
        *("password", "passwd", "pwd", "pass", "passcode", "passphrase", "pin", "secret"),
        *("token", "psk", "wpa", "community", "credential", "kennwort", "apikey"),
        # beyond the contract: plurals, abbreviations, and the languages the README lists
        *("passwords", "secrets", "tokens", "pw", "passwort", "zugangsdaten", "zugangscode"),
        *("motdepasse", "mdp", "contraseña", "contrasena", "senha", "wachtwoord", "lösenord"),
        *("losenord", "passord", "adgangskode", "salasana", "hasło", "haslo", "密码", "口令"),
        *("パスワード", "暗証番号"),
    }
)
"""Words that make a key name a credential (whole words of the key, any case)."""
_CODE_WORDS = ("access", "door", "alarm", "unlock", "entry")
_KEY_PAIRS = frozenset(
    {
        *(
            (word, "key")
            for word in (
                *("api", "access", "secret", "private", "encryption", "wifi", "wlan", "wep"),
                *("network", "shared", "preshared", "account", "master", "auth", "session"),
                *("signing", "recovery", "license", "licence", "product", "activation"),
                *("storage", "client"),
            )
        ),
        *((word, "code") for word in _CODE_WORDS),
    }
)
"""Two words in a row that make a key name a credential (``api_key``, ``access-code``)."""
_COMPOUND_ENDS = ("passwort", "kennwort", "schlüssel", "schluessel")
"""German compounds: ``Gerätepasswort``, ``WLAN-Schlüssel``, ``Netzwerkschlüssel``."""
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_KEY_SPLIT = re.compile(r"[\W_]+")


def _parts(key: str) -> list[str]:
    """The words of a key name, lower case: split at ``_``, ``-``, spaces and other punctuation,
    between camelCase words, and before trailing digits (``dbPassword2`` -> db, password; but
    ``PIN80``, a short word with a number, stays one word)."""
    words: list[str] = []
    for chunk in _KEY_SPLIT.split(key):
        pieces = _CAMEL.findall(chunk) if chunk.isascii() else [chunk.rstrip("0123456789")]
        for piece in pieces:
            if not piece.isdigit():
                words.append(piece.lower())
            elif words and len(words[-1]) <= 3 and len(piece) >= 2:
                words[-1] += piece  # PIN80, PSK31: a model, not a pin; pin1, wpa2 stay words
    return words


@functools.lru_cache(maxsize=1 << 12)
def is_secret_key(key: str) -> bool:
    """True when the key name ``key`` names a credential: one of its words is a word of
    :data:`_KEY_WORDS` (``db_password``, ``wifiPSK``, ``aws_secret_access_key``), two of them
    a pair such as ``api_key``, ``access_key``, ``private_key`` (``aws_access_key_id``), or a
    German compound ends in ``passwort``/``kennwort``/``schlüssel``."""
    parts = _parts(key)
    if not parts:
        return False
    if any(p in _KEY_WORDS or (p.endswith(_COMPOUND_ENDS) and p not in _WEAK) for p in parts):
        return True
    if ("mot", "de", "passe") in set(zip(parts, parts[1:], parts[2:], strict=False)):
        return True
    if any(p in ("schlüssel", "schluessel") for p in parts[1:]):  # WLAN-Schlüssel
        return True
    return not _KEY_PAIRS.isdisjoint(itertools.pairwise(parts))


_EMPTY = frozenset({"", "~", "null", "none", "[]", "{}", REDACTED, "<redacted>", "[redacted]"})
_MASK = re.compile(r"[*•xX.]{3,}")
"""A masked value (``****``, ``xxx``): not a credential."""


def is_empty_value(value: Any) -> bool:
    """True for a missing, blank or masked value (``null``, ``~``, ``""``, ``****``, an empty
    list or mapping)."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1].strip()  # a quoted blank, as the text scan sees it
        return text.lower() in _EMPTY or bool(_MASK.fullmatch(text))
    if isinstance(value, dict | list):
        return len(value) == 0
    return False


# --- text -----------------------------------------------------------------------------------------

_SEPARATOR = "(?::=|=>|[:=：＝])"
# The value is only looked at (lookahead), never consumed, so a later ``key: value`` on the same
# line (a comment after a field, ``password=x`` inside a free-text value) is still found.
_ASSIGNMENT = re.compile(
    rf"""(?:^|(?<=[\s#{{,?&;(\-/\[|]))["']?([\w-]+)["']?[ \t]*{_SEPARATOR}[ \t]*(?=(.*))"""
)
_KEY_POSITION = re.compile(r"""[ \t]*(?:-[ \t]+)*["']?""")
"""What may stand before a key at the start of a YAML line (indentation, list dashes)."""
_WEAK = frozenset({"key", "schlüssel", "schluessel", "clave", "clé", "chiave"})
"""Words that name a credential in free text (``key: x``) but not as a key of their own."""
_CJK_WORDS = frozenset({"密码", "口令", "パスワード", "暗証番号"})
_LATIN_NOUNS = "|".join(
    [
        *sorted((re.escape(w) for w in _KEY_WORDS - _CJK_WORDS), key=len, reverse=True),
        r"wpa[23]",
        r"(?:api|access|secret|private|encryption|wi-?fi|wlan|wep|wpa[23]?|network|"
        r"pre-?shared|shared|account|master|auth|session|signing|recovery|licen[cs]e|product|"
        r"activation|storage|client)[\s_-]+key",
        rf"(?:{'|'.join(_CODE_WORDS)}|pin)[\s_-]+code",
        r"mot[\s_-]+de[\s_-]+passe",
        r"(?:cl[ée]|clave|chiave)(?:[\s_-]+(?:de[\s_-]+)?(?:wi-?fi|wpa[23]?|wep|api|r[ée]seau|red|"
        r"rete|acceso|d'acc[èe]s))",
        r"\w*(?:passwort|kennwort)|\w+-?schl(?:ü|ue)ssel",
        *sorted(_WEAK, key=len, reverse=True),
    ]
)
_PHRASE = re.compile(
    rf"""(?<![\w])(?P<noun>{_LATIN_NOUNS})(?![\w])|(?P<cjk>{"|".join(_CJK_WORDS)})""",
    re.IGNORECASE,
)
_QUALIFIER = (
    r"""[ \t]+(?:for|of|to|on|für|fuer|von|vom|zum|zur|de|du|des|pour|para|do|da|voor|van|för|"""
    r"""til|av|dla)(?:[ \t]+[^\s:=：＝,;.!?]+){1,3}?"""
)
"""``password for the HMI is x``: up to three words saying what the credential is for."""
_VERB = (
    r"""[ \t]+(?:is|was|are|were|reads|ist|lautet|lautete|war|heißt|est|était|es|era|é|är|"""
    r"""var|er|on|oli|jest|brzmi|luidt)(?:[ \t]+(?:now|still|currently|jetzt|noch|immer|"""
    r"""set[ \t]+to|changed[ \t]+to|auf))?[ \t]+(?P<word>\S+)"""
)
_AFTER_NOUN = re.compile(
    rf"""(?P<qualifier>{_QUALIFIER})??(?:{_VERB}|[ \t]*(?:\([^)\n]{{0,40}}\)[ \t]*)?"""
    rf"""{_SEPARATOR}[ \t]*(?P<value>.*))""",
    re.IGNORECASE,
)
"""What follows a credential's name in prose: a verb and a word, or a separator and a value."""
_ACCOUNT_WORDS = (
    "admin|administrator|root|user|guest|operator|service|support|default|superuser|sysadmin|"
    "ubnt|pi|sa"
)
_LOGIN_PAIR = re.compile(
    rf"""(?:^|(?<=[\s(:,'"]))({_ACCOUNT_WORDS})\s*/\s*([^\s/,;:()\[\]{{}}]+)""",
    re.IGNORECASE,
)
"""``admin/admin``, ``root/1234``: a user name and a password written as a pair in free text."""
_COLON_WORDS = "admin|administrator|root|user|guest|superuser|sysadmin|ubnt"
_COLON_PAIR = re.compile(
    rf"""(?:^|(?<=[\s(,'"]))({_COLON_WORDS})[:：](?![\s/])([^\s,;()\[\]{{}}'"]+)""",
    re.IGNORECASE,
)
"""``admin:Pa55``: a user name and a password written with a colon (no space: not YAML)."""
_ROLE_WORDS = frozenset(_ACCOUNT_WORDS.split("|")) | {"viewer", "operators", "users", "staff"}
_DEFAULT_PASSWORDS = frozenset(
    {
        *("password", "passw0rd", "pass", "changeme", "toor", "raspberry", "secret", "public"),
        *("private", "letmein", "welcome", "cisco", "manager", "system", "master", "test"),
        *("1234", "12345", "123456", "0000", "kennwort", "passwort"),
    }
)
"""Factory passwords a user/password pair may name in plain words (``admin/password``); role
words (``admin/operator``) are not among them."""
_PRIVATE_KEY = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d")
_PUBLIC_BLOCK = re.compile(
    r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|"
    r"X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST|SSH2 PUBLIC KEY)-----"
)
_PEM_MARKER = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]+-----")
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?!mailto:)[^\s/@:]*:[^\s/@]+@")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern))
    for what, pattern in (
        (
            "an AWS access key id",
            r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)"
            r"[A-Z0-9]{16}(?![A-Z0-9])",
        ),
        ("a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_\w{22,251})"),
        ("a GitLab token", r"\bgl(?:pat|dt|rt|ptt|ft|soat|cbt)-[\w-]{20,}"),
        ("a Slack token", r"\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"),
        ("a Slack webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/[\w/]{20,}"),
        ("a Discord webhook", r"discord(?:app)?\.com/api/webhooks/\d+/[\w-]{20,}"),
        ("a Google API key", r"\bAIza[\w-]{35}"),
        ("a Google OAuth client secret", r"\bGOCSPX-[\w-]{28}"),
        ("a JSON web token", r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*"),
        (
            "a Bearer token",
            r"(?i:\bbearer)[ \t]+(?=[^\s'\",;:!?)]*[0-9_~+/=-])[^\s'\",;:!?)]{8,}",
        ),
        ("a Stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("an API key of the sk- form (OpenAI, Anthropic)", r"\bsk-(?:[a-z]+-)*[\w-]{32,}"),
        ("an npm token", r"\bnpm_[A-Za-z0-9]{36}"),
        ("a PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[\w-]{50,}"),
        ("a SendGrid key", r"\bSG\.[\w-]{22}\.[\w-]{43}"),
        ("a Twilio key", r"\bSK[0-9a-fA-F]{32}\b"),
        ("a Telegram bot token", r"(?<!\d)\d{8,10}:AA[\w-]{33}"),
        ("a HashiCorp Vault token", r"\bhv[sbr]\.[\w-]{24,}"),
        ("a DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}"),
        ("a Shopify token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
        ("a Docker Hub token", r"\bdckr_pat_[\w-]{20,}"),
        ("a Hugging Face token", r"\bhf_[A-Za-z]{34}\b"),
        ("a Databricks token", r"\bdapi[a-f0-9]{32}"),
        ("an Alibaba Cloud key", r"\bLTAI[A-Za-z0-9]{20}\b"),
        ("an Atlassian token", r"\bATATT3[\w=-]{100,}"),
        ("an age secret key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}"),
        ("a password hash", r"\$(?:2[abxy]?|1|5|6|y|argon2(?:id|i|d))\$[^\s$]+\$[^\s$]{8,}"),
    )
)
"""Well-known token formats (after the gitleaks and detect-secrets rule sets), found anywhere."""
_BASIC = re.compile(r"(?i:\bbasic)[ \t]+([A-Za-z0-9+/]{6,}={0,2})(?![\w+/=])")
_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST_NAME = re.compile(r"(?i)(?:sha|md)[0-9]*[-_:=]")
_DIGEST_BEFORE = re.compile(r"(?i)(?:sha|md)[0-9]*[-_:=][ \t]*\Z")
"""``sha256:``, ``sha512-`` (subresource integrity), ``md5=``: what names a digest."""
_HINTS = (
    *("pw", "pass", "pin", "secret", "token", "psk", "wpa", "communit", "kennwort", "key"),
    *("code", "zugangs", "mdp", "contrase", "senha", "wachtwoord", "senord", "kode", "salasana"),
    *("hasło", "haslo", "schl", "clave", "clé", "chiave", "bearer", "basic", "xox", "_v1_"),
    *("shp", "hf_", "dapi", "$", "putty", *_CJK_WORDS),
)
"""Lower-case pieces of text, one of which every credential contains but the word credential,
user/password pairs, a URL's user:password and the tokens of long random-looking runs (those are
checked apart)."""
_PAIR_HINTS = (
    *(f"{word}{sep}" for word in _ACCOUNT_WORDS.split("|") for sep in ("/", " /")),
    *(f"{word}{sep}" for word in _COLON_WORDS.split("|") for sep in (":", "：")),
)
_HINT_PATTERN = re.compile(
    "|".join(re.escape(hint) for hint in sorted({*_HINTS, *_PAIR_HINTS}, key=len, reverse=True))
)
"""Any of the hints, in lower-case text: one search instead of a test per hint."""
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_-]{16,}|[A-Za-z0-9+/]{8,}=")
"""Runs that may be a token or a random key (checked further when they hold a digit and a
capital letter, or end in base64 padding)."""


def may_hold_secret(text: str) -> bool:
    """False when ``text`` certainly holds no credential: the fast path for almost every file,
    made of plain substring searches and one scan for long runs of token characters."""
    low = text.lower()
    if _HINT_PATTERN.search(low):
        return True
    if low.count("credential") != low.count("credentials"):
        return True
    if "://" in low and "@" in low:  # a URL's user:password
        return True
    return any(
        run.endswith("=") or (run.lower() != run and any(c.isdigit() for c in run))
        for run in _CANDIDATE.findall(text)
    )


def _mixed(run: str) -> bool:
    """True when ``run`` has upper- and lower-case letters and digits."""
    return run.lower() != run and run.upper() != run and any(c.isdigit() for c in run)


def _text_value(raw: str) -> str:
    """The value part of ``key: value`` text, without a trailing comment."""
    return re.split(r"\s#", raw, maxsplit=1)[0].strip()


_NAME = re.compile(r"[\w-]+")


def _key_label(key: str) -> str:
    """``key`` as a message names it: as written when it is shaped like a field name, else
    generically (a key can be a secret too)."""
    if len(key) <= 40 and _NAME.fullmatch(key) and not _token_hits(key) and not _random_runs(key):
        return f"'{key}'"
    return "a credential key"


def _passwordish(token: str) -> bool:
    """True when a word after ``password is`` looks like the password itself rather than prose:
    quoted, or holding a digit, a symbol or a capital letter after a small one."""
    if len(token) >= 3 and token[0] in "'\"„«`" and token[-1] in "'\"“”»`":
        return not is_empty_value(token[1:-1])
    word = token.strip(".,;:!?)]}(['\"")
    if len(word) < 3 or is_empty_value(word):
        return False
    if word.isdigit():
        return len(word) >= 4
    if any(c.isdigit() for c in word) or re.search(r"[a-z][A-Z]", word):
        return True
    return bool(re.search(r"[^\w\s.,'-]", word))


def _phrase_hits(line: str) -> bool:
    """True when ``line`` holds a credential written in prose: ``the WPA2 key is x``, ``Kennwort
    lautet x``, ``password for the HMI: x``, ``WLAN key: x``, ``mot de passe : x``."""
    for match in _PHRASE.finditer(line):
        after = _AFTER_NOUN.match(line, match.end())
        if after is None:
            continue
        if after.group("word") is not None:
            if _passwordish(after.group("word")):
                return True
            continue
        if is_empty_value(_text_value(after.group("value"))):
            continue
        noun = match.group("noun") or ""
        single = match.group("cjk") is None and not re.search(r"\s", noun)
        if (
            single
            and not after.group("qualifier")
            and (is_secret_key(noun) or noun.lower() in _WEAK)
        ):
            continue  # the key: value scan reports it
        return True
    return False


def _token_hits(text: str) -> list[str]:
    found = [what for what, pattern in _TOKENS if pattern.search(text)]
    if any(_is_basic(m.group(1)) for m in _BASIC.finditer(text)):
        found.append("a Basic authorization")
    return found


def _is_basic(blob: str) -> bool:
    """True when ``blob`` is base64 of ``user:password`` (HTTP Basic authorization)."""
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    _, colon, password = decoded.partition(":")
    return bool(colon and password) and decoded.isprintable()


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _random_runs(text: str) -> bool:
    """True when ``text`` holds a random-looking string of credential length: a run of base64
    characters (``A-Z a-z 0-9 + / _ -``) of at least 20 (16 before ``=`` padding), mixing
    capitals, small letters and digits, with a Shannon entropy of at least
    min(0.85 log2(length), 4.2) bits per character; or base64 of ``user:password``. Hex
    strings (digests, fingerprints), runs after ``sha256:`` and the like, paths and URLs are
    not."""
    text = _URL.sub(" ", text)
    for match in _RUN.finditer(text):
        run = match.group()
        core = run.rstrip("=")
        before = text[max(0, match.start() - 8) : match.start()]
        if _DIGEST_BEFORE.search(before) or _DIGEST_NAME.match(run):
            continue
        if len(core) >= 8 and run.endswith("=") and _is_basic(core):
            return True
        if len(core) < (16 if run.endswith("=") else 20) or _HEX.fullmatch(core):
            continue
        if not _mixed(core) or _path_like(core) or _wordy(core):
            continue
        if _entropy(core) >= min(0.85 * math.log2(len(core)), 4.2):
            return True
    return False


def _wordy(run: str) -> bool:
    """True for names made of words (``Schneider_Electric_ATV320_DTM_Library_V1``,
    ``sqlite3ExprCodeTarget``, ``WS65_Security_Update2``): the letter runs between capitals,
    digits and separators are four letters long on average; in a random string they are one or
    two."""
    letters = [w for w in _CAMEL.findall(run) if not w.isdigit()]
    return bool(letters) and sum(map(len, letters)) >= 4 * len(letters)


def _path_like(run: str) -> bool:
    """True for a file path or dotted/dashed words (most parts lower case, digits or empty)."""
    parts = re.split(r"[/_-]", run)
    if len(parts) < 2:
        return False
    plain = sum(1 for p in parts if not p or p.islower() or p.isdigit() or p.isupper())
    return plain * 2 > len(parts) and all(len(p) < 16 for p in parts)


@functools.lru_cache(maxsize=1 << 16)
def _line_hits(line: str, random_runs: bool = True) -> tuple[str, ...]:
    """What credentials ``line`` holds (kinds, never values); ``random_runs=False`` inside a
    public key or certificate block, whose base64 is no secret. Registers repeat lines (the
    same keys and values across devices and advisories), so each distinct line is read once."""
    if not may_hold_secret(line):
        return ()
    hits: list[str] = []
    if _PRIVATE_KEY.search(line):
        hits.append("a private key block")
    if _URL_USERINFO.search(line):
        hits.append("a user:password in a URL")
    for match in _ASSIGNMENT.finditer(line):
        key, value = match.group(1), _text_value(match.group(2))
        if is_empty_value(value):
            continue
        weak = key.lower() in _WEAK and not _KEY_POSITION.fullmatch(line[: match.start()])
        if weak or is_secret_key(key):
            hits.append(f"a value for {_key_label(key)}")
    if _phrase_hits(line):
        hits.append("a credential written in text")
    pairs = itertools.chain(_LOGIN_PAIR.finditer(line), _COLON_PAIR.finditer(line))
    if any(_is_login_pair(m.group(1), m.group(2)) for m in pairs):
        hits.append("a user name and password pair in text")
    hits.extend(_token_hits(line))
    if random_runs and not hits and _random_runs(_PUBLIC_SPANS.sub(" ", line)):
        hits.append("a random-looking key or token")
    return tuple(dict.fromkeys(hits))


_PUBLIC_SPANS = re.compile(_PUBLIC_BLOCK.pattern + r".*?(?:-----END [A-Z0-9 ]+-----|$)")


def scan_text(text: str) -> Iterator[tuple[int, str]]:
    """(line, what) for every credential-looking text, comments included."""
    public = False
    # Lines end at LF only, as the loader counts them (splitlines() would also break at U+2028,
    # form feeds ..., shifting every later line number).
    for number, line in enumerate(text.split("\n"), start=1):
        for what in _line_hits(line, random_runs=not public):
            yield number, what
        for marker in _PEM_MARKER.finditer(line):  # inside a public block after this line?
            public = marker.group(1) == "BEGIN" and bool(_PUBLIC_BLOCK.match(marker.group()))


@functools.lru_cache(maxsize=1 << 16)
def looks_secret(text: str) -> bool:
    """True when REG-004's text scan would find a credential in ``text``: the one check every
    output applies before echoing a value."""
    return may_hold_secret(text) and any(True for _ in scan_text(text))


def shown(value: str) -> str:
    """``value``, or :data:`REDACTED` when it looks like a credential."""
    return REDACTED if looks_secret(value) else value


def quoted(value: str) -> str:
    """``'value'`` as a message quotes it, or :data:`REDACTED` when it looks like a
    credential."""
    return REDACTED if looks_secret(value) else f"'{value}'"


def redact_lines(text: str) -> str:
    """``text`` with each line that looks like it holds a credential replaced by
    :data:`REDACTED` (its indentation kept), as history redacts a value."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + REDACTED if looks_secret(line) else line
        for line in text.split("\n")
    )


def _is_login_pair(first: str, second: str) -> bool:
    """True when the part after ``admin/`` is a password rather than another word: the account
    name again (``admin/admin``), a well-known default password (``admin/password``,
    ``pi/raspberry``), or a word with a digit, a symbol or a capital after a small letter
    (``root/1234``, ``admin/Passw0rd``); not ``admin/operator``, ``service/sales``."""
    word = second.strip(".,;:'\")")
    if not word:
        return False
    if word.lower() == first.lower() or word.lower() in _DEFAULT_PASSWORDS:
        return True
    return word.lower() not in _ROLE_WORDS and _passwordish(word)


# --- data -----------------------------------------------------------------------------------------


def scan_data(data: Any) -> Iterator[tuple[int, str]]:
    """(line, what) for every key naming a credential that holds a non-empty value (``data``:
    the loader's mappings, which know the line of each key, and lists)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            lines: Mapping[str, int] = getattr(node, "key_lines", {})
            for key, value in node.items():
                if is_secret_key(key) and not is_empty_value(value):
                    yield lines.get(key, 1), f"a value for {_key_label(key)}"
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def hidden_values(data: Any) -> set[str]:
    """Every text of ``data`` no output may show: keys and values that look like credentials,
    and the values under keys naming one (four characters or more: shorter ones would hide
    ordinary words of messages)."""
    found: set[str] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, secret = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if looks_secret(str(key)):
                    found.add(str(key))
                stack.append((value, secret or is_secret_key(str(key))))
        elif isinstance(node, list):
            stack.extend((item, secret) for item in node)
        elif node is not None:
            text = str(node)
            if (secret and len(text.strip()) >= 4) or looks_secret(text):
                found.add(text)
    return found


class Scrubber:
    """Takes given texts (the :func:`hidden_values` of a register) out of messages: each
    occurrence, in any case, also trimmed or with its spaces collapsed, becomes
    :data:`REDACTED`."""

    def __init__(self, values: Iterable[str]) -> None:
        variants = {v for value in values for v in (value, value.strip(), " ".join(value.split()))}
        variants.discard("")
        ordered = sorted(variants, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(v) for v in ordered), re.IGNORECASE) if ordered else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        """``text`` without any of the values."""
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def data(self, node: Any) -> Any:
        """JSON-like ``node`` with every text (keys included) scrubbed."""
        if self._pattern is None:
            return node
        if isinstance(node, str):
            return self(node)
        if isinstance(node, dict):
            return {self.data(k): self.data(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [self.data(item) for item in node]
        return node
