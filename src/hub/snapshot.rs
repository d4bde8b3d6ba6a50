//! `snapshotDownload`: a whole revision (or the files patterns select) into
//! the huggingface_hub cache, as `huggingface_hub.snapshot_download` does.
//!
//! - Online: one API call lists the revision's commit and files;
//!   `refs/{revision}` is written; the selected files are fetched at that
//!   commit through [`CachedHub::ensure`], at most `max_workers` at a time.
//! - Offline (or the Hub unreachable): the snapshot folder `refs/{revision}`
//!   names is the answer, if it exists.

use std::cell::Cell;

use futures_util::stream::{self, StreamExt};

use super::cached::CachedHub;
use super::credentials::Credentials;
use super::download::FileRef;
use super::progress::Progress;
use super::store::{read_ref, FileStore};
use super::transport::Transport;
use crate::core::cache::RepoCache;
use crate::core::error::{ErrorCode, HubError};
use crate::core::patterns::{selected, Patterns};
use crate::core::repo::{RepoId, RepoType, Revision};

/// huggingface_hub's default `max_workers`.
pub const DEFAULT_WORKERS: usize = 8;
/// Enough to saturate any link; more only multiplies open sockets.
pub const MAX_WORKERS: usize = 64;

#[derive(Clone, Debug)]
pub struct SnapshotRequest {
    pub repo_type: RepoType,
    pub repo: RepoId,
    pub revision: Revision,
    /// `None`: every file. `Some(empty)`: none.
    pub allow: Option<Patterns>,
    pub ignore: Patterns,
    pub max_workers: usize,
}

impl<T: Transport, C: Credentials, S: FileStore> CachedHub<'_, T, C, S> {
    /// The snapshot folder, with the selected files in it. `on_progress`
    /// gets each file's events with its path.
    pub async fn snapshot(
        &self,
        request: &SnapshotRequest,
        on_progress: &dyn Fn(&str, Progress),
    ) -> Result<String, HubError> {
        let cache = RepoCache::new(&self.root, request.repo_type, &request.repo);
        if self.offline {
            return from_cache(self.store, &self.root, &cache, request, None).await;
        }
        let listing = match self
            .client
            .repo_listing(request.repo_type, &request.repo, &request.revision)
            .await
        {
            Ok(listing) => listing,
            // Like huggingface_hub: when the Hub cannot answer, a snapshot
            // already in the cache will do. Refusals (gated, not found,
            // bad token) are not papered over.
            Err(e) if can_fall_back(&e) => return from_cache(self.store, &self.root, &cache, request, Some(e)).await,
            Err(e) => return Err(e),
        };
        if !request.revision.is_commit_hash() {
            record_ref(self.store, &cache, &request.revision, &listing.commit).await?;
        }
        let wanted: Vec<_> = listing
            .files
            .into_iter()
            .filter(|p| selected(p.as_str(), request.allow.as_ref(), &request.ignore))
            .collect();
        let commit = Revision::parse(&listing.commit)?;
        // After a failure no new file is started, but those under way run
        // to their end: a download dropped half-way would leave its
        // partial file and lock behind.
        let failed = Cell::new(false);
        let results: Vec<Result<(), HubError>> = stream::iter(wanted.into_iter().map(|path| {
            let (failed, commit) = (&failed, &commit);
            async move {
                if failed.get() {
                    return Ok(());
                }
                let file = FileRef {
                    repo_type: request.repo_type,
                    repo: request.repo.clone(),
                    revision: commit.clone(),
                    path,
                };
                let result = self
                    .ensure(&file, &|p| on_progress(file.path.as_str(), p))
                    .await
                    .map(|_| ());
                if result.is_err() {
                    failed.set(true);
                }
                result
            }
        }))
        .buffer_unordered(request.max_workers.clamp(1, MAX_WORKERS))
        .collect()
        .await;
        results.into_iter().collect::<Result<(), HubError>>()?;
        Ok(snapshot_dir(&cache, &listing.commit))
    }
}

