"""A real OpenID Connect provider for the tests: oidc-provider (npm) run by Node on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent / "oidc-provider.mjs"
CLIENT_ID = "cx-maturity"
CLIENT_SECRET = "cx-maturity-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def openid_provider(
    redirect_uris: list[str], accounts: Mapping[str, Mapping[str, Any]]
) -> Iterator[str]:
    """A provider knowing ``accounts`` (login: claims) and one confidential client that
    may return to ``redirect_uris``; yields its issuer URL."""
    node = shutil.which("node")
    if node is None or not (SCRIPT.parent / "node_modules" / "oidc-provider").exists():
        pytest.fail("node and tests/browser/node_modules/oidc-provider are needed: run `make test`")
    settings = {
        "port": free_port(),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "accounts": accounts,
    }
    process = subprocess.Popen(
        [node, str(SCRIPT), json.dumps(settings)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=SCRIPT.parent,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("ready "):
                yield line.split(" ", 1)[1].strip()
                break
        else:
            pytest.fail("the OpenID provider did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
