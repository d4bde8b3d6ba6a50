"""The Hub emulator, checked with the real `huggingface_hub` client.

If Python's own client downloads from it through HF_ENDPOINT, sends no token
to its CDN, resumes cut downloads with Range and raises the right typed
errors, the emulator behaves like huggingface.co where hubguard's tests rely
on it.
"""

import hashlib
import json

import pytest
from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url, snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tokenizers import Tokenizer

from conftest import LLAMA_HELLO, fixture_bytes

GATED = "meta-llama/Llama-2-7b-hf"
PRIVATE = "hubguard-test/private-llama"
PUBLIC = "hubguard-test/public-llama"
DATASET = "hubguard-test/public-data"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def download(cache, repo, filename, token=None, **kw):
    # token=None: huggingface_hub's default lookup, which finds nothing in the temporary HF_HOME.
    return hf_hub_download(repo, filename, token=token, cache_dir=cache, **kw)


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_huggingface_hub_uses_the_emulator_from_hf_endpoint(hub):
    assert constants.ENDPOINT == hub.url


def test_gated_lfs_download_goes_through_the_cdn_without_the_token(hub, cache):
    token = hub.tokens["accepted"]
    cdn_before, hub_before = len(hub.cdn_log()), len(hub.hub_log())
    assert read(download(cache, GATED, "tokenizer.json", token=token)) == fixture_bytes("tokenizer.json")
    assert read(download(cache, GATED, "tokenizer_config.json", token=token)) == fixture_bytes("tokenizer_config.json")

    cdn = hub.cdn_log()[cdn_before:]
    assert [(r["method"], r["hadAuthorization"]) for r in cdn] == [("GET", False)], cdn
    # The Hub saw the token on every request: the HEADs and the regular file's GET.
    hub_requests = hub.hub_log()[hub_before:]
    assert [r["method"] for r in hub_requests] == ["HEAD", "HEAD", "GET"], hub_requests
    assert all(r["authorization"] == "accepted" for r in hub_requests)


def test_downloaded_tokenizer_gives_the_llama_ids(cache):
    path = download(cache, PUBLIC, "tokenizer.json")
    assert Tokenizer.from_file(path).encode("Hello world!").ids == LLAMA_HELLO


def test_file_metadata_of_an_lfs_file_comes_from_the_redirect(hub):
    token = hub.tokens["accepted"]
    meta = get_hf_file_metadata(hf_hub_url(GATED, "tokenizer.json"), token=token)
    data = fixture_bytes("tokenizer.json")
    assert meta.etag == hashlib.sha256(data).hexdigest()
    assert meta.size == len(data)
    assert meta.location.startswith(hub.cdn_url + "/repos/")
    assert meta.commit_hash == HfApi().model_info(GATED, token=token).sha


def test_file_metadata_of_a_regular_file_is_its_git_blob_sha(hub):
    url = hf_hub_url(PUBLIC, "config.json")
    meta = get_hf_file_metadata(url)
    data = fixture_bytes("config.json")
    assert (meta.etag, meta.size, meta.location) == (git_blob_sha1(data), len(data), url)


@pytest.mark.parametrize("token, status", [(None, 401), ("noaccess", 403)])
def test_gated_without_access(hub, cache, token, status):
    with pytest.raises(GatedRepoError) as info:
        download(cache, GATED, "tokenizer.json", token=hub.tokens.get(token))
    assert info.value.response.status_code == status


@pytest.mark.parametrize("token, status", [(None, 401), ("noaccess", 404)])
def test_private_without_access_looks_missing(hub, cache, token, status):
    with pytest.raises(RepositoryNotFoundError) as info:
        download(cache, PRIVATE, "tokenizer.json", token=hub.tokens.get(token))
    assert info.value.response.status_code == status


def test_private_with_access(hub, cache):
    path = download(cache, PRIVATE, "tokenizer.json", token=hub.tokens["accepted"])
    assert read(path) == fixture_bytes("tokenizer.json")


def test_missing_repo(cache):
    with pytest.raises(RepositoryNotFoundError):
        download(cache, "hubguard-test/nope", "tokenizer.json")


def test_missing_file(cache):
    with pytest.raises(RemoteEntryNotFoundError):
        download(cache, PUBLIC, "no-such-file.json")


def test_missing_revision(cache):
    with pytest.raises(RevisionNotFoundError):
        download(cache, PUBLIC, "tokenizer.json", revision="no-such-branch")


def test_invalid_token_is_a_401_not_a_repo_error(cache):
    with pytest.raises(HfHubHTTPError) as info:
        download(cache, PUBLIC, "config.json", token="hf_not_a_real_token_000000")
    assert info.value.response.status_code == 401
    assert not isinstance(info.value, (RepositoryNotFoundError, GatedRepoError))
    assert info.value.server_message.startswith("Invalid credentials in Authorization header")


