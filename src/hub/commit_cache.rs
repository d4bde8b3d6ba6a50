//! A cache keyed by commit, for runtimes without a filesystem (the browser's
//! Cache API).
//!
//! A branch or tag moves, so files are stored under the commit they came
//! from, never under the revision name: a new commit can't be served stale.
//! The commit is learned once per load from a HEAD of a small file the Hub
//! answers itself (a browser follows redirects on its own, so an LFS file's
//! HEAD would end at the CDN, without `X-Repo-Commit`). The last commit seen
//! for each revision is remembered too, so a load works offline. Only
//! complete 2xx bodies are stored; errors never are, except that an optional
//! file's 404 at a commit is remembered by an empty marker (a commit never
//! changes), so most repos, which lack chat_template.jinja, are not asked
//! for it on every load.

use super::credentials::Credentials;
use super::download::{FileRef, HubClient};
use super::progress::Progress;
use super::source::{absent_if_not_found, FileSource, IfUnknown};
use super::transport::{Method, Transport};
use crate::core::cache::parse_commit;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};

/// Bytes by key, best effort: a failed `put` only costs a later download.
#[allow(async_fn_in_trait)]
pub trait KeyedCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>>;
    async fn put(&self, key: &str, bytes: &[u8]);
}

pub struct CommitCache<'a, T, C, K> {
    client: HubClient<'a, T, C>,
    cache: &'a K,
    /// `None` when the Hub did not say (then nothing is cached).
    commit: Option<Revision>,
    /// The commit came from memory because the Hub could not be reached.
    offline: bool,
}

