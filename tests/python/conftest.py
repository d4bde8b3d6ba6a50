"""Starts the local Hub emulator (tests/hub/server.mjs) once per session."""

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def hub():
    proc = subprocess.Popen(
        ["node", str(ROOT / "tests/hub/server.mjs")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        yield info
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def hf(hub, tmp_path):
    """huggingface_hub pointed at the emulator (explicitly: its constants are
    read at import time), with an empty cache."""
    from huggingface_hub import HfApi, hf_hub_download

    return {"hub": hub, "download": hf_hub_download, "api": HfApi, "cache": tmp_path / "cache"}


def cdn_log(hub):
    with urllib.request.urlopen(hub["hub"] + "/__emulator/cdn-log") as r:
        return json.load(r)


def fixture_bytes(name):
    return (ROOT / "tests/.fixtures/llama2" / name).read_bytes()
