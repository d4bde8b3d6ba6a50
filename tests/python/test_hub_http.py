"""The emulator's HTTP contract below the client: ranges, the CDN's refusals,
methods, and the headers on errors. Plain http.client, no redirects followed."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from conftest import fixture_bytes

PUBLIC = "hubguard-test/public-llama"
CONFIG = f"/{PUBLIC}/resolve/main/config.json"
TOKENIZER = f"/{PUBLIC}/resolve/main/tokenizer.json"


def request(base, method, target, headers=None):
    """(status, headers, body) for one request; `target` is a path on `base` or an absolute URL."""
    parts = urlsplit(target if target.startswith("http://") else base + target)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "range_header, status, body_slice, content_range",
    [
        ("bytes=0-9", 206, slice(0, 10), "bytes 0-9/{n}"),
        ("bytes=100-", 206, slice(100, None), "bytes 100-{last}/{n}"),
        ("bytes=-5", 206, slice(-5, None), "bytes {tail}-{last}/{n}"),
        ("bytes=0-1,4-5", 200, slice(None), None),  # several ranges: ignored, whole file
        ("bytes=999999-", 416, None, "bytes */{n}"),
    ],
)
def test_single_ranges(hub, range_header, status, body_slice, content_range):
    data = fixture_bytes("config.json")
    got_status, headers, body = request(hub.url, "GET", CONFIG, {"Range": range_header})
    assert got_status == status
    n = len(data)
    if content_range:
        assert headers["Content-Range"] == content_range.format(n=n, last=n - 1, tail=n - 5)
    if body_slice is not None:
        assert body == data[body_slice] and headers["Accept-Ranges"] == "bytes"


def test_lfs_redirect_headers_and_the_cdn(hub):
    data = fixture_bytes("tokenizer.json")
    status, headers, _ = request(hub.url, "HEAD", TOKENIZER)
    assert status == 302
    assert headers["X-Linked-Size"] == str(len(data))
    assert headers["X-Linked-Etag"] == headers["ETag"] and len(headers["ETag"]) == 66
    assert len(headers["X-Repo-Commit"]) == 40
    location = headers["Location"]
    assert location.startswith(hub.cdn_url + "/repos/") and "X-Amz-Signature=" in location and "Expires=" in location

    status, headers, body = request(hub.url, "GET", location, {"Range": "bytes=0-99"})
    assert (status, body) == (206, data[:100])
    # Signed-URL storage refuses a second credential, whatever its value.
    status, _, body = request(hub.url, "GET", location, {"Authorization": f"Bearer {hub.tokens['accepted']}"})
    assert status == 400 and b"InvalidArgument" in body
    status, _, _ = request(hub.url, "GET", location.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert status == 403


def test_only_get_and_head_on_resolve(hub):
    status, headers, _ = request(hub.url, "POST", CONFIG)
    assert status == 405 and headers["Allow"] == "GET, HEAD" and headers["X-Error-Message"]


def test_an_invalid_token_is_refused_on_public_repos_too(hub):
    status, headers, body = request(hub.url, "GET", CONFIG, {"Authorization": "Bearer hf_wrong"})
    assert status == 401
    assert headers["X-Error-Message"] == "Invalid credentials in Authorization header"
    assert json.loads(body) == {"error": "Invalid credentials in Authorization header"}
    assert "X-Error-Code" not in headers


def test_error_codes_and_commit_on_a_missing_entry(hub):
    status, headers, _ = request(hub.url, "GET", f"/{PUBLIC}/resolve/main/nope.json")
    assert (status, headers["X-Error-Code"], len(headers["X-Repo-Commit"])) == (404, "EntryNotFound", 40)
    status, headers, _ = request(hub.url, "GET", f"/{PUBLIC}/resolve/nope/config.json")
    assert (status, headers["X-Error-Code"], headers["X-Error-Message"]) == (404, "RevisionNotFound", "Invalid rev id: nope")


def test_revision_is_decoded_exactly_once(hub):
    assert request(hub.url, "GET", f"/{PUBLIC}/resolve/refs%2Fpr%2F1/README.md")[0] == 200
    status, headers, _ = request(hub.url, "GET", f"/{PUBLIC}/resolve/refs%252Fpr%252F1/README.md")
    assert (status, headers["X-Error-Code"]) == (404, "RevisionNotFound")
    assert request(hub.url, "GET", f"/{PUBLIC}/resolve/%E0%A4%A/README.md")[0] == 400


def test_debug_routes_are_not_in_the_hub_log(hub):
    before = len(hub.hub_log())
    hub.cdn_log()
    assert len(hub.hub_log()) == before
