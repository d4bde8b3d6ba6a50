//! Host tests of `hub_fetch`: the scripted Hub of `fake.rs`, an in-memory store.

use std::cell::RefCell;

use sha2::{Digest, Sha256};

use super::*;
use crate::core::classify::AccessAdvice;
use crate::core::endpoint::Endpoint;
use crate::core::fetch::{file_request, ByteRange};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::hub::fake::{FakeCredentials, FakeReply, FakeStore, FakeTransport};
use crate::hub::transport::Body;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const HUB: &str = "https://huggingface.co";
const CDN: &str = "https://cdn.example/blob?sig=1";
const BODY: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const MAIN: &str = "https://huggingface.co/org/repo/resolve/main/onnx/model.onnx";
const SNAPSHOT: &str = "/cache/models--org--repo/snapshots/0123456789abcdef0123456789abcdef01234567/onnx/model.onnx";

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn file(path: &str) -> FileRef {
    FileRef {
        repo_type: RepoType::Model,
        repo: RepoId::parse("org/repo").unwrap(),
        revision: Revision::main(),
        path: RepoPath::parse(path).unwrap(),
    }
}

/// The model file as LFS: a HEAD with the metadata on its 302, the GET at
/// the commit (and at main, for forwarded ranges) to the CDN.
fn hub() -> FakeTransport {
    let head = FakeReply::redirect(CDN)
        .with_header("x-repo-commit", COMMIT)
        .with_header("x-linked-etag", &format!("\"{}\"", sha(BODY)))
        .with_header("x-linked-size", &BODY.len().to_string());
    FakeTransport::new()
        .reply_to("HEAD", MAIN, head)
        .reply(MAIN, FakeReply::redirect(CDN))
        .reply(
            &format!("{HUB}/org/repo/resolve/{COMMIT}/onnx/model.onnx"),
            FakeReply::redirect(CDN),
        )
        .reply(CDN, FakeReply::ranged(BODY))
}

struct Setup {
    transport: FakeTransport,
    store: FakeStore,
    recent: RefCell<Recent>,
    credentials: FakeCredentials,
}

impl Setup {
    fn new(transport: FakeTransport) -> Self {
        Setup {
            transport,
            store: FakeStore::default(),
            recent: RefCell::new(Recent::default()),
            credentials: FakeCredentials::new(None),
        }
    }

    fn client(&self) -> HubClient<'_, FakeTransport, FakeCredentials> {
        HubClient {
            transport: &self.transport,
            credentials: &self.credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        }
    }

    fn serve(
        &self,
        path: &str,
        request: FileRequest,
        offline: bool,
    ) -> Result<Served<crate::hub::fake::FakeBody>, HubError> {
        let cached = CachedHub {
            client: self.client(),
            store: &self.store,
            root: "/cache".into(),
            offline,
        };
        pollster::block_on(cached.serve(&file(path), &request, Some(&self.recent), &|_| {}))
    }

    fn blobs(&self) -> usize {
        self.store
            .files
            .borrow()
            .keys()
            .filter(|k| k.contains("/blobs/"))
            .count()
    }
}

fn get() -> FileRequest {
    file_request("GET", &[]).unwrap()
}

