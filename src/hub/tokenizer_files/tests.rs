//! load_tokenizer over the scripted Hub: chat_template.jinja is fetched with
//! the other two files, wins over the config, and its absence costs no
//! request once known (disk cache and Cache API alike).

use std::cell::RefCell;

use super::*;
use crate::core::classify::AccessAdvice;
use crate::core::endpoint::Endpoint;
use crate::hub::cached::CachedHub;
use crate::hub::commit_cache::CommitCache;
use crate::hub::download::HubClient;
use crate::hub::fake::{git_blob_sha1, FakeCredentials, FakeReply, FakeStore, FakeTransport, MemoryCache};

const HUB: &str = "https://huggingface.co";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
  "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
  "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hi": 1}, "unk_token": "[UNK]"}}"#;
const CONFIG_TEMPLATE: &str = r#"{"chat_template": "config:{{ messages[0].content }}"}"#;
const FILE_TEMPLATE: &str = "file:{{ messages[0].content }}";

/// A repo at COMMIT holding `files`; every other file is a 404 that names
/// the commit, as the Hub answers. Non-LFS files: the Hub serves them itself,
/// named by their git blob sha1.
fn hub(files: &[(&str, &str)]) -> FakeTransport {
    let mut t = FakeTransport::new();
    for name in [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, CHAT_TEMPLATE_FILE] {
        let head = format!("{HUB}/org/repo/resolve/main/{name}");
        t = match files.iter().find(|(n, _)| *n == name) {
            Some((_, body)) => t
                .reply_to(
                    "HEAD",
                    &head,
                    FakeReply::ok(b"")
                        .with_header("x-repo-commit", COMMIT)
                        .with_header("etag", &format!("\"{}\"", git_blob_sha1(body.as_bytes())))
                        .with_header("content-length", &body.len().to_string()),
                )
                .reply(
                    &format!("{HUB}/org/repo/resolve/{COMMIT}/{name}"),
                    FakeReply::ok(body.as_bytes()),
                )
                .reply_to(
                    "GET",
                    &head,
                    FakeReply::ok(body.as_bytes()).with_header("x-repo-commit", COMMIT),
                ),
            None => {
                let missing =
                    FakeReply::error(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", COMMIT);
                t.reply(&head, missing.clone())
                    .reply(&format!("{HUB}/org/repo/resolve/{COMMIT}/{name}"), missing)
            }
        };
    }
    t
}

fn client<'a>(t: &'a FakeTransport, credentials: &'a FakeCredentials) -> HubClient<'a, FakeTransport, FakeCredentials> {
    HubClient {
        transport: t,
        credentials,
        endpoint: Endpoint::parse(HUB).unwrap(),
        advice: AccessAdvice::TOKEN,
    }
}

fn run(source: &impl FileSource, revision: &str, events: &RefCell<Vec<String>>) -> Result<LoadedTokenizer, HubError> {
    let record = |file: &str, p: Progress| events.borrow_mut().push(format!("{file} {}", p.status()));
    pollster::block_on(load_tokenizer(
        source,
        RepoType::Model,
        &RepoId::parse("org/repo").unwrap(),
        &Revision::parse(revision).unwrap(),
        &record,
    ))
}

fn cached_load(
    t: &FakeTransport,
    store: &FakeStore,
    revision: &str,
    offline: bool,
) -> Result<LoadedTokenizer, HubError> {
    let credentials = FakeCredentials::new(None);
    let source = CachedHub {
        client: client(t, &credentials),
        store,
        root: "/cache".into(),
        offline,
    };
    run(&source, revision, &RefCell::default())
}

fn template(t: &LoadedTokenizer) -> String {
    t.chat_template_source(None, false).unwrap()
}

#[test]
fn the_file_alone_gives_the_template_and_wins_over_the_config() {
    let only_file = hub(&[(TOKENIZER_FILE, TOKENIZER), (CHAT_TEMPLATE_FILE, FILE_TEMPLATE)]);
    assert_eq!(
        template(&cached_load(&only_file, &FakeStore::default(), "main", false).unwrap()),
        FILE_TEMPLATE
    );
    let both = hub(&[
        (TOKENIZER_FILE, TOKENIZER),
        (TOKENIZER_CONFIG_FILE, CONFIG_TEMPLATE),
        (CHAT_TEMPLATE_FILE, FILE_TEMPLATE),
    ]);
    assert_eq!(
        template(&cached_load(&both, &FakeStore::default(), "main", false).unwrap()),
        FILE_TEMPLATE
    );
    let events = RefCell::default();
    let credentials = FakeCredentials::new(None);
    assert_eq!(
        template(&run(&client(&both, &credentials), "main", &events).unwrap()),
        FILE_TEMPLATE
    );
    let statuses: Vec<String> = events
        .take()
        .into_iter()
        .filter(|e| e.starts_with(CHAT_TEMPLATE_FILE))
        .collect();
    assert_eq!(
        statuses.first().map(String::as_str),
        Some("chat_template.jinja initiate")
    );
    assert_eq!(statuses.last().map(String::as_str), Some("chat_template.jinja done"));
}

#[test]
fn a_missing_file_is_remembered_so_cached_loads_stay_at_one_head_per_file_or_none() {
    let t = hub(&[(TOKENIZER_FILE, TOKENIZER), (TOKENIZER_CONFIG_FILE, CONFIG_TEMPLATE)]);
    let store = FakeStore::default();
    let loaded = cached_load(&t, &store, "main", false).unwrap();
    assert_eq!(template(&loaded), "config:{{ messages[0].content }}");
    assert!(store.files.borrow().contains_key(&format!(
        "/cache/models--org--repo/.no_exist/{COMMIT}/chat_template.jinja"
    )));

    let before = t.requests().len();
    cached_load(&t, &store, "main", false).unwrap();
    let mut revalidation = t.requests()[before..].to_vec();
    revalidation.sort();
    assert_eq!(
        revalidation,
        [CHAT_TEMPLATE_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE]
            .map(|f| format!("HEAD {HUB}/org/repo/resolve/main/{f}"))
    );

    let before = t.requests().len();
    cached_load(&t, &store, COMMIT, false).unwrap();
    cached_load(&t, &store, "main", true).unwrap();
    assert_eq!(
        t.requests()[before..],
        [] as [String; 0],
        "commit hash and offline: no request"
    );
}

#[test]
fn offline_an_uncached_unknown_file_counts_as_absent_but_the_config_does_not() {
    // As if Python had downloaded only tokenizer.json and tokenizer_config.json.
    let t = hub(&[(TOKENIZER_FILE, TOKENIZER), (TOKENIZER_CONFIG_FILE, CONFIG_TEMPLATE)]);
    let store = FakeStore::default();
    cached_load(&t, &store, "main", false).unwrap();
    store.files.borrow_mut().retain(|k, _| !k.contains("/.no_exist/"));
    let down = FakeTransport::new();
    for offline in [true, false] {
        let loaded = cached_load(&down, &store, "main", offline).unwrap();
        assert_eq!(template(&loaded), "config:{{ messages[0].content }}");
    }
    // tokenizer_config.json unknown offline stays NOT_CACHED, as before.
    store
        .files
        .borrow_mut()
        .retain(|k, _| !k.ends_with(TOKENIZER_CONFIG_FILE));
    store
        .links
        .borrow_mut()
        .retain(|k, _| !k.ends_with(TOKENIZER_CONFIG_FILE));
    let err = cached_load(&down, &store, "main", true).err().unwrap();
    assert_eq!(err.code, ErrorCode::NotCached, "{err:?}");
}

#[test]
fn a_missing_file_reports_no_progress_and_a_proxy_refusal_does_not_break_the_load() {
    let t = hub(&[(TOKENIZER_FILE, TOKENIZER), (TOKENIZER_CONFIG_FILE, CONFIG_TEMPLATE)]);
    let events = RefCell::default();
    let credentials = FakeCredentials::new(None);
    run(&client(&t, &credentials), "main", &events).unwrap();
    assert!(
        events.borrow().iter().all(|e| !e.starts_with(CHAT_TEMPLATE_FILE)),
        "{events:?}"
    );

    let refused = FakeReply::error(
        403,
        "ProxyRefused",
        "File chat_template.jinja of org/repo is not allowed.",
    );
    let t = hub(&[(TOKENIZER_FILE, TOKENIZER), (TOKENIZER_CONFIG_FILE, CONFIG_TEMPLATE)])
        .reply(&format!("{HUB}/org/repo/resolve/main/{CHAT_TEMPLATE_FILE}"), refused);
    let loaded = run(&client(&t, &credentials), "main", &RefCell::default()).unwrap();
    assert_eq!(template(&loaded), "config:{{ messages[0].content }}");
}

#[test]
fn invalid_utf8_in_the_file_is_a_typed_error() {
    let t = FakeTransport::new()
        .reply(
            &format!("{HUB}/org/repo/resolve/main/{TOKENIZER_FILE}"),
            FakeReply::ok(TOKENIZER.as_bytes()),
        )
        .reply(
            &format!("{HUB}/org/repo/resolve/main/{TOKENIZER_CONFIG_FILE}"),
            FakeReply::error(404, "EntryNotFound", "Entry not found"),
        )
        .reply(
            &format!("{HUB}/org/repo/resolve/main/{CHAT_TEMPLATE_FILE}"),
            FakeReply::ok(b"\xff"),
        );
    let credentials = FakeCredentials::new(None);
    let err = run(&client(&t, &credentials), "main", &RefCell::default())
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::InvalidTokenizer);
}

