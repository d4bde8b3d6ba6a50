//! Host tests of what a hostile server (a mirror at HF_ENDPOINT, a CDN) may
//! send: a regular file whose bytes are not the ones its ETag names, a body
//! longer than announced, files larger than hubguard reads whole. Each must
//! be a typed error, with nothing wrong left in the cache, and the real
//! file must still load afterwards.

use sha2::{Digest, Sha256};

use super::cached::CachedHub;
use super::download::{FileRef, HubClient};
use super::fake::{git_blob_sha1, FakeCredentials, FakeReply, FakeStore, FakeTransport};
use super::source::{FileSource, IfUnknown};
use crate::core::classify::AccessAdvice;
use crate::core::endpoint::Endpoint;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};

const HUB: &str = "https://huggingface.co";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const CONFIG: &str = "tokenizer_config.json";

fn file(path: &str, revision: &str) -> FileRef {
    FileRef {
        repo_type: RepoType::Model,
        repo: RepoId::parse("org/repo").unwrap(),
        revision: Revision::parse(revision).unwrap(),
        path: RepoPath::parse(path).unwrap(),
    }
}

/// A Hub serving `body` as the regular file `path`, announcing `etag`.
fn regular(path: &str, body: &[u8], etag: &str) -> FakeTransport {
    let head = FakeReply::ok(b"")
        .with_header("x-repo-commit", COMMIT)
        .with_header("etag", &format!("\"{etag}\""))
        .with_header("content-length", &body.len().to_string());
    FakeTransport::new()
        .reply_to("HEAD", &format!("{HUB}/org/repo/resolve/main/{path}"), head)
        .reply(&format!("{HUB}/org/repo/resolve/{COMMIT}/{path}"), FakeReply::ok(body))
}

fn cached<'a>(
    t: &'a FakeTransport,
    credentials: &'a FakeCredentials,
    store: &'a FakeStore,
) -> CachedHub<'a, FakeTransport, FakeCredentials, FakeStore> {
    CachedHub {
        client: client(t, credentials),
        store,
        root: "/cache".into(),
        offline: false,
    }
}

fn client<'a>(t: &'a FakeTransport, credentials: &'a FakeCredentials) -> HubClient<'a, FakeTransport, FakeCredentials> {
    HubClient {
        transport: t,
        credentials,
        endpoint: Endpoint::parse(HUB).unwrap(),
        advice: AccessAdvice::TOKEN,
    }
}

fn get(t: &FakeTransport, store: &FakeStore, path: &str, revision: &str) -> Result<Vec<u8>, HubError> {
    let credentials = FakeCredentials::new(None);
    pollster::block_on(cached(t, &credentials, store).get(&file(path, revision), &|_| {}))
}

fn blobs_and_snapshots(store: &FakeStore) -> Vec<String> {
    let files = store.files.borrow();
    let mut kept: Vec<String> = files
        .keys()
        .filter(|k| k.contains("/blobs/") || k.contains("/snapshots/"))
        .cloned()
        .collect();
    kept.sort();
    kept
}

#[test]
fn a_regular_file_whose_bytes_are_not_its_etag_is_refused_and_not_cached() {
    let real = br#"{"eos_token": "</s>"}"#;
    let injected = br#"{"eos_token": "</s>", "chat_template": "{{ 'injected' }}"}"#;
    // A mirror: the real ETag and commit, other bytes.
    let mirror = regular(CONFIG, injected, &git_blob_sha1(real));
    let store = FakeStore::default();
    let e = get(&mirror, &store, CONFIG, "main").unwrap_err();
    assert_eq!(e.code, ErrorCode::Integrity);
    assert!(e.message.contains("git blob sha1"), "{}", e.message);
    assert_eq!(blobs_and_snapshots(&store), Vec::<String>::new());
    // The real Hub afterwards: its file is downloaded and kept.
    let hub = regular(CONFIG, real, &git_blob_sha1(real));
    assert_eq!(get(&hub, &store, CONFIG, "main").unwrap(), real);
    assert_eq!(get(&FakeTransport::new(), &store, CONFIG, COMMIT).unwrap(), real);
}