async fn record_ref(
    store: &impl FileStore,
    cache: &RepoCache,
    revision: &Revision,
    commit: &str,
) -> Result<(), HubError> {
    let path = cache.reference(revision);
    if read_ref(store, cache, revision).await.as_deref() == Some(commit) {
        return Ok(());
    }
    store.write_atomic(&path, commit.as_bytes()).await.map_err(|e| {
        HubError::new(
            ErrorCode::CacheIo,
            format!(
                "Could not write the cache file {path} ({}). Check free disk space and permissions, \
                 or set HF_HUB_CACHE / cacheDir to another folder.",
                e.detail
            ),
        )
    })
}

/// The snapshot folder of `refs/{revision}` (or of the commit hash
/// itself), from the cache alone. `why` is the error that sent us here.
async fn from_cache(
    store: &impl FileStore,
    root: &str,
    cache: &RepoCache,
    request: &SnapshotRequest,
    why: Option<HubError>,
) -> Result<String, HubError> {
    let commit = if request.revision.is_commit_hash() {
        Some(request.revision.as_str().to_owned())
    } else {
        read_ref(store, cache, &request.revision).await
    };
    if let Some(commit) = commit {
        let dir = snapshot_dir(cache, &commit);
        if store.exists(&dir).await {
            return Ok(dir);
        }
    }
    if let Some(error) = why {
        return Err(error);
    }
    Err(HubError::new(
        ErrorCode::NotCached,
        format!(
            "No snapshot of {} at revision {} is in the cache at {} and offline mode is on \
             (HF_HUB_OFFLINE / local_files_only). Download it once with network access, \
             or with huggingface_hub.",
            request.repo, request.revision, root
        ),
    )
    .about(request.repo.as_str(), None))
}

fn snapshot_dir(cache: &RepoCache, commit: &str) -> String {
    format!("{}/snapshots/{commit}", cache.dir())
}

