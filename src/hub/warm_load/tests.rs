//! Warm loads of a branch over the scripted Hub: one HEAD while the cached
//! snapshot is loaded, loaded again at the new commit when the branch has
//! moved, and the plain load's errors and offline fallback kept.

use std::cell::RefCell;

use super::*;
use crate::core::classify::AccessAdvice;
use crate::core::endpoint::Endpoint;
use crate::core::error::ErrorCode;
use crate::core::tokenizer::{CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE};
use crate::hub::download::HubClient;
use crate::hub::fake::{git_blob_sha1, FakeCredentials, FakeReply, FakeStore, FakeTransport};

const HUB: &str = "https://huggingface.co";
const OLD: &str = "0123456789abcdef0123456789abcdef01234567";
const NEW: &str = "89abcdef0123456789abcdef0123456789abcdef";
const TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
  "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
  "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hi": 1}, "unk_token": "[UNK]"}}"#;

fn config(max: u32) -> String {
    format!(r#"{{"model_max_length": {max}}}"#)
}

/// main at `commit` with tokenizer.json and a config of `max`; no template.
fn hub_at(commit: &str, max: u32) -> FakeTransport {
    let config = config(max);
    let mut t = FakeTransport::new();
    for (name, body) in [(TOKENIZER_FILE, TOKENIZER), (TOKENIZER_CONFIG_FILE, config.as_str())] {
        // As the Hub names a regular file (and hubguard checks it).
        let etag = git_blob_sha1(body.as_bytes());
        let head = FakeReply::ok(b"")
            .with_header("x-repo-commit", commit)
            .with_header("etag", &format!("\"{etag}\""))
            .with_header("content-length", &body.len().to_string());
        let pinned = format!("{HUB}/org/repo/resolve/{commit}/{name}");
        t = t
            .reply_to("HEAD", &format!("{HUB}/org/repo/resolve/main/{name}"), head.clone())
            .reply_to("HEAD", &pinned, head)
            .reply_to("GET", &pinned, FakeReply::ok(body.as_bytes()));
    }
    let missing = FakeReply::error(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", commit);
    t.reply(
        &format!("{HUB}/org/repo/resolve/main/{CHAT_TEMPLATE_FILE}"),
        missing.clone(),
    )
    .reply(
        &format!("{HUB}/org/repo/resolve/{commit}/{CHAT_TEMPLATE_FILE}"),
        missing,
    )
}

fn warm(t: &FakeTransport, store: &FakeStore) -> Result<LoadedTokenizer, HubError> {
    match warm_with(t, store, None, false)? {
        Warm::Built(tokenizer) => Ok(*tokenizer),
        Warm::Local(files) => panic!("files, not a tokenizer: {files:?}"),
    }
}

/// `local`: the caller makes tokenizers from cached files itself.
fn warm_with(
    t: &FakeTransport,
    store: &FakeStore,
    local: Option<&dyn Fn(&LocalFiles)>,
    offline: bool,
) -> Result<Warm, HubError> {
    let credentials = FakeCredentials::new(None);
    let hub = CachedHub {
        client: HubClient {
            transport: t,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        },
        store,
        root: "/cache".into(),
        offline,
    };
    let events = RefCell::new(Vec::new());
    pollster::block_on(load_tokenizer_cached(
        &hub,
        RepoType::Model,
        &RepoId::parse("org/repo").unwrap(),
        &Revision::main(),
        &|file, p| events.borrow_mut().push(format!("{file} {}", p.status())),
        local,
    ))
}

fn max_length(t: &LoadedTokenizer) -> Option<u64> {
    t.config().get("model_max_length").and_then(|v| v.as_u64())
}

#[test]
fn a_warm_load_of_a_branch_is_checked_with_one_head() {
    let t = hub_at(OLD, 100);
    let store = FakeStore::default();
    assert_eq!(max_length(&warm(&t, &store).unwrap()), Some(100));
    let before = t.requests().len();
    assert_eq!(max_length(&warm(&t, &store).unwrap()), Some(100));
    assert_eq!(
        t.requests()[before..],
        [format!("HEAD {HUB}/org/repo/resolve/main/{TOKENIZER_FILE}")]
    );
}

#[test]
fn a_branch_that_moved_is_loaded_again_from_the_new_commit() {
    let store = FakeStore::default();
    warm(&hub_at(OLD, 100), &store).unwrap();
    let moved = hub_at(NEW, 200);
    assert_eq!(max_length(&warm(&moved, &store).unwrap()), Some(200));
    assert_eq!(
        store.files.borrow()["/cache/models--org--repo/refs/main"],
        NEW.as_bytes()
    );
    // Only the changed file was fetched.
    let gets: Vec<String> = moved.requests().into_iter().filter(|r| r.starts_with("GET")).collect();
    assert_eq!(
        gets,
        [format!("GET {HUB}/org/repo/resolve/{NEW}/{TOKENIZER_CONFIG_FILE}")]
    );
}

#[test]
fn the_hubs_refusal_is_the_error_even_with_a_cached_snapshot() {
    let store = FakeStore::default();
    warm(&hub_at(OLD, 100), &store).unwrap();
    let gated = FakeTransport::new().reply(
        &format!("{HUB}/org/repo/resolve/main/{TOKENIZER_FILE}"),
        FakeReply::error(401, "GatedRepo", "restricted"),
    );
    assert_eq!(warm(&gated, &store).err().map(|e| e.code), Some(ErrorCode::GatedRepo));
}

#[test]
fn an_unreachable_hub_keeps_the_cached_load() {
    let store = FakeStore::default();
    warm(&hub_at(OLD, 100), &store).unwrap();
    assert_eq!(max_length(&warm(&FakeTransport::new(), &store).unwrap()), Some(100));
}

#[test]
fn a_snapshot_without_tokenizer_json_is_loaded_the_plain_way() {
    // A first load that got tokenizer_config.json but not tokenizer.json
    // (a dropped download) left refs/main; the next load must not fetch
    // tokenizer.json twice at once.
    let store = FakeStore::default();
    let t = hub_at(OLD, 100);
    warm(&t, &store).unwrap();
    let snapshot = format!("/cache/models--org--repo/snapshots/{OLD}/{TOKENIZER_FILE}");
    assert!(store.files.borrow_mut().remove(&snapshot).is_some());
    store.links.borrow_mut().remove(&snapshot);
    let before = t.requests().len();
    assert_eq!(max_length(&warm(&t, &store).unwrap()), Some(100));
    let heads: Vec<String> = t.requests()[before..]
        .iter()
        .filter(|r| r.starts_with("HEAD"))
        .cloned()
        .collect();
    assert_eq!(heads.len(), 3, "the plain load: {heads:?}");
}

fn local(warm: Warm) -> LocalFiles {
    match warm {
        Warm::Local(files) => files,
        Warm::Built(_) => panic!("built, not local files"),
    }
}

#[test]
fn a_cached_branch_answers_its_local_files_after_one_head() {
    let t = hub_at(OLD, 100);
    let store = FakeStore::default();
    let told = RefCell::new(Vec::new());
    let early = |files: &LocalFiles| told.borrow_mut().push(files.clone());
    // The first load fetches, and builds here.
    assert!(matches!(
        warm_with(&t, &store, Some(&early), false).unwrap(),
        Warm::Built(_)
    ));
    assert!(told.borrow().is_empty());
    let before = t.requests().len();
    let files = local(warm_with(&t, &store, Some(&early), false).unwrap());
    assert_eq!(
        t.requests()[before..],
        [format!("HEAD {HUB}/org/repo/resolve/main/{TOKENIZER_FILE}")]
    );
    // Told of the cached files while the HEAD was in flight: the same ones.
    assert_eq!(*told.borrow(), std::slice::from_ref(&files));
    let dir = "/cache/models--org--repo";
    assert_eq!(
        files,
        LocalFiles {
            commit: OLD.into(),
            tokenizer: format!("{dir}/snapshots/{OLD}/{TOKENIZER_FILE}"),
            tokenizer_size: TOKENIZER.len() as u64,
            kept_path: format!("{dir}/.hubguard/{OLD}/{TOKENIZER_FILE}.pre-parsed"),
            // A WordLevel model has no pre-parsed form.
            kept: false,
            config: Some(format!("{dir}/snapshots/{OLD}/{TOKENIZER_CONFIG_FILE}")),
            template: None,
            image: format!("{dir}/.hubguard/{OLD}/{TOKENIZER_FILE}{IMAGE_SUFFIX}"),
        }
    );
}

#[test]
fn a_moved_branch_is_built_at_its_new_commit_even_when_local_files_are_wanted() {
    let store = FakeStore::default();
    warm(&hub_at(OLD, 100), &store).unwrap();
    let told = RefCell::new(Vec::new());
    let early = |files: &LocalFiles| told.borrow_mut().push(files.commit.clone());
    match warm_with(&hub_at(NEW, 200), &store, Some(&early), false).unwrap() {
        Warm::Built(tokenizer) => assert_eq!(max_length(&tokenizer), Some(200)),
        Warm::Local(files) => panic!("the old commit's files: {files:?}"),
    }
    // The caller heard of the old commit's files early, and must not use them.
    assert_eq!(*told.borrow(), [OLD]);
}

#[test]
fn offline_the_local_files_come_with_no_request() {
    let store = FakeStore::default();
    warm(&hub_at(OLD, 100), &store).unwrap();
    let t = FakeTransport::new();
    assert_eq!(local(warm_with(&t, &store, Some(&|_| {}), true).unwrap()).commit, OLD);
    assert!(t.requests().is_empty());
}

#[test]
fn a_file_not_known_either_way_is_loaded_the_plain_way() {
    let store = FakeStore::default();
    let t = hub_at(OLD, 100);
    warm(&t, &store).unwrap();
    // Nothing says whether chat_template.jinja exists any more.
    let marker = format!("/cache/models--org--repo/.no_exist/{OLD}/{CHAT_TEMPLATE_FILE}");
    assert!(store.files.borrow_mut().remove(&marker).is_some());
    assert!(matches!(
        warm_with(&t, &store, Some(&|_| {}), false).unwrap(),
        Warm::Built(_)
    ));
}

#[test]
fn an_unreachable_hub_answers_the_cached_files() {
    let store = FakeStore::default();
    warm(&hub_at(OLD, 100), &store).unwrap();
    assert_eq!(
        local(warm_with(&FakeTransport::new(), &store, Some(&|_| {}), false).unwrap()).commit,
        OLD
    );
}
