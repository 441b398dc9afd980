"""The command line against a server that never answers, and a host that is not there."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from promptforge.models._resolve import first_choice

from . import server as wire
from .conftest import API_KEY

ENHANCER = first_choice("enhancer")
IMAGE = first_choice("image")

if TYPE_CHECKING:
    from .server import GoogleServer

RETRY_LINE = re.compile(
    r"^promptforge: attempt 1/2 failed \(TransientError: (.+)\); retrying in [\d.]+s$"
)


def run(base_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.update(GOOGLE_API_KEY=API_KEY, GOOGLE_GEMINI_BASE_URL=base_url)
    return subprocess.run(
        [sys.executable, "-m", "promptforge", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_a_silent_server_fails_after_the_retries_asked_for(
    server: GoogleServer, tmp_path: Path
) -> None:
    server.default("generateContent", wire.Reply(wire.spec(subject="x").body, delay=30))
    done = run(server.url, tmp_path, "generate", "a fox", "--timeout", "0.3", "--retries", "1")
    assert done.returncode == 4, done.stderr
    retry, error = done.stderr.splitlines()
    match = RETRY_LINE.match(retry)
    assert match is not None, retry
    assert match[1] == f"{ENHANCER}: no answer within 0.3 s"
    assert error == f"promptforge: error: {ENHANCER}: no answer within 0.3 s"
    assert len(server.calls("generateContent")) == 2


def test_no_network_is_not_silent_and_names_the_host(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: what a dead network looks like
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run(f"http://127.0.0.1:{port}", tmp_path, "enhance", "a fox", "--retries", "1")
    assert done.returncode == 4, done.stderr
    retry, error = done.stderr.splitlines()
    unreachable = f"{ENHANCER}: could not reach 127.0.0.1 (connection refused)"
    match = RETRY_LINE.match(retry)
    assert match is not None, retry
    assert match[1] == unreachable
    assert error == f"promptforge: error: {unreachable}"
    assert API_KEY not in done.stderr
