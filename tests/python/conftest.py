"""Runs the local Hub emulator (tests/hub/server.mjs) for the whole session.

It is started in `pytest_configure`, before any test module is imported,
because huggingface_hub reads HF_ENDPOINT and HF_HOME once, at import time.
HF_HOME is a fresh temporary directory, so no token or cache of this machine
is used; each test still downloads into its own cache directory.
HF_HUB_DISABLE_XET=1: the emulator serves Xet-backed files the way the Hub
serves them to clients without the Xet protocol (a 302 to a bridge host),
which is the path these tests check; hf_xet would ask a CAS server that the
emulator does not have.
"""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "tests/.fixtures/llama2"
LLAMA_HELLO = [1, 15043, 3186, 29991]  # "Hello world!" with meta-llama/Llama-2-7b-hf

_session = {}

# Variables that would point huggingface_hub at this machine's token or cache.
_CLEARED = (
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH",
    "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_IMPLICIT_TOKEN",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)


def pytest_configure(config):
    proc = subprocess.Popen(["node", str(ROOT / "tests/hub/server.mjs")], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=10)
        raise pytest.UsageError(
            f"the Hub emulator exited ({proc.returncode}) before printing its address; "
            "did `npm ci --ignore-scripts --prefix tests` run?"
        )
    home = tempfile.mkdtemp(prefix="hubguard-hf-home-")
    for name in _CLEARED:
        os.environ.pop(name, None)
    os.environ.update(
        HF_ENDPOINT=json.loads(line)["hub"],
        HF_HOME=home,
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_XET="1",
    )
    _session.update(proc=proc, info=json.loads(line), home=home)


def pytest_unconfigure(config):
    proc = _session.pop("proc", None)
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=10)
    if "home" in _session:
        shutil.rmtree(_session.pop("home"), ignore_errors=True)


class Emulator:
    """The running emulator: its addresses, tokens and test-only routes."""

    def __init__(self, info):
        self.url = info["hub"]
        self.cdn_url = info["cdn"]
        self.xet_url = info["xet"]
        self.tokens = info["tokens"]

    def _debug(self, route, method="GET", body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/__emulator/{route}", data=data, method=method)
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    def cdn_log(self):
        return self._debug("cdn-log")

    def xet_log(self):
        return self._debug("xet-log")

    def hub_log(self):
        return self._debug("hub-log")

    @contextmanager
    def faults(self, **faults):
        """Sets the emulator's faults for the block, then clears them."""
        self._debug("faults", "PUT", faults)
        try:
            yield
        finally:
            self._debug("faults", "PUT", {})


@pytest.fixture(scope="session")
def hub():
    return Emulator(_session["info"])


@pytest.fixture()
def cache(tmp_path):
    """An empty huggingface_hub cache for one test."""
    return tmp_path / "hf-cache"


def fixture_bytes(name):
    return (FIXTURE_DIR / name).read_bytes()
