use sha2::{Digest, Sha256};

use super::*;
use crate::core::classify::AccessAdvice;
use crate::core::endpoint::Endpoint;
use crate::core::repo::{RepoId, RepoPath, RepoType};
use crate::core::tokenizer::limits::MAX_TOKENIZER_JSON_BYTES;
use crate::hub::fake::{FakeCredentials, FakeReply, FakeStore, FakeTransport};
use crate::hub::source::FileSource;
use crate::hub::store::MAX_REF_BYTES;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const HUB: &str = "https://huggingface.co";
const ROOT: &str = "/cache";
const SNAPSHOT: &str = "/cache/models--org--repo/snapshots/0123456789abcdef0123456789abcdef01234567/tokenizer.json";

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn file(revision: &str) -> FileRef {
    FileRef {
        repo_type: RepoType::Model,
        repo: RepoId::parse("org/repo").unwrap(),
        revision: Revision::parse(revision).unwrap(),
        path: RepoPath::parse("tokenizer.json").unwrap(),
    }
}

/// The Hub: HEAD on main answers an LFS 302 with metadata; GET at the
/// commit redirects to the CDN.
fn hub_serving(body: &[u8], announced_sha: &str) -> FakeTransport {
    hub_with_cdn(body, announced_sha, FakeReply::ok(body))
}

/// As `hub_serving`, with the CDN's answer given.
fn hub_with_cdn(body: &[u8], announced_sha: &str, cdn: FakeReply) -> FakeTransport {
    let main = format!("{HUB}/org/repo/resolve/main/tokenizer.json");
    let pinned = format!("{HUB}/org/repo/resolve/{COMMIT}/tokenizer.json");
    let head = FakeReply::redirect("https://cdn.example/blob?sig=1")
        .with_header("x-repo-commit", COMMIT)
        .with_header("x-linked-etag", &format!("\"{announced_sha}\""))
        .with_header("x-linked-size", &body.len().to_string());
    FakeTransport::new()
        .reply_to("HEAD", &main, head)
        .reply(&pinned, FakeReply::redirect("https://cdn.example/blob?sig=1"))
        .reply("https://cdn.example/blob?sig=1", cdn)
}

fn get(transport: &FakeTransport, store: &FakeStore, revision: &str, offline: bool) -> Result<Vec<u8>, HubError> {
    let credentials = FakeCredentials::new(None);
    let client = HubClient {
        transport,
        credentials: &credentials,
        endpoint: Endpoint::parse(HUB).unwrap(),
        advice: AccessAdvice::TOKEN,
    };
    let cached = CachedHub {
        client,
        store,
        root: ROOT.into(),
        offline,
    };
    pollster::block_on(cached.get(&file(revision), &|_| {}))
}

#[test]
fn a_file_read_whole_announced_over_its_cap_is_refused_before_any_download() {
    let t = FakeTransport::new().reply_to(
        "HEAD",
        &format!("{HUB}/org/repo/resolve/main/tokenizer.json"),
        FakeReply::redirect("https://cdn.example/blob?sig=1")
            .with_header("x-repo-commit", COMMIT)
            .with_header("x-linked-etag", &format!("\"{}\"", sha(b"x")))
            .with_header("x-linked-size", &(MAX_TOKENIZER_JSON_BYTES + 1).to_string()),
    );
    let store = FakeStore::default();
    let err = get(&t, &store, "main", false).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidTokenizer, "{}", err.message);
    assert!(err.message.contains("tokenizer.json"), "{}", err.message);
    assert_eq!(t.requests().len(), 1, "only the HEAD: {:?}", t.requests());
    assert!(store.files.borrow().is_empty(), "nothing written");
}

#[test]
fn a_ref_file_larger_than_a_commit_hash_is_never_read_whole() {
    let store = FakeStore::default();
    let cache = RepoCache::new(ROOT, RepoType::Model, &RepoId::parse("org/repo").unwrap());
    let path = cache.reference(&Revision::main());
    let mut huge = COMMIT.as_bytes().to_vec();
    huge.resize(MAX_REF_BYTES as usize + 1, b'\n');
    store.files.borrow_mut().insert(path.clone(), huge);
    assert_eq!(pollster::block_on(read_ref(&store, &cache, &Revision::main())), None);
    store
        .files
        .borrow_mut()
        .insert(path, format!("{COMMIT}\n").into_bytes());
    assert_eq!(
        pollster::block_on(read_ref(&store, &cache, &Revision::main())).as_deref(),
        Some(COMMIT)
    );
}