#[test]
fn a_regular_file_named_by_its_git_blob_sha1_is_kept_under_it() {
    let body = b"hello";
    // `git hash-object` of "hello" (no newline).
    assert_eq!(git_blob_sha1(body), "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0");
    let store = FakeStore::default();
    get(&regular(CONFIG, body, &git_blob_sha1(body)), &store, CONFIG, "main").unwrap();
    let blob = format!("/cache/models--org--repo/blobs/{}", git_blob_sha1(body));
    assert_eq!(store.files.borrow()[&blob], body);
}

#[test]
fn a_body_longer_than_announced_stops_before_it_is_written() {
    // X-Linked-Size 19, and the CDN sends 1 MiB more.
    let announced = b"nineteen bytes long";
    let long = vec![b'x'; announced.len() + (1 << 20)];
    let sha = format!("{:x}", Sha256::digest(announced));
    let head = FakeReply::redirect("https://cdn.example/blob?sig=1")
        .with_header("x-repo-commit", COMMIT)
        .with_header("x-linked-etag", &format!("\"{sha}\""))
        .with_header("x-linked-size", &announced.len().to_string());
    let t = FakeTransport::new()
        .reply_to("HEAD", &format!("{HUB}/org/repo/resolve/main/tokenizer.json"), head)
        .reply(
            &format!("{HUB}/org/repo/resolve/{COMMIT}/tokenizer.json"),
            FakeReply::redirect("https://cdn.example/blob?sig=1"),
        )
        .reply("https://cdn.example/blob?sig=1", FakeReply::ok(&long));
    let store = FakeStore::default();
    // Writing past 4 KiB would fail as a full disk (CACHE_IO), not INTEGRITY.
    store.capacity.set(Some(4096));
    let e = get(&t, &store, "tokenizer.json", "main").unwrap_err();
    assert_eq!(e.code, ErrorCode::Integrity, "{}", e.message);
    assert!(
        e.message.contains("more than the 19 bytes it announced"),
        "{}",
        e.message
    );
    assert!(store.files.borrow().keys().all(|k| !k.contains("/blobs/")));
}

#[test]
fn a_file_announced_larger_than_hubguard_reads_is_refused_before_its_body() {
    let t = FakeTransport::new().reply(
        &format!("{HUB}/org/repo/resolve/main/{CONFIG}"),
        FakeReply::ok(b"{}").with_header("content-length", &(80u64 << 20).to_string()),
    );
    let credentials = FakeCredentials::new(None);
    let e = pollster::block_on(client(&t, &credentials).fetch_bytes(&file(CONFIG, "main"), &|_| {})).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTokenizer);
    assert!(e.message.contains("80.0 MiB"), "{}", e.message);
}

#[test]
fn a_body_that_grows_past_what_hubguard_reads_is_cut_off() {
    // No Content-Length: the body is measured as it comes.
    let mut reply = FakeReply::ok(&vec![b' '; (1 << 20) + 1]);
    reply = reply.without_header("content-length");
    let t = FakeTransport::new().reply(&format!("{HUB}/org/repo/resolve/main/chat_template.jinja"), reply);
    let credentials = FakeCredentials::new(None);
    let e = pollster::block_on(client(&t, &credentials).fetch_bytes(&file("chat_template.jinja", "main"), &|_| {}))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTokenizer);
    assert!(e.message.contains("at most 1.0 MiB"), "{}", e.message);
}

#[test]
fn a_cached_file_larger_than_hubguard_reads_is_refused_by_its_size() {
    let store = FakeStore::default();
    let snapshot = format!("/cache/models--org--repo/snapshots/{COMMIT}/{CONFIG}");
    store.files.borrow_mut().insert(snapshot, vec![b' '; (16 << 20) + 1]);
    let credentials = FakeCredentials::new(None);
    let t = FakeTransport::new();
    let source = cached(&t, &credentials, &store);
    let got = pollster::block_on(source.get_optional(&file(CONFIG, COMMIT), &|_| {}, IfUnknown::Fail));
    let e = got.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidTokenizer);
    assert!(t.requests().is_empty());
}