/// The Hub could not be asked (network, overload, rate limit), as opposed
/// to the Hub saying no.
fn can_fall_back(error: &HubError) -> bool {
    match error.code {
        ErrorCode::Network | ErrorCode::RateLimited => true,
        ErrorCode::HttpError => error.status.is_some_and(|s| s >= 500),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::core::classify::AccessAdvice;
    use crate::core::endpoint::Endpoint;
    use crate::hub::download::HubClient;
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeStore, FakeTransport, FakeWriter};
    use crate::hub::store::IoError;

    const HUB: &str = "https://huggingface.co";
    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
    const ROOT: &str = "/cache";
    const SNAPSHOT: &str = "/cache/models--org--repo/snapshots/0123456789abcdef0123456789abcdef01234567";

    /// FakeStore, plus folders: a folder exists if a file is below it.
    #[derive(Default)]
    struct Store(FakeStore);

    impl FileStore for Store {
        type Writer<'w> = FakeWriter<'w>;
        async fn exists(&self, path: &str) -> bool {
            let below = format!("{path}/");
            self.0.exists(path).await || self.0.files.borrow().keys().any(|k| k.starts_with(&below))
        }
        async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, IoError> {
            self.0.read(path).await
        }
        async fn git_blob_sha1(&self, path: &str) -> Result<String, IoError> {
            self.0.git_blob_sha1(path).await
        }
        async fn size(&self, path: &str) -> Option<u64> {
            self.0.size(path).await
        }
        async fn age_millis(&self, path: &str) -> Option<u64> {
            self.0.age_millis(path).await
        }
        async fn touch(&self, path: &str) {
            self.0.touch(path).await
        }
        async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), IoError> {
            self.0.write_atomic(path, bytes).await
        }
        async fn create_new(&self, path: &str, bytes: &[u8]) -> Result<bool, IoError> {
            self.0.create_new(path, bytes).await
        }
        async fn open_writer(&self, path: &str, append: bool) -> Result<FakeWriter<'_>, IoError> {
            self.0.open_writer(path, append).await
        }
        async fn rename(&self, from: &str, to: &str) -> Result<(), IoError> {
            self.0.rename(from, to).await
        }
        async fn remove(&self, path: &str) {
            self.0.remove(path).await
        }
        async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), IoError> {
            self.0.link(link, target, source).await
        }
    }

    /// A repo with three files at COMMIT, "main" pointing to it.
    fn hub() -> FakeTransport {
        let mut t = FakeTransport::new().reply(
            &format!("{HUB}/api/models/org/repo/revision/main"),
            FakeReply::ok(
                format!(
                    r#"{{"sha":"{COMMIT}","siblings":[{{"rfilename":"config.json"}},{{"rfilename":"tokenizer.json"}},{{"rfilename":"onnx/model.onnx"}}]}}"#
                )
                .as_bytes(),
            ),
        );
        for path in ["config.json", "tokenizer.json", "onnx/model.onnx"] {
            let body = format!("bytes of {path}");
            let sha = format!("{:x}", Sha256::digest(body.as_bytes()));
            let url = format!("{HUB}/org/repo/resolve/{COMMIT}/{path}");
            t = t
                .reply_to(
                    "HEAD",
                    &url,
                    FakeReply::ok(b"")
                        .with_header("x-repo-commit", COMMIT)
                        .with_header("etag", &format!("\"{sha}\""))
                        .with_header("content-length", &body.len().to_string()),
                )
                .reply(&url, FakeReply::ok(body.as_bytes()));
        }
        t
    }

    fn request(allow: Option<&[&str]>, ignore: &[&str], revision: &str) -> SnapshotRequest {
        SnapshotRequest {
            repo_type: RepoType::Model,
            repo: RepoId::parse("org/repo").unwrap(),
            revision: Revision::parse(revision).unwrap(),
            allow: allow.map(|a| Patterns::new(a.iter())),
            ignore: Patterns::new(ignore.iter()),
            max_workers: 2,
        }
    }

    fn run(t: &FakeTransport, store: &Store, req: &SnapshotRequest, offline: bool) -> Result<String, HubError> {
        let credentials = FakeCredentials::new(None);
        let cached = CachedHub {
            client: HubClient {
                transport: t,
                credentials: &credentials,
                endpoint: Endpoint::parse(HUB).unwrap(),
                advice: AccessAdvice::TOKEN,
            },
            store,
            root: ROOT.into(),
            offline,
        };
        pollster::block_on(cached.snapshot(req, &|_, _| {}))
    }

    fn gets(t: &FakeTransport) -> Vec<String> {
        let mut g: Vec<_> = t
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("GET ") && r.contains("/resolve/"))
            .collect();
        g.sort();
        g
    }

    #[test]
    fn fetches_the_selected_files_at_the_listed_commit_and_writes_the_ref() {
        let t = hub();
        let store = Store::default();
        let dir = run(&t, &store, &request(Some(&["*.json"]), &["config.json"], "main"), false).unwrap();
        assert_eq!(dir, SNAPSHOT);
        assert_eq!(
            gets(&t),
            [format!("GET {HUB}/org/repo/resolve/{COMMIT}/tokenizer.json")]
        );
        let files = store.0.files.borrow();
        assert_eq!(files["/cache/models--org--repo/refs/main"], COMMIT.as_bytes());
        assert_eq!(files[&format!("{SNAPSHOT}/tokenizer.json")], b"bytes of tokenizer.json");
        assert!(!files.contains_key(&format!("{SNAPSHOT}/config.json")));
    }

    #[test]
    fn folder_patterns_and_everything() {
        let t = hub();
        run(&t, &Store::default(), &request(Some(&["onnx/"]), &[], "main"), false).unwrap();
        assert_eq!(
            gets(&t),
            [format!("GET {HUB}/org/repo/resolve/{COMMIT}/onnx/model.onnx")]
        );
        let t = hub();
        run(&t, &Store::default(), &request(None, &[], "main"), false).unwrap();
        assert_eq!(gets(&t).len(), 3);
    }

    #[test]
    fn a_second_run_downloads_nothing_and_offline_reads_the_ref() {
        let store = Store::default();
        run(&hub(), &store, &request(None, &[], "main"), false).unwrap();
        let t = hub();
        run(&t, &store, &request(None, &[], "main"), false).unwrap();
        assert!(gets(&t).is_empty());
        let none = FakeTransport::new();
        assert_eq!(run(&none, &store, &request(None, &[], "main"), true).unwrap(), SNAPSHOT);
        assert_eq!(run(&none, &store, &request(None, &[], COMMIT), true).unwrap(), SNAPSHOT);
        assert!(none.requests().is_empty());
        // The Hub unreachable: the cached snapshot answers too.
        assert_eq!(
            run(&none, &store, &request(None, &[], "main"), false).unwrap(),
            SNAPSHOT
        );
    }

    #[test]
    fn offline_without_a_snapshot_names_repo_and_revision() {
        let t = FakeTransport::new();
        let err = run(&t, &Store::default(), &request(None, &[], "v2"), true).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotCached);
        assert!(
            err.message.contains("org/repo") && err.message.contains("v2"),
            "{}",
            err.message
        );
        assert!(t.requests().is_empty());
        let err = run(&t, &Store::default(), &request(None, &[], "v2"), false).unwrap_err();
        assert_eq!(err.code, ErrorCode::Network);
    }

    #[test]
    fn refusals_are_not_answered_from_the_cache() {
        let store = Store::default();
        run(&hub(), &store, &request(None, &[], "main"), false).unwrap();
        let t = FakeTransport::new().reply(
            &format!("{HUB}/api/models/org/repo/revision/main"),
            FakeReply::error(401, "GatedRepo", "restricted"),
        );
        assert_eq!(
            run(&t, &store, &request(None, &[], "main"), false).unwrap_err().code,
            ErrorCode::GatedRepo
        );
    }

    #[test]
    fn one_failing_file_fails_the_snapshot_and_starts_no_more() {
        // Only the listing answers: every file's HEAD is refused.
        let t = FakeTransport::new().reply(
            &format!("{HUB}/api/models/org/repo/revision/main"),
            FakeReply::ok(
                format!(r#"{{"sha":"{COMMIT}","siblings":[{{"rfilename":"a"}},{{"rfilename":"b"}},{{"rfilename":"c"}},{{"rfilename":"d"}}]}}"#)
                    .as_bytes(),
            ),
        );
        let err = run(&t, &Store::default(), &request(None, &[], "main"), false).unwrap_err();
        assert_eq!(err.code, ErrorCode::Network);
        let heads = t.requests().iter().filter(|r| r.starts_with("HEAD ")).count();
        assert!(heads < 4, "{:?}", t.requests());
    }

    #[test]
    fn progress_names_each_file() {
        let seen = RefCell::new(Vec::new());
        let credentials = FakeCredentials::new(None);
        let t = hub();
        let store = Store::default();
        let cached = CachedHub {
            client: HubClient {
                transport: &t,
                credentials: &credentials,
                endpoint: Endpoint::parse(HUB).unwrap(),
                advice: AccessAdvice::TOKEN,
            },
            store: &store,
            root: ROOT.into(),
            offline: false,
        };
        pollster::block_on(cached.snapshot(&request(Some(&["*.json"]), &[], "main"), &|f, p| {
            if p == Progress::Done {
                seen.borrow_mut().push(f.to_owned())
            }
        }))
        .unwrap();
        let mut seen = seen.into_inner();
        seen.sort();
        assert_eq!(seen, ["config.json", "tokenizer.json"]);
    }
}
