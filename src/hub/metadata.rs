//! One HEAD request for a file's current commit and etag (revalidation).
//!
//! Like huggingface_hub, relative (same-origin) redirects are followed and a
//! redirect to another origin (the CDN) is not: its 302 already carries
//! `X-Linked-Etag`, `X-Linked-Size` and `X-Repo-Commit`.

use super::credentials::Credentials;
use super::download::{FileRef, HubClient, Step};
use super::transport::{HttpResponse, Method, Transport};
use crate::core::cache::{normalize_etag, parse_commit};
use crate::core::error::{ErrorCode, HubError};
use crate::core::redirect::is_redirect;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMetadata {
    pub commit: String,
    pub etag: String,
    pub size: Option<u64>,
}

/// What the Hub said about a file.
#[derive(Debug)]
pub enum Metadata {
    Found(FileMetadata),
    /// The file does not exist at this commit (if the Hub named one).
    Missing {
        commit: Option<String>,
        error: HubError,
    },
}

impl<T: Transport, C: Credentials> HubClient<'_, T, C> {
    pub async fn metadata(&self, file: &FileRef) -> Result<Metadata, HubError> {
        // A redirect that carries X-Linked-Etag is the answer itself.
        let answer = self
            .follow_with(file, Method::Head, &[], |response, to| {
                if response.header("x-linked-etag").is_some() || !self.endpoint.is_hub_origin(to) {
                    Step::Stop
                } else {
                    Step::Follow
                }
            })
            .await?;
        let commit = answer.response.header("x-repo-commit").and_then(parse_commit);
        let status = answer.response.status;
        if !(200..400).contains(&status) {
            let error = self.error_for(&answer, file);
            return match error.code {
                ErrorCode::EntryNotFound => Ok(Metadata::Missing { commit, error }),
                _ => Err(error),
            };
        }
        found(&answer.response, commit).map(Metadata::Found).ok_or_else(|| {
            HubError::new(
                ErrorCode::HttpError,
                format!(
                    "The Hub's answer for {} in {} lacks the commit or etag headers needed to cache it.",
                    file.path, file.repo
                ),
            )
            .about(file.repo.as_str(), Some(file.path.as_str()))
        })
    }
}

fn found<B>(response: &HttpResponse<B>, commit: Option<String>) -> Option<FileMetadata> {
    let etag = response
        .header("x-linked-etag")
        .or(response.header("etag"))
        .and_then(normalize_etag)?;
    let size = response
        .header("x-linked-size")
        .or(if is_redirect(response.status) {
            None
        } else {
            response.header("content-length")
        })
        .and_then(|v| v.trim().parse().ok());
    Some(FileMetadata {
        commit: commit?,
        etag,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::classify::AccessAdvice;
    use crate::core::endpoint::Endpoint;
    use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeTransport};

    const HUB: &str = "https://huggingface.co";
    const FILE: &str = "https://huggingface.co/org/repo/resolve/main/model.bin";
    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn metadata(t: &FakeTransport) -> Result<Metadata, HubError> {
        let credentials = FakeCredentials::new(Some("hf_secret_token_value"));
        let client = HubClient {
            transport: t,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        };
        let file = FileRef {
            repo_type: RepoType::Model,
            repo: RepoId::parse("org/repo").unwrap(),
            revision: Revision::main(),
            path: RepoPath::parse("model.bin").unwrap(),
        };
        pollster::block_on(client.metadata(&file))
    }

    fn lfs_redirect(to: &str) -> FakeReply {
        FakeReply::redirect(to)
            .with_header("x-repo-commit", COMMIT)
            .with_header("x-linked-etag", "\"abc\"")
            .with_header("x-linked-size", "42")
    }

    fn found(result: Result<Metadata, HubError>) -> FileMetadata {
        match result.unwrap() {
            Metadata::Found(found) => found,
            Metadata::Missing { error, .. } => panic!("missing: {}", error.message),
        }
    }

    #[test]
    fn a_renamed_repos_redirect_is_followed_and_the_storage_hop_is_not() {
        let t = FakeTransport::new()
            .reply(FILE, FakeReply::redirect("/org/renamed/resolve/main/model.bin"))
            .reply(
                "https://huggingface.co/org/renamed/resolve/main/model.bin",
                lfs_redirect("https://cdn.example/blob?X-Amz-Signature=s"),
            );
        let meta = found(metadata(&t));
        assert_eq!(
            (meta.commit.as_str(), meta.etag.as_str(), meta.size),
            (COMMIT, "abc", Some(42))
        );
        assert_eq!(
            t.seen(),
            [
                (FILE.to_owned(), true),
                (
                    "https://huggingface.co/org/renamed/resolve/main/model.bin".to_owned(),
                    true
                )
            ]
        );
    }

    #[test]
    fn a_redirect_with_a_linked_etag_is_the_answer_even_to_the_hubs_own_origin() {
        let t = FakeTransport::new().reply(FILE, lfs_redirect("/storage/blob"));
        assert_eq!(found(metadata(&t)).etag, "abc");
        assert_eq!(t.seen().len(), 1, "the storage URL was not asked");
    }

    #[test]
    fn a_redirect_loop_on_the_hub_is_capped() {
        let t = FakeTransport::new().reply(FILE, FakeReply::redirect(FILE));
        assert_eq!(metadata(&t).unwrap_err().code, ErrorCode::TooManyRedirects);
    }

    #[test]
    fn a_missing_file_is_missing_with_the_commit_the_hub_named() {
        let t = FakeTransport::new().reply(
            FILE,
            FakeReply::error(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", COMMIT),
        );
        match metadata(&t).unwrap() {
            Metadata::Missing { commit, error } => {
                assert_eq!(commit.as_deref(), Some(COMMIT));
                assert_eq!(error.code, ErrorCode::EntryNotFound);
            }
            Metadata::Found(_) => panic!("found"),
        }
    }
}
