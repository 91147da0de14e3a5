"""Downloads for the fetch: httpx, TLS verified against the system trust store, bounded.

Every download is one GET with a timeout, retried with exponential backoff on a timeout, a
connection error, HTTP 429 or 5xx (at most ``retries`` times; ``Retry-After`` is honoured up to
:data:`MAX_RETRY_AFTER`), cut off at ``max_bytes``, and may carry ``If-None-Match`` /
``If-Modified-Since``. Redirects are followed by hand (at most :data:`MAX_REDIRECTS`) so that
each hop is checked *before* it is requested: it must stay on the host it was pinned to, and
plain ``http://`` is allowed only for a loopback address or with ``allow_http``. Proxies come
from the environment (``HTTPS_PROXY``, ``NO_PROXY`` ...), as httpx reads them. Certificates are
checked by :mod:`truststore` (the operating system's trust store, so a corporate CA installed
there works; on Linux, OpenSSL's defaults, so ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` apply).
"""

from __future__ import annotations

import email.utils
import ipaddress
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import truststore

import iotpolicy

MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0
"""Longest wait a server's ``Retry-After`` may ask for, in seconds."""
_RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})


class FetchError(Exception):
    """A download failed; the message says why in one line (never a credential: URLs are shown
    without user info or query)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status, when the server answered with an error."""


class _Retry(Exception):
    """A failure worth another attempt."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True, slots=True)
class Response:
    """A completed download: 200 with its body, or 304 (not modified, no body)."""

    url: str
    """Where it was finally served from (after redirects)."""
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None


def shown(url: str | httpx.URL) -> str:
    """A URL as printed: without user info, query or fragment."""
    try:
        parsed = httpx.URL(str(url))
        return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return str(url).split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]


def host_of(url: str) -> str:
    """The host name of ``url``, lower case (no port)."""
    return httpx.URL(url).host.lower()


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and the loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Http:
    """One HTTP client for a whole fetch, shared by its threads; at most ``parallel``
    connections are open (so requests in flight) at a time."""

    def __init__(
        self,
        *,
        timeout: float,
        retries: int,
        parallel: int,
        allow_http: bool,
        backoff: float = 1.0,
    ) -> None:
        self.retries = retries
        self.allow_http = allow_http
        self.backoff = backoff
        self.timeout = timeout
        self._client = httpx.Client(
            verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=True,
            limits=httpx.Limits(max_connections=parallel, max_keepalive_connections=parallel),
            headers={"User-Agent": f"iotpolicy/{iotpolicy.__version__}"},
        )

    def close(self) -> None:
        """Close every connection."""
        self._client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_url(self, url: str, host: str | None) -> None:
        """FetchError unless ``url`` may be requested: http(s) only, plain http only for a
        loopback address (or ``allow_http``), and on ``host`` when one is given."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise FetchError(f"{url!r} is not a URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchError(f"{shown(url)}: not an https:// URL")
        if parsed.scheme == "http" and not (self.allow_http or is_loopback(parsed.host)):
            raise FetchError(f"{shown(url)}: plain http:// is refused (use https, or --allow-http)")
        if host is not None and parsed.host.lower() != host:
            raise FetchError(f"{shown(url)}: on another host than the provider metadata ({host})")

    def get(
        self,
        url: str,
        *,
        host: str | None,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """Download ``url`` (see the module's docstring); FetchError when it cannot be had."""
        self.check_url(url, host)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return self._get_once(url, host, max_bytes, headers)
            except _Retry as exc:
                if attempt + 1 == attempts:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise FetchError(f"{shown(url)}: {exc}{tries}") from None
                time.sleep(exc.wait if exc.wait is not None else self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(
        self, url: str, host: str | None, max_bytes: int, headers: dict[str, str]
    ) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    if response.has_redirect_location:
                        target = str(response.url.join(response.headers["location"]))
                        try:
                            self.check_url(target, host)
                        except FetchError as exc:
                            raise FetchError(f"{shown(url)}: redirected to {exc}") from None
                        url = target
                        continue
                    return self._read(url, response, max_bytes)
            except httpx.TimeoutException:
                raise _Retry(f"no answer within {self.timeout:g} s") from None
            except httpx.ConnectError as exc:
                if _is_certificate_error(exc):
                    raise FetchError(f"{shown(url)}: TLS certificate not trusted") from None
                raise _Retry(f"cannot connect ({_first_line(exc)})") from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise _Retry(f"transfer failed ({_first_line(exc)})") from None
        raise FetchError(f"{shown(url)}: more than {MAX_REDIRECTS} redirects")

    def _read(self, url: str, response: httpx.Response, max_bytes: int) -> Response:
        status = response.status_code
        if status in _RETRIED_STATUS:
            raise _Retry(f"HTTP {status}", _retry_after(response.headers.get("retry-after")))
        if status not in (200, 304):
            raise FetchError(f"{shown(url)}: HTTP {status}", status)
        body = b""
        if status == 200:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{shown(url)}: larger than {_size(max_bytes)}; not downloaded")
            chunks = bytearray()
            for chunk in response.iter_bytes():
                chunks += chunk
                if len(chunks) > max_bytes:
                    raise FetchError(f"{shown(url)}: larger than {_size(max_bytes)}; cut off")
            body = bytes(chunks)
        return Response(
            url=str(response.url),
            status=status,
            body=body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (capped), None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), MAX_RETRY_AFTER))
