"""A CSAF provider served from 127.0.0.1 for the fetch tests: the reference tools' layouts in
tests/data/csaf-providers with ``{{.URL}}`` replaced by the server's base URL, over HTTP or HTTPS
(a trustme CA), with ETags, a request log, and misbehaviours on demand (errors, redirects,
silence, huge bodies). It listens on loopback only and every handler ends by itself."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pysequoia
import trustme

PROVIDERS = Path(__file__).resolve().parents[1] / "data" / "csaf-providers"
PRIVATE_KEY = PROVIDERS / "simple-rolie-provider" / "openpgp" / "privkey.asc"
FINGERPRINT = "A8914CA2F11139C6A69A0018FB3CD9B15DE61596"
CSAF_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
LONGEST_WAIT = 8.0
"""A silent handler gives up after this many seconds (or when the server stops)."""

Behaviour = Callable[["Handler"], None]


def signer(key: pysequoia.Cert) -> pysequoia.PySigner:
    """The signer of a certificate holding its secret key (read as a Cert, not a Tsk: that
    works from pysequoia 0.1.32, the floor, to now; 0.1.35 warns it is deprecated)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        secrets = key.secrets
    assert secrets is not None
    return secrets.signer()


def secret_key(path: Path = PRIVATE_KEY) -> pysequoia.Cert:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pysequoia.Cert.from_file(str(path))


def new_key(user_id: str) -> pysequoia.Cert:
    """A new key pair (public part: ``str(key)``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pysequoia.Cert.generate(user_id)


def sign(data: bytes, key: pysequoia.Cert | None = None) -> bytes:
    """A detached, armored OpenPGP signature of ``data`` (by the provider's test key unless
    another ``key`` is given)."""
    chosen = key or secret_key()
    return pysequoia.sign(signer(chosen), data, mode=pysequoia.SignatureMode.DETACHED)


def other_key_signature(data: bytes) -> bytes:
    """A valid signature of ``data`` by a key no feed pins."""
    return sign(data, new_key("mallory@example.com"))


def digest_line(data: bytes, algorithm: str, name: str) -> bytes:
    """A ``.sha256``/``.sha512`` file as sha512sum writes it."""
    return f"{hashlib.new(algorithm, data).hexdigest()}  {name}\n".encode()


class Handler(BaseHTTPRequestHandler):
    """Serves the site's files; a path with a behaviour gets that instead."""

    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("?", 1)[0]
        with site.lock:
            site.log.append((path, self.headers.get("If-None-Match")))
            site.inflight += 1
            site.max_inflight = max(site.max_inflight, site.inflight)
        try:
            if site.delay:
                time.sleep(site.delay)
            behaviour = site.behaviours.get(path)
            if behaviour is not None:
                behaviour(self)
            else:
                self.serve(path)
        finally:
            with site.lock:
                site.inflight -= 1

    def serve(self, path: str) -> None:
        body = self.server.site.files.get(path)
        if body is None:
            self.reply(404, b"not found")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.reply(200, body, {"ETag": etag})

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Site:
    """What a server serves: path -> bytes, behaviours, and what it was asked."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.log: list[tuple[str, str | None]] = []
        """(path, If-None-Match) of every request, in order."""
        self.lock = threading.Lock()
        self.inflight = 0
        self.max_inflight = 0
        self.delay = 0.0
        self.stopping = threading.Event()

    def requested(self, path: str) -> int:
        """How often ``path`` was asked for."""
        return sum(1 for p, _ in self.log if p == path)

    def documents_requested(self) -> list[str]:
        """The CSAF documents (not their hashes or signatures, nor listings) asked for."""
        return [
            p
            for p, _ in self.log
            if p.startswith("/white/") and p.endswith(".json") and not p.endswith("feed.json")
        ]


class Server(ThreadingHTTPServer):
    """One site on 127.0.0.1, HTTP or HTTPS."""

    daemon_threads = True

    def __init__(self, site: Site, ca: trustme.CA | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.site = site
        self.scheme = "https" if ca else "http"
        if ca is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            self.socket = context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        """The TLS handshake, in the connection's own thread (done while accepting, one slow
        client would hold up every other), without delayed small writes."""
        # headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK hold every response back 40 ms
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(request, ssl.SSLSocket):
            request.settimeout(LONGEST_WAIT)
            try:
                request.do_handshake()
            except (OSError, ssl.SSLError):
                return
            request.settimeout(None)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (a capped download does) is no error worth printing."""

    def stop(self) -> None:
        self.site.stopping.set()
        self.shutdown()
        self.server_close()