fn browser_load(t: &FakeTransport, cache: &MemoryCache) -> Result<LoadedTokenizer, HubError> {
    let credentials = FakeCredentials::new(None);
    let repo = RepoId::parse("org/repo").unwrap();
    let revision = Revision::main();
    let probe = RepoPath::parse(TOKENIZER_CONFIG_FILE).unwrap();
    let source = pollster::block_on(CommitCache::open(
        client(t, &credentials),
        cache,
        RepoType::Model,
        &repo,
        &revision,
        &probe,
    ))?;
    run(&source, "main", &RefCell::default())
}

#[test]
fn the_cache_api_remembers_a_missing_file_by_commit() {
    let t = hub(&[(TOKENIZER_FILE, TOKENIZER), (TOKENIZER_CONFIG_FILE, CONFIG_TEMPLATE)]);
    let cache = MemoryCache::default();
    browser_load(&t, &cache).unwrap();
    let before = t.requests().len();
    let loaded = browser_load(&t, &cache).unwrap();
    assert_eq!(template(&loaded), "config:{{ messages[0].content }}");
    assert_eq!(
        t.requests()[before..],
        [format!("HEAD {HUB}/org/repo/resolve/main/{TOKENIZER_CONFIG_FILE}")]
    );
    // Offline, a cache filled before chat_template.jinja was asked for still loads.
    cache.0.borrow_mut().retain(|k, _| !k.ends_with("?hubguard=missing"));
    assert!(browser_load(&FakeTransport::new(), &cache).is_ok());

    let with_file = hub(&[(TOKENIZER_FILE, TOKENIZER), (CHAT_TEMPLATE_FILE, FILE_TEMPLATE)]);
    let cache = MemoryCache::default();
    assert_eq!(template(&browser_load(&with_file, &cache).unwrap()), FILE_TEMPLATE);
    assert_eq!(
        template(&browser_load(&FakeTransport::new(), &cache).unwrap()),
        FILE_TEMPLATE
    );
}