def test_tag_and_commit_sha_resolve_to_the_older_commit(cache):
    old = read(download(cache, PUBLIC, "tokenizer_config.json", revision="v1.0"))
    new = read(download(cache, PUBLIC, "tokenizer_config.json"))
    assert new == fixture_bytes("tokenizer_config.json")
    assert old != new and b'"model_max_length": 4096' in old

    sha = HfApi().model_info(PUBLIC, revision="v1.0").sha
    assert sha != HfApi().model_info(PUBLIC).sha
    assert read(download(cache, PUBLIC, "tokenizer_config.json", revision=sha)) == old


def test_pull_request_ref_is_sent_encoded_and_resolves(cache):
    # huggingface_hub quotes the revision (refs%2Fpr%2F1); the emulator decodes it once.
    assert read(download(cache, PUBLIC, "README.md", revision="refs/pr/1")).startswith(b"# public-llama")
    with pytest.raises(RemoteEntryNotFoundError):
        download(cache, PUBLIC, "README.md")


def test_dataset_download(cache):
    path = download(cache, DATASET, "data/train.csv", repo_type="dataset")
    assert read(path).startswith(b"text,label\n")


def test_whoami(hub):
    api = HfApi()
    assert api.whoami(token=hub.tokens["accepted"])["name"] == "alice"
    assert api.whoami(token=hub.tokens["noaccess"])["name"] == "bob"
    with pytest.raises(HfHubHTTPError, match="Invalid user token"):
        api.whoami(token="hf_not_a_real_token_000000")


def test_model_info(hub):
    api = HfApi()
    info = api.model_info(GATED, token=hub.tokens["accepted"])
    assert info.id == GATED and len(info.sha) == 40 and info.gated == "manual"
    assert {s.rfilename for s in info.siblings} == {"tokenizer.json", "tokenizer_config.json", "config.json"}
    # As on the Hub, a gated repo's info is public; only its files are gated.
    assert api.model_info(GATED).sha == info.sha
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(PRIVATE)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(PRIVATE, token=hub.tokens["noaccess"])
    assert api.model_info(PRIVATE, token=hub.tokens["accepted"]).private is True


def test_model_info_files_metadata_names_the_lfs_sha256():
    info = HfApi().model_info(PUBLIC, files_metadata=True)
    files = {s.rfilename: s for s in info.siblings}
    data = fixture_bytes("tokenizer.json")
    assert files["tokenizer.json"].lfs.sha256 == hashlib.sha256(data).hexdigest()
    assert files["tokenizer.json"].size == len(data)
    assert files["config.json"].lfs is None
    assert files["config.json"].blob_id == git_blob_sha1(fixture_bytes("config.json"))


def test_a_cut_cdn_download_is_resumed_with_a_range_request(hub, cache, monkeypatch):
    # huggingface_hub resumes from the bytes it has written, and it writes in
    # DOWNLOAD_CHUNK_SIZE (10 MB) pieces: shrink them so a cut at 100 kB
    # leaves some written and the retry needs a Range.
    chunk, cut = 10_000, 100_000
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", chunk)
    before = len(hub.cdn_log())
    with hub.faults(dropAfterBytes=cut, dropOnce=True):
        path = download(cache, PUBLIC, "tokenizer.json")
    assert read(path) == fixture_bytes("tokenizer.json")

    first, retry = hub.cdn_log()[before:]
    assert (first["headers"].get("range"), first["state"]) == (None, "aborted")
    resumed_at = int(retry["headers"]["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= cut and resumed_at % chunk == 0
    assert retry["state"] == "completed" and not retry["hadAuthorization"]


def test_rate_limit_answer_is_understood(hub):
    with hub.faults(rateLimit={"retryAfter": 7}):
        with pytest.raises(HfHubHTTPError) as info:
            get_hf_file_metadata(hf_hub_url(PUBLIC, "config.json"))
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert "'resolvers' rate limit" in str(info.value) and "Retry after 7 seconds" in str(info.value)


def test_snapshot_download_lists_the_tree_and_keeps_it_in_the_cache(hub, cache):
    token = hub.tokens["accepted"]
    folder = snapshot_download("hubguard-test/xet-llama", token=token, cache_dir=cache, allow_patterns=["*.json"])
    commit = HfApi().model_info("hubguard-test/xet-llama", token=token).sha
    assert folder.endswith(commit)
    listing = json.loads((cache / "models--hubguard-test--xet-llama" / "trees" / f"{commit}.json").read_text())
    files = listing["files"]
    assert set(files) == {"tokenizer.json", "tokenizer_config.json", "config.json", "model.safetensors"}
    data = fixture_bytes("tokenizer.json")
    assert files["tokenizer.json"]["lfs_sha256"] == hashlib.sha256(data).hexdigest()
    assert len(files["tokenizer.json"]["xet_hash"]) == 64
    assert files["config.json"]["blob_id"] == git_blob_sha1(fixture_bytes("config.json"))


def test_list_repo_tree_lists_folders_and_files():
    entries = list(HfApi().list_repo_tree(DATASET, repo_type="dataset", recursive=True))
    assert [(type(e).__name__, e.path) for e in entries] == [
        ("RepoFolder", "data"), ("RepoFile", "data/train.csv"), ("RepoFile", "README.md"),
    ]
    top = list(HfApi().list_repo_tree(DATASET, repo_type="dataset"))
    assert [e.path for e in top] == ["data", "README.md"]