fn probe() -> FileRequest {
    FileRequest {
        head: false,
        range: ByteRange::parse("bytes=0-0"),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_get_downloads_into_the_cache_and_is_answered_from_the_file() {
    let s = Setup::new(hub());
    match s.serve("onnx/model.onnx", get(), false).unwrap() {
        Served::File { path, answer } => {
            assert_eq!(path, SNAPSHOT);
            assert_eq!((answer.status, answer.span), (200, Some((0, BODY.len() as u64))));
            assert_eq!(header(&answer.headers, "x-repo-commit"), Some(COMMIT));
        }
        _ => panic!("not served from the cache"),
    }
    assert_eq!(s.store.files.borrow()[SNAPSHOT], BODY);
    let before = s.transport.requests().len();
    assert!(matches!(
        s.serve("onnx/model.onnx", get(), false).unwrap(),
        Served::File { .. }
    ));
    assert_eq!(s.transport.requests().len(), before, "a recent HEAD is reused");
}

#[test]
fn a_probe_of_a_cached_file_is_answered_from_the_cache() {
    let s = Setup::new(hub());
    s.serve("onnx/model.onnx", get(), false).unwrap();
    let before = s.transport.requests().len();
    match s.serve("onnx/model.onnx", probe(), false).unwrap() {
        Served::File { answer, .. } => {
            assert_eq!((answer.status, answer.span), (206, Some((0, 1))));
            assert_eq!(
                header(&answer.headers, "content-range"),
                Some(format!("bytes 0-0/{}", BODY.len()).as_str())
            );
        }
        _ => panic!("not served from the cache"),
    }
    assert_eq!(s.transport.requests().len(), before);
}

#[test]
fn a_probe_of_a_file_not_cached_is_asked_upstream_and_downloads_nothing() {
    let s = Setup::new(hub());
    let Served::Upstream { status, body, .. } = s.serve("onnx/model.onnx", probe(), false).unwrap() else {
        panic!("not forwarded");
    };
    assert!(body.is_some() && (200..300).contains(&status));
    let ranges: Vec<_> = s
        .transport
        .request_headers()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k == "Range")
        .map(|(_, v)| v)
        .collect();
    // Each hop (the Hub's redirect, then the CDN) is asked for the one byte.
    assert_eq!(ranges, ["bytes=0-0", "bytes=0-0"]);
    assert_eq!(s.blobs(), 0);
}

#[test]
fn a_head_of_a_file_not_cached_comes_from_the_metadata() {
    let s = Setup::new(hub());
    let Served::Headers(answer) = s
        .serve("onnx/model.onnx", file_request("HEAD", &[]).unwrap(), false)
        .unwrap()
    else {
        panic!("not answered from metadata");
    };
    assert_eq!(answer.span, None);
    assert_eq!(
        header(&answer.headers, "content-length"),
        Some(BODY.len().to_string().as_str())
    );
    assert_eq!(s.transport.requests(), [format!("HEAD {MAIN}")]);
    assert_eq!(s.blobs(), 0);
}

#[test]
fn a_missing_file_is_a_404_online_and_offline() {
    let url = format!("{HUB}/org/repo/resolve/main/generation_config.json");
    let missing = FakeReply::error(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", COMMIT);
    let s = Setup::new(FakeTransport::new().reply_to("HEAD", &url, missing));
    assert!(matches!(
        s.serve("generation_config.json", get(), false).unwrap(),
        Served::NotFound(_)
    ));
    assert!(matches!(
        s.serve("generation_config.json", get(), true).unwrap(),
        Served::NotFound(_)
    ));
}

#[test]
fn offline_a_file_outside_a_known_snapshot_is_a_404_and_an_unknown_revision_throws() {
    let s = Setup::new(FakeTransport::new());
    let err = s.serve("config.json", get(), true).err().unwrap();
    assert_eq!(err.code, ErrorCode::NotCached);
    s.store
        .files
        .borrow_mut()
        .insert("/cache/models--org--repo/refs/main".into(), COMMIT.as_bytes().to_vec());
    assert!(matches!(
        s.serve("config.json", get(), true).unwrap(),
        Served::NotFound(_)
    ));
    assert!(s.transport.requests().is_empty());
}

#[test]
fn a_gated_repo_is_an_error_not_an_answer() {
    let refused = FakeReply::error(401, "GatedRepo", "Access restricted");
    let s = Setup::new(FakeTransport::new().reply_to("HEAD", MAIN, refused));
    let err = s.serve("onnx/model.onnx", get(), false).err().unwrap();
    assert_eq!((err.code, err.status), (ErrorCode::GatedRepo, Some(401)));
}

#[test]
fn without_a_cache_the_upstream_answer_streams_through() {
    let s = Setup::new(hub());
    let Served::Upstream { status, headers, body } =
        pollster::block_on(s.client().serve_upstream(&file("onnx/model.onnx"), &get())).unwrap()
    else {
        panic!("not upstream");
    };
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-length"),
        Some(BODY.len().to_string().as_str())
    );
    let mut body = body.unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = pollster::block_on(body.next_chunk()).unwrap() {
        bytes.extend(chunk);
    }
    assert_eq!(bytes, BODY);

    let missing = FakeReply::error(404, "EntryNotFound", "Entry not found");
    let gated = FakeReply::error(401, "GatedRepo", "Access restricted");
    let s = Setup::new(
        FakeTransport::new()
            .reply(&format!("{HUB}/org/repo/resolve/main/a.json"), missing)
            .reply(&format!("{HUB}/org/repo/resolve/main/b.json"), gated),
    );
    assert!(matches!(
        pollster::block_on(s.client().serve_upstream(&file("a.json"), &get())).unwrap(),
        Served::NotFound(_)
    ));
    let err = pollster::block_on(s.client().serve_upstream(&file("b.json"), &get()))
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::GatedRepo);
}
