"""The Hub emulator, checked with the real `huggingface_hub` client.

If Python's own client downloads from it and raises the right typed errors,
the emulator behaves like huggingface.co where hubguard's tests rely on it.
"""

import pytest
from huggingface_hub.errors import (
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tokenizers import Tokenizer

from conftest import cdn_log, fixture_bytes

GATED = "meta-llama/Llama-2-7b-hf"
PRIVATE = "hubguard-test/private-llama"
PUBLIC = "hubguard-test/public-llama"


def download(hf, repo, filename, token=None, **kw):
    # token=False: anonymous, whatever token the machine may have.
    return hf["download"](
        repo, filename, token=token or False, cache_dir=hf["cache"], endpoint=hf["hub"]["hub"], **kw
    )


def test_gated_download_with_accepted_token_goes_through_the_cdn_without_the_token(hf):
    tokens = hf["hub"]["tokens"]
    before = len(cdn_log(hf["hub"]))
    path = download(hf, GATED, "tokenizer.json", token=tokens["accepted"])
    with open(path, "rb") as f:
        assert f.read() == fixture_bytes("tokenizer.json")
    config = download(hf, GATED, "tokenizer_config.json", token=tokens["accepted"])
    with open(config, "rb") as f:
        assert f.read() == fixture_bytes("tokenizer_config.json")
    new = cdn_log(hf["hub"])[before:]
    assert [r["method"] for r in new] == ["GET"], new
    assert not any(r["hadAuthorization"] for r in new)


def test_downloaded_tokenizer_gives_the_llama_ids(hf):
    path = download(hf, PUBLIC, "tokenizer.json")
    assert Tokenizer.from_file(path).encode("Hello world!").ids == [1, 15043, 3186, 29991]


@pytest.mark.parametrize("token", [None, "noaccess"])
def test_gated_without_access(hf, token):
    with pytest.raises(GatedRepoError):
        download(hf, GATED, "tokenizer.json", token=hf["hub"]["tokens"].get(token))


@pytest.mark.parametrize("token", [None, "noaccess"])
def test_private_without_access(hf, token):
    with pytest.raises(RepositoryNotFoundError):
        download(hf, PRIVATE, "tokenizer.json", token=hf["hub"]["tokens"].get(token))


def test_private_with_access(hf):
    path = download(hf, PRIVATE, "config.json", token=hf["hub"]["tokens"]["accepted"])
    with open(path, "rb") as f:
        assert f.read() == fixture_bytes("config.json")


def test_missing_repo(hf):
    with pytest.raises(RepositoryNotFoundError):
        download(hf, "hubguard-test/nope", "tokenizer.json")


def test_missing_file(hf):
    with pytest.raises(RemoteEntryNotFoundError):
        download(hf, PUBLIC, "no-such-file.json")


def test_missing_revision(hf):
    with pytest.raises(RevisionNotFoundError):
        download(hf, PUBLIC, "tokenizer.json", revision="no-such-branch")


def test_invalid_token_is_not_a_repo_error(hf):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as info:
        download(hf, PUBLIC, "config.json", token="hf_not_a_real_token_000000")
    assert info.value.response.status_code == 401
    assert not isinstance(info.value, (RepositoryNotFoundError, GatedRepoError))


def test_tag_resolves_to_the_older_commit(hf):
    with open(download(hf, PUBLIC, "tokenizer_config.json", revision="v1.0"), "rb") as f:
        old = f.read()
    with open(download(hf, PUBLIC, "tokenizer_config.json"), "rb") as f:
        new = f.read()
    assert old != new and b"4096" in old


def test_dataset_download(hf):
    path = download(hf, "hubguard-test/public-data", "data/train.csv", repo_type="dataset")
    with open(path, "rb") as f:
        assert f.read().startswith(b"text,label")


def test_whoami_and_model_info(hf):
    api = hf["api"](endpoint=hf["hub"]["hub"])
    assert api.whoami(token=hf["hub"]["tokens"]["accepted"])["name"] == "alice"
    info = api.model_info(GATED, token=hf["hub"]["tokens"]["accepted"])
    assert info.id == GATED and len(info.sha) == 40
    assert {s.rfilename for s in info.siblings} >= {"tokenizer.json", "tokenizer_config.json"}
    with pytest.raises(GatedRepoError):
        api.model_info(GATED)