const BPE_TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
  "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
  "model": {"type": "BPE", "dropout": null, "unk_token": "[UNK]", "continuing_subword_prefix": null,
    "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
    "vocab": {"[UNK]": 0, "h": 1, "i": 2, "hi": 3}, "merges": [["h", "i"]]}}"#;

#[test]
fn the_cache_keeps_a_pre_parsed_form_and_later_loads_use_it_instead_of_the_file() {
    let t = hub(&[(TOKENIZER_FILE, BPE_TOKENIZER)]);
    let store = FakeStore::default();
    let ids = |t: &LoadedTokenizer| t.encode("hi h", false).unwrap();
    assert_eq!(ids(&cached_load(&t, &store, "main", false).unwrap()), vec![3, 1]);
    let kept_path = format!("/cache/models--org--repo/.hubguard/{COMMIT}/tokenizer.json.pre-parsed");
    let kept = store
        .files
        .borrow()
        .get(&kept_path)
        .cloned()
        .expect("kept beside the file");
    let snapshot = format!("/cache/models--org--repo/snapshots/{COMMIT}/{TOKENIZER_FILE}");

    // The file turned to junk of the same size: only the kept form can
    // give this tokenizer now.
    let junk = vec![b'x'; BPE_TOKENIZER.len()];
    store.files.borrow_mut().insert(snapshot.clone(), junk);
    for revision in ["main", COMMIT] {
        assert_eq!(ids(&cached_load(&t, &store, revision, false).unwrap()), vec![3, 1]);
    }

    // A damaged kept form is not used: the file is read, the form replaced.
    store.files.borrow_mut().insert(snapshot.clone(), BPE_TOKENIZER.into());
    store.files.borrow_mut().get_mut(&kept_path).unwrap()[40] ^= 1;
    assert_eq!(ids(&cached_load(&t, &store, COMMIT, false).unwrap()), vec![3, 1]);
    let sound = |store: &FakeStore, size: usize| {
        let kept = store.files.borrow().get(&kept_path).cloned().unwrap();
        TokenizerJson::from_pre_parsed(&kept, size as u64).is_some()
    };
    assert!(sound(&store, BPE_TOKENIZER.len()), "replaced by a sound form");

    // A file of another size than the form was made from wins over it.
    let longer = BPE_TOKENIZER.replace(r#""hi": 3"#, r#""hi":  3"#);
    store.files.borrow_mut().insert(snapshot, longer.into());
    assert_eq!(ids(&cached_load(&t, &store, COMMIT, false).unwrap()), vec![3, 1]);
    assert!(sound(&store, BPE_TOKENIZER.len() + 1), "remade for the new file");
    assert_ne!(store.files.borrow().get(&kept_path), Some(&kept));

    // Models without a pre-parsed form keep nothing.
    let t = hub(&[(TOKENIZER_FILE, TOKENIZER)]);
    let store = FakeStore::default();
    cached_load(&t, &store, "main", false).unwrap();
    assert!(store.files.borrow().keys().all(|k| !k.contains("/.hubguard/")));
}