#[test]
fn downloads_into_the_layout_then_revalidates_with_one_head() {
    let body = b"tokenizer bytes";
    let t = hub_serving(body, &sha(body));
    let store = FakeStore::default();
    let first = get(&t, &store, "main", false);
    assert_eq!(
        first.as_deref().ok(),
        Some(&body[..]),
        "{first:?} after {:?}",
        t.requests()
    );
    let files = store.files.borrow().clone();
    assert_eq!(files[&format!("/cache/models--org--repo/blobs/{}", sha(body))], body);
    assert_eq!(files["/cache/models--org--repo/refs/main"], COMMIT.as_bytes());
    assert_eq!(store.links.borrow()[SNAPSHOT], format!("../../blobs/{}", sha(body)));
    let before = t.requests().len();
    assert_eq!(get(&t, &store, "main", false).unwrap(), body);
    assert_eq!(
        t.requests()[before..],
        [format!("HEAD {HUB}/org/repo/resolve/main/tokenizer.json")]
    );
}

#[test]
fn commit_hash_in_cache_and_offline_make_no_request() {
    let body = b"x";
    let t = hub_serving(body, &sha(body));
    let store = FakeStore::default();
    get(&t, &store, "main", false).unwrap();
    let before = t.requests().len();
    assert_eq!(get(&t, &store, COMMIT, false).unwrap(), body);
    assert_eq!(get(&t, &store, "main", true).unwrap(), body);
    assert_eq!(t.requests().len(), before);
}

#[test]
fn offline_without_cache_names_what_is_missing() {
    let t = FakeTransport::new();
    let err = get(&t, &FakeStore::default(), "v1", true).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotCached);
    assert!(err.message.contains("tokenizer.json") && err.message.contains("org/repo") && err.message.contains("v1"));
    assert!(t.requests().is_empty());
}

#[test]
fn unreachable_hub_falls_back_to_the_cache_only_when_cached() {
    let body = b"cached";
    let store = FakeStore::default();
    get(&hub_serving(body, &sha(body)), &store, "main", false).unwrap();
    let down = FakeTransport::new();
    assert_eq!(get(&down, &store, "main", false).unwrap(), body);
    assert_eq!(
        get(&down, &FakeStore::default(), "main", false).unwrap_err().code,
        ErrorCode::Network
    );
}

#[test]
fn corrupt_downloads_are_refused_and_not_cached() {
    let t = hub_serving(b"tampered", &sha(b"original"));
    let store = FakeStore::default();
    assert_eq!(get(&t, &store, "main", false).unwrap_err().code, ErrorCode::Integrity);
    assert!(store
        .files
        .borrow()
        .keys()
        .all(|k| !k.contains("/blobs/") && !k.contains("/snapshots/")));
}

#[test]
fn missing_files_are_remembered() {
    let url = format!("{HUB}/org/repo/resolve/main/tokenizer.json");
    let t = FakeTransport::new().reply_to(
        "HEAD",
        &url,
        FakeReply::error(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", COMMIT),
    );
    let store = FakeStore::default();
    assert_eq!(
        get(&t, &store, "main", false).unwrap_err().code,
        ErrorCode::EntryNotFound
    );
    assert!(store
        .files
        .borrow()
        .contains_key(&format!("/cache/models--org--repo/.no_exist/{COMMIT}/tokenizer.json")));
    assert_eq!(
        get(&FakeTransport::new(), &store, "main", true).unwrap_err().code,
        ErrorCode::EntryNotFound
    );
}

const BODY: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn blob_path(body: &[u8]) -> String {
    format!("/cache/models--org--repo/blobs/{}", sha(body))
}

fn ranges(t: &FakeTransport) -> Vec<Option<String>> {
    t.request_headers()
        .into_iter()
        .zip(t.requests())
        .filter(|(_, r)| r.starts_with("GET https://cdn"))
        .map(|(h, _)| h.into_iter().find(|(k, _)| k == "Range").map(|(_, v)| v))
        .collect()
}

#[test]
fn a_dropped_connection_resumes_with_range_after_a_pause() {
    let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY).dropping_after(10));
    let store = FakeStore::default();
    assert_eq!(get(&t, &store, "main", false).unwrap(), BODY);
    assert_eq!(ranges(&t), [None, Some("bytes=10-".to_owned())]);
    assert_eq!(t.pauses(), [250]);
    let files = store.files.borrow();
    assert_eq!(files[&blob_path(BODY)], BODY);
    assert!(
        files
            .keys()
            .all(|k| !k.ends_with(".incomplete") && !k.ends_with(".lock")),
        "{:?}",
        files.keys()
    );
}

