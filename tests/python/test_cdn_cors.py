"""The emulator's CDN answers browsers as the Hub's real CDN does.

hubguard's proxy in `largeFiles: 'redirect'` mode sends a browser straight
to the CDN's signed URL, so the page reads the CDN's answer itself: it must
carry the CORS headers the real CDN sends. The reference is a published
capture of the Xet bridge's answer (huggingface/datasets#7931, 2026-01: a HEAD
on a cas-bridge URL, research notes: huggingface-hub.md section 3.1):

    access-control-allow-origin: *
    access-control-expose-headers: Accept-Ranges, Content-Range, Content-Type, Content-Disposition, ETag, X-Cache
"""

import pytest

from conftest import fixture_bytes
from test_hub_http import request

PUBLIC = "hubguard-test/public-llama"
TOKENIZER = f"/{PUBLIC}/resolve/main/tokenizer.json"

REAL_CDN_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Accept-Ranges, Content-Range, Content-Type, Content-Disposition, ETag, X-Cache",
}


def signed_url(hub):
    status, headers, _ = request(hub.url, "HEAD", TOKENIZER)
    assert status == 302
    return headers["Location"]


@pytest.mark.parametrize("method, extra", [("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-9"})])
def test_the_cdn_sends_the_real_cdns_cors_headers(hub, method, extra):
    status, headers, body = request(hub.url, method, signed_url(hub), {"Origin": "https://app.example", **extra})
    assert status in (200, 206)
    for name, value in REAL_CDN_CORS.items():
        assert headers[name] == value, name
    exposed = {h.strip() for h in headers["Access-Control-Expose-Headers"].split(",")}
    # What a page following the redirect needs to read a ranged download.
    assert {"Content-Range", "Accept-Ranges", "ETag"} <= exposed
    if method == "GET" and not extra:
        assert body == fixture_bytes("tokenizer.json")