impl<'a, T: Transport, C: Credentials, K: KeyedCache> CommitCache<'a, T, C, K> {
    /// Learn the commit of `revision` with one HEAD of `probe` (none for a
    /// commit hash). A refusal (gated, private) is returned as is, so the
    /// caller can go through its proxy.
    pub async fn open(
        client: HubClient<'a, T, C>,
        cache: &'a K,
        repo_type: RepoType,
        repo: &RepoId,
        revision: &Revision,
        probe: &RepoPath,
    ) -> Result<Self, HubError> {
        let mut source = CommitCache {
            client,
            cache,
            commit: None,
            offline: false,
        };
        if revision.is_commit_hash() {
            source.commit = Some(revision.clone());
            return Ok(source);
        }
        let file = FileRef {
            repo_type,
            repo: repo.clone(),
            revision: revision.clone(),
            path: probe.clone(),
        };
        let remembered = source.ref_key(&file);
        let commit = match source.client.follow(&file, Method::Head, &[]).await {
            Ok(answer) => {
                let status = answer.response.status;
                if !(200..300).contains(&status) {
                    let error = source.client.error_for(&answer, &file);
                    // A missing probe file still names the commit.
                    if error.code != ErrorCode::EntryNotFound {
                        return Err(error);
                    }
                }
                let commit = answer.response.header("x-repo-commit").and_then(parse_commit);
                if let Some(commit) = &commit {
                    cache.put(&remembered, commit.as_bytes()).await;
                }
                commit
            }
            // Offline: the commit this revision had last time.
            Err(e) if e.code == ErrorCode::Network => match cache.get(&remembered).await {
                Some(bytes) => {
                    source.offline = true;
                    parse_commit(&String::from_utf8_lossy(&bytes))
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        };
        source.commit = commit.map(|c| Revision::parse(&c)).transpose()?;
        Ok(source)
    }

    /// The file's own URL at the commit: readable in devtools, and distinct
    /// per endpoint (the Hub or the app's proxy).
    fn key(&self, file: &FileRef) -> String {
        self.client
            .endpoint
            .resolve_url(file.repo_type, &file.repo, &file.revision, &file.path)
            .to_string()
    }

    fn ref_key(&self, file: &FileRef) -> String {
        // The Cache API ignores fragments, so a query marks it.
        format!("{}?hubguard=commit", self.key(file))
    }

    /// Marks a file known to be missing at a commit (its body is empty).
    fn missing_key(&self, pinned: &FileRef) -> String {
        format!("{}?hubguard=missing", self.key(pinned))
    }
}

impl<T: Transport, C: Credentials, K: KeyedCache> FileSource for CommitCache<'_, T, C, K> {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        let Some(commit) = &self.commit else {
            return self.client.fetch_bytes(file, on_progress).await;
        };
        let pinned = FileRef {
            revision: commit.clone(),
            ..file.clone()
        };
        let key = self.key(&pinned);
        if let Some(bytes) = self.cache.get(&key).await {
            return Ok(bytes);
        }
        let bytes = self.client.fetch_bytes(&pinned, on_progress).await?;
        self.cache.put(&key, &bytes).await;
        Ok(bytes)
    }

    async fn get_optional(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        if_unknown: IfUnknown,
    ) -> Result<Option<Vec<u8>>, HubError> {
        let Some(commit) = &self.commit else {
            return absent_if_not_found(self.client.fetch_bytes(file, on_progress).await);
        };
        let pinned = FileRef {
            revision: commit.clone(),
            ..file.clone()
        };
        let missing = self.missing_key(&pinned);
        if self.cache.get(&missing).await.is_some() {
            return Ok(None);
        }
        match self.get(file, on_progress).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.code == ErrorCode::EntryNotFound => {
                self.cache.put(&missing, b"").await;
                Ok(None)
            }
            // Offline and never fetched: as the disk cache does (see `IfUnknown`).
            Err(e) if e.code == ErrorCode::Network && self.offline && if_unknown == IfUnknown::Absent => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::core::classify::AccessAdvice;
    use crate::core::endpoint::Endpoint;
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeTransport, MemoryCache};

    const HUB: &str = "https://huggingface.co";
    const C1: &str = "1111111111111111111111111111111111111111";
    const C2: &str = "2222222222222222222222222222222222222222";

    fn hub_at(commit: &str, body: &[u8]) -> FakeTransport {
        FakeTransport::new()
            .reply_to(
                "HEAD",
                &format!("{HUB}/org/repo/resolve/main/config.json"),
                FakeReply::ok(b"").with_header("x-repo-commit", commit),
            )
            .reply(
                &format!("{HUB}/org/repo/resolve/{commit}/tokenizer.json"),
                FakeReply::ok(body),
            )
    }

    fn load(t: &FakeTransport, cache: &MemoryCache, revision: &str) -> Result<Vec<u8>, HubError> {
        let credentials = FakeCredentials::new(None);
        let client = HubClient {
            transport: t,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::PROXY,
        };
        let repo = RepoId::parse("org/repo").unwrap();
        let revision = Revision::parse(revision).unwrap();
        pollster::block_on(async {
            let source = CommitCache::open(
                client,
                cache,
                RepoType::Model,
                &repo,
                &revision,
                &RepoPath::parse("config.json").unwrap(),
            )
            .await?;
            let file = FileRef {
                repo_type: RepoType::Model,
                repo,
                revision,
                path: RepoPath::parse("tokenizer.json").unwrap(),
            };
            source.get(&file, &|_| {}).await
        })
    }

    fn gets(t: &FakeTransport) -> usize {
        t.requests().iter().filter(|r| r.starts_with("GET")).count()
    }

    #[test]
    fn a_second_load_of_the_same_commit_downloads_nothing() {
        let cache = MemoryCache::default();
        let t = hub_at(C1, b"v1");
        assert_eq!(load(&t, &cache, "main").unwrap(), b"v1");
        assert_eq!(load(&t, &cache, "main").unwrap(), b"v1");
        assert_eq!(gets(&t), 1);
    }

    #[test]
    fn a_new_commit_is_not_served_stale() {
        let cache = MemoryCache::default();
        load(&hub_at(C1, b"v1"), &cache, "main").unwrap();
        assert_eq!(load(&hub_at(C2, b"v2"), &cache, "main").unwrap(), b"v2");
    }

    #[test]
    fn offline_uses_the_last_commit_seen() {
        let cache = MemoryCache::default();
        load(&hub_at(C1, b"v1"), &cache, "main").unwrap();
        assert_eq!(load(&FakeTransport::new(), &cache, "main").unwrap(), b"v1");
        let err = load(&FakeTransport::new(), &MemoryCache::default(), "main").unwrap_err();
        assert_eq!(err.code, ErrorCode::Network);
    }

    #[test]
    fn a_commit_hash_needs_no_head_and_errors_are_not_stored() {
        let cache = MemoryCache::default();
        let t = FakeTransport::new().reply(
            &format!("{HUB}/org/repo/resolve/{C1}/tokenizer.json"),
            FakeReply::error(500, "", "boom"),
        );
        assert!(load(&t, &cache, C1).is_err());
        assert_eq!(t.requests().len(), 1);
        assert!(cache.0.borrow().is_empty());
    }

    #[test]
    fn a_gated_probe_is_returned_for_the_proxy_fallback() {
        let t = FakeTransport::new().reply_to(
            "HEAD",
            &format!("{HUB}/org/repo/resolve/main/config.json"),
            FakeReply::error(401, "GatedRepo", "gated"),
        );
        assert_eq!(
            load(&t, &MemoryCache::default(), "main").unwrap_err().code,
            ErrorCode::GatedRepo
        );
    }
}
