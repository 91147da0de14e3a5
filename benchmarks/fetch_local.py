"""Time ``advisories fetch`` of CISA's published OT advisories from a CSAF provider on 127.0.0.1.

Usage: python benchmarks/fetch_local.py [--corpus TAR] [--limit N] [--parallel N]

The corpus (1,655 unmodified CSAF 2.0 files, ``../shared/data/csaf/cisa-ot-2017-2022.tar.xz``
beside the checkout) is signed with the test provider's key (tests/data/csaf-providers) and
served as a directory provider (``changes.csv``, ``.sha512``, ``.sha256``, ``.asc``) over HTTPS
with a trustme CA, from 127.0.0.1 only. A scratch copy of the example register (its vendors'
own feeds removed, the local provider as its one shared feed) fetches it three times, as a user
would (``iotpolicy`` in a process of its own): the first fetch, the next one (ETags: the listing
answers 304), and one without the cache (a fresh clone: the state comes from the register). It
prints the wall time and what each fetch did.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fetchserver import FINGERPRINT, Provider, Server, Site  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "csaf" / "cisa-ot-2017-2022.tar.xz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="Serve only the first N files.")
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with tarfile.open(args.corpus) as tar:
            tar.extractall(work / "corpus", filter="data")
        files = sorted((work / "corpus").rglob("*.json"))
        files = files[: args.limit] if args.limit else files
        ca = trustme.CA()
        ca_file = work / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        server = Server(Site(), ca)
        try:
            provider = Provider(server, "directory")
            started = time.perf_counter()
            for path in files:
                provider.add(path.read_bytes(), name=path.name)
            signing = time.perf_counter() - started
            register = scratch_register(work / "register", provider.metadata_url)
            env = {**os.environ, "SSL_CERT_FILE": str(ca_file), "NO_PROXY": "127.0.0.1"}
            print(f"{len(files)} documents, signed in {signing:.2f} s; --parallel {args.parallel}")
            print()
            print("| fetch | wall time | documents downloaded | last line |")
            print("|---|---:|---:|---|")
            for label in ("first (--since 2017-01-01)", "next (ETag, 304)", "fresh clone"):
                if label == "fresh clone":
                    (register / ".iotpolicy-cache" / "fetch.json").unlink()
                since = ["--since", "2017-01-01"] if label.startswith("first") else []
                server.site.log.clear()
                command = [
                    sys.executable, "-m", "iotpolicy", "advisories", "fetch",
                    "--register", str(register), "--received-on", "2026-11-21",
                    "--parallel", str(args.parallel), *since,
                ]  # fmt: skip
                began = time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, text=True)
                wall = time.perf_counter() - began
                if done.returncode not in (0, 1) or "Traceback" in done.stderr:
                    sys.exit(f"{label}: exit {done.returncode}\n{done.stderr}")
                summary = next(
                    (line for line in done.stdout.splitlines() if line.startswith("Fetched")), ""
                )
                downloaded = len(server.site.documents_requested())
                print(f"| {label} | {wall:.1f} s | {downloaded} | {summary} |")
        finally:
            server.stop()


def scratch_register(target: Path, feed: str) -> Path:
    """The example register, its vendors' own feeds removed, ``feed`` its one shared feed."""
    shutil.copytree(ROOT / "register", target)
    for vendor in (target / "vendors").glob("*.yaml"):
        text = vendor.read_text("utf-8")
        vendor.write_text(re.sub(r"(?m)^advisory_(feed|keys):.*\n(  - .*\n)*", "", text), "utf-8")
    policy = target / "policy.yaml"
    shared = f"settings:\n  advisory_feeds:\n    - url: {feed}\n      keys: [{FINGERPRINT}]\n"
    policy.write_text(policy.read_text("utf-8").replace("settings:\n", shared, 1), "utf-8")
    return target


if __name__ == "__main__":
    main()