#[test]
fn a_server_ignoring_range_restarts_the_file_cleanly() {
    let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ok(BODY).dropping_after(10));
    let store = FakeStore::default();
    assert_eq!(get(&t, &store, "main", false).unwrap(), BODY);
    assert_eq!(ranges(&t), [None, Some("bytes=10-".to_owned())]);
    assert_eq!(store.files.borrow()[&blob_path(BODY)], BODY);
}

#[test]
fn a_partial_file_from_an_earlier_run_is_hashed_and_resumed() {
    let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY));
    let store = FakeStore::default();
    let partial = format!("{}.incomplete", blob_path(BODY));
    store.files.borrow_mut().insert(partial.clone(), BODY[..20].to_vec());
    assert_eq!(get(&t, &store, "main", false).unwrap(), BODY);
    assert_eq!(ranges(&t), [Some("bytes=20-".to_owned())]);
    assert!(!store.files.borrow().contains_key(&partial));
}

#[test]
fn a_corrupt_partial_file_is_caught_and_removed() {
    let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY));
    let store = FakeStore::default();
    let partial = format!("{}.incomplete", blob_path(BODY));
    store.files.borrow_mut().insert(partial.clone(), b"XXXXXXXXXX".to_vec());
    assert_eq!(get(&t, &store, "main", false).unwrap_err().code, ErrorCode::Integrity);
    let files = store.files.borrow();
    assert!(!files.contains_key(&partial) && !files.contains_key(&blob_path(BODY)));
    assert!(!files.contains_key(SNAPSHOT));
}

#[test]
fn retries_are_bounded_and_keep_the_partial_for_later() {
    // Every answer stops short of the announced size.
    let cdn = FakeReply::ok(&BODY[..8]).with_header("content-length", &BODY.len().to_string());
    let t = hub_with_cdn(BODY, &sha(BODY), cdn);
    let store = FakeStore::default();
    let err = get(&t, &store, "main", false).unwrap_err();
    assert_eq!(err.code, ErrorCode::Network, "{err:?}");
    assert_eq!(t.pauses(), [250, 500, 1000, 2000]);
    assert_eq!(ranges(&t).len(), crate::hub::blob_download::MAX_ATTEMPTS as usize);
    let files = store.files.borrow();
    assert!(!files.contains_key(&blob_path(BODY)));
    assert!(files.keys().all(|k| !k.ends_with(".lock")));
}

#[test]
fn a_full_disk_is_a_cache_error_and_leaves_nothing_behind() {
    let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY));
    let store = FakeStore::default();
    store.capacity.set(Some(12));
    let err = get(&t, &store, "main", false).unwrap_err();
    assert_eq!(err.code, ErrorCode::CacheIo);
    assert!(err.message.contains("ENOSPC"), "{}", err.message);
    assert!(store
        .files
        .borrow()
        .keys()
        .all(|k| !k.contains("/blobs/") && !k.ends_with(".lock")));
}

#[test]
fn a_download_held_by_another_process_is_waited_for_until_aborted() {
    let t = hub_serving(BODY, &sha(BODY));
    let store = FakeStore::default();
    let lock = RepoCache::new(ROOT, RepoType::Model, &RepoId::parse("org/repo").unwrap()).lock(&sha(BODY));
    store.files.borrow_mut().insert(lock.clone(), b"held".to_vec());
    t.aborted.set(true);
    assert_eq!(get(&t, &store, "main", false).unwrap_err().code, ErrorCode::Aborted);
    assert!(ranges(&t).is_empty());
    assert!(
        store.files.borrow().contains_key(&lock),
        "another process's lock is left alone"
    );
}
