"""Xet-backed files in the emulator, checked with huggingface_hub's plain-HTTP
path (HF_HUB_DISABLE_XET=1, set in conftest): the 302 to a bridge host on
another origin with the Hub's Xet headers, a download that never carries the
token past the Hub, Range on the bridge, and a resumed cut download.
"""

import hashlib
import urllib.error
import urllib.request

import pytest
from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url

from conftest import fixture_bytes

XET = "hubguard-test/xet-llama"
MODEL = "model.safetensors"  # 3 MiB + 123 bytes, generated (tests/hub/seed.mjs)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def raw_head(url, token=None):
    """The Hub's own answer (the 302 itself, not where it points)."""
    request = urllib.request.Request(url, method="HEAD")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as answer:
        return answer
    raise AssertionError("expected a redirect")


def test_huggingface_hub_runs_without_xet_here():
    assert constants.HF_HUB_DISABLE_XET


def test_a_xet_file_redirects_to_a_bridge_host_with_the_xet_headers(hub):
    token = hub.tokens["accepted"]
    answer = raw_head(hf_hub_url(XET, "tokenizer.json"), token)
    headers = answer.headers
    data = fixture_bytes("tokenizer.json")
    assert answer.code == 302
    assert headers["Location"].startswith(hub.xet_url + "/xet-bridge-us/")
    assert "X-Amz-Signature=" in headers["Location"] and "X-Xet-Cas-Uid=public" in headers["Location"]
    assert headers["X-Linked-Etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert headers["X-Linked-Size"] == str(len(data))
    assert len(headers["X-Repo-Commit"]) == 40
    xet_hash = headers["X-Xet-Hash"]
    assert len(xet_hash) == 64 and xet_hash in headers["Location"]
    link = headers["Link"]
    assert f'/api/models/{XET}/xet-read-token/{headers["X-Repo-Commit"]}>; rel="xet-auth"' in link
    assert f'/v1/reconstructions/{xet_hash}>; rel="xet-reconstruction-info"' in link
    # The redirect's own ETag is not the file's.
    assert headers["ETag"].startswith('W/"') and headers["ETag"] != headers["X-Linked-Etag"]


def test_huggingface_hub_reads_the_xet_metadata_from_the_redirect(hub):
    token = hub.tokens["accepted"]
    meta = get_hf_file_metadata(hf_hub_url(XET, "tokenizer.json"), token=token)
    data = fixture_bytes("tokenizer.json")
    assert (meta.etag, meta.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert meta.location.startswith(hub.xet_url + "/xet-bridge-us/")
    assert meta.xet_file_data is not None and len(meta.xet_file_data.file_hash) == 64
    assert meta.xet_file_data.refresh_route == f"{hub.url}/api/models/{XET}/xet-read-token/{meta.commit_hash}"


def test_a_xet_download_goes_through_the_bridge_without_the_token(hub, cache):
    token = hub.tokens["accepted"]
    xet_before, hub_before = len(hub.xet_log()), len(hub.hub_log())
    path = hf_hub_download(XET, "tokenizer.json", token=token, cache_dir=cache)
    with open(path, "rb") as f:
        assert f.read() == fixture_bytes("tokenizer.json")
    # huggingface_hub keeps the /resolve/ URL for Xet files: HEAD, GET, then the bridge.
    hub_requests = [(r["method"], r["authorization"]) for r in hub.hub_log()[hub_before:]]
    assert hub_requests == [("HEAD", "accepted"), ("GET", "accepted")]
    bridge = hub.xet_log()[xet_before:]
    assert [(r["method"], r["hadAuthorization"], r["state"]) for r in bridge] == [("GET", False, "completed")]


def test_the_bridge_serves_ranges_sends_no_etag_and_refuses_authorization(hub):
    location = raw_head(hf_hub_url(XET, "tokenizer.json"), hub.tokens["accepted"]).headers["Location"]
    data = fixture_bytes("tokenizer.json")
    request = urllib.request.Request(location, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 206 and answer.read() == data[10:20]
        assert answer.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        assert answer.headers["ETag"] is None and answer.headers["Accept-Ranges"] == "bytes"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(location, headers={"Authorization": "Bearer x"}))
    assert refused.value.code == 400


def test_a_cut_xet_download_is_resumed_and_checked_by_size(hub, cache, monkeypatch):
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
    meta = get_hf_file_metadata(hf_hub_url(XET, MODEL), token=hub.tokens["accepted"])
    before = len(hub.xet_log())
    with hub.faults(dropAfterBytes=1_000_000, dropOnce=True):
        path = hf_hub_download(XET, MODEL, token=hub.tokens["accepted"], cache_dir=cache)
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == meta.etag
    first, retry = hub.xet_log()[before:]
    assert first["state"] == "aborted" and retry["headers"]["range"].startswith("bytes=")
    assert not first["hadAuthorization"] and not retry["hadAuthorization"]


def test_the_xet_read_token_route_answers_readers_only(hub):
    url = f"{hub.url}/api/models/{XET}/xet-read-token/main"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {hub.tokens['accepted']}"})
    with urllib.request.urlopen(request) as answer:
        assert answer.headers["X-Xet-Cas-Url"] == hub.xet_url
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url)
    assert refused.value.code == 401