class Provider:
    """A CSAF provider on a server: one of the two reference layouts, to which the tests add
    documents (hashed and signed with the provider's key unless told otherwise)."""

    def __init__(self, server: Server, layout: str, *, sha256: bool = True, sha512: bool = True):
        self.server, self.layout = server, layout
        self.site = server.site
        folder = PROVIDERS / f"simple-{layout}-provider"
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = path.read_bytes().replace(b"{{.URL}}", server.url.encode())
            self.site.files["/" + path.relative_to(folder).as_posix()] = text
        self.site.files["/.well-known/csaf/provider-metadata.json"] = self.metadata_bytes
        if layout == "rolie":
            feed = self.site.files["/white/white-feed.json"].decode()
            for name, keep in (("EnableSha256", sha256), ("EnableSha512", sha512)):
                pattern = r"\{\{if \." + name + r"\}\}(.*?)\{\{end\}\}"
                feed = re.sub(pattern, r"\1" if keep else "", feed, flags=re.S)
            feed = re.sub(r",(\s*\])", r"\1", feed)  # the comma a dropped last link leaves
            self.site.files["/white/white-feed.json"] = feed.encode()

    @property
    def metadata_url(self) -> str:
        return f"{self.server.url}/provider-metadata.json"

    @property
    def metadata_bytes(self) -> bytes:
        return self.site.files["/provider-metadata.json"]

    def metadata(self) -> dict[str, Any]:
        return json.loads(self.metadata_bytes)

    def set_metadata(self, data: dict[str, Any]) -> None:
        raw = json.dumps(data, indent=2).encode()
        self.site.files["/provider-metadata.json"] = raw
        self.site.files["/.well-known/csaf/provider-metadata.json"] = raw

    def add(
        self,
        data: bytes,
        *,
        name: str | None = None,
        changed: str | None = None,
        signature: bytes | None = None,
        hashes: tuple[str, ...] = ("sha256", "sha512"),
        listed_url: str | None = None,
    ) -> str:
        """Publish ``data`` as ``/white/NAME`` (default: its tracking id in lower case + .json),
        listed as changed on ``changed`` (default: its current_release_date); returns the path."""
        tracking = json.loads(data)["document"]["tracking"]
        name = name or f"{tracking['id'].lower()}.json"
        changed = changed or tracking["current_release_date"]
        path = f"/white/{name}"
        self.site.files[path] = data
        for algorithm in hashes:
            self.site.files[f"{path}.{algorithm}"] = digest_line(data, algorithm, name)
        self.site.files[f"{path}.asc"] = sign(data) if signature is None else signature
        href = listed_url or path
        if self.layout == "rolie":
            feed = json.loads(self.site.files["/white/white-feed.json"])
            links = [{"rel": "self", "href": href}]
            links += [{"rel": "hash", "href": f"{href}.{a}"} for a in hashes]
            links.append({"rel": "signature", "href": f"{href}.asc"})
            feed["feed"]["entry"].append(
                {
                    "id": tracking["id"],
                    "title": json.loads(data)["document"]["title"],
                    "link": links,
                    "published": changed,
                    "updated": changed,
                    "content": {"type": "application/json", "src": href},
                    "format": {"schema": CSAF_SCHEMA, "version": "2.0"},
                }
            )
            self.site.files["/white/white-feed.json"] = json.dumps(feed, indent=2).encode()
        else:
            line = f'"{href.removeprefix("/white/")}","{changed}"\n'.encode()
            self.site.files["/white/changes.csv"] = line + self.site.files["/white/changes.csv"]
        return path

    def delete(self, path: str) -> None:
        del self.site.files[path]


def fail_then_serve(failures: int, status: int = 500) -> Behaviour:
    """Answer ``status`` the first ``failures`` times, then serve the file."""
    count = {"n": 0}

    def behave(handler: Handler) -> None:
        count["n"] += 1
        if count["n"] <= failures:
            handler.reply(status, b"try again")
        else:
            handler.serve(handler.path)

    return behave


def redirect_to(url: str) -> Behaviour:
    def behave(handler: Handler) -> None:
        handler.reply(302, b"", {"Location": url})

    return behave


def silent(handler: Handler) -> None:
    """Accept the request and never answer (until the server stops, or LONGEST_WAIT)."""
    handler.server.site.stopping.wait(LONGEST_WAIT)


def huge_body(size: int) -> Behaviour:
    """A body of ``size`` bytes sent without a Content-Length (read until the connection
    closes), so only counting while reading can stop it."""

    def behave(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        chunk = b" " * (1024 * 1024)
        try:
            for _ in range(size // len(chunk)):
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return behave
