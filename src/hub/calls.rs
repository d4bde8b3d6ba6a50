//! The Hub API's calls (`downloadFile`, `snapshotDownload`, `fileExists`,
//! `modelInfo`, `whoami`), each one function the binding calls once: what
//! a call does when its caller cancels it, and in offline mode.

use super::cached::CachedHub;
use super::credentials::Credentials;
use super::download::{FileRef, HubClient};
use super::progress::Progress;
use super::snapshot::SnapshotRequest;
use super::store::FileStore;
use super::transport::Transport;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{RepoId, RepoType, Revision};

/// The file in the cache (downloaded unless offline) → its snapshot path.
pub async fn download_file<T: Transport, C: Credentials, S: FileStore>(
    hub: &CachedHub<'_, T, C, S>,
    file: &FileRef,
    on_progress: &dyn Fn(Progress),
) -> Result<String, HubError> {
    let transport = hub.client.transport;
    let result = async {
        refuse_if_aborted(transport)?;
        hub.ensure(file, on_progress).await
    };
    settled(transport, result.await).map(|found| found.path)
}

/// A revision's selected files in the cache → the snapshot folder.
pub async fn snapshot_download<T: Transport, C: Credentials, S: FileStore>(
    hub: &CachedHub<'_, T, C, S>,
    request: &SnapshotRequest,
    on_progress: &dyn Fn(&str, Progress),
) -> Result<String, HubError> {
    let transport = hub.client.transport;
    let result = async {
        refuse_if_aborted(transport)?;
        hub.snapshot(request, on_progress).await
    };
    settled(
        transport,
        result.await.map_err(|e| e.about(request.repo.as_str(), None)),
    )
}

/// One HEAD request: false when the file is not in the repo.
pub async fn file_exists<T: Transport, C: Credentials>(
    client: &HubClient<'_, T, C>,
    offline: bool,
    file: &FileRef,
) -> Result<bool, HubError> {
    refuse_offline(offline, "fileExists")?;
    settled(client.transport, client.file_exists(file).await)
}

/// The Hub's JSON text about a repo.
pub async fn model_info<T: Transport, C: Credentials>(
    client: &HubClient<'_, T, C>,
    offline: bool,
    repo_type: RepoType,
    repo: &RepoId,
    revision: Option<&Revision>,
) -> Result<String, HubError> {
    refuse_offline(offline, "modelInfo")?;
    settled(client.transport, client.repo_info_text(repo_type, repo, revision).await)
}

/// The Hub's JSON text about the token's account.
pub async fn whoami<T: Transport, C: Credentials>(
    client: &HubClient<'_, T, C>,
    offline: bool,
) -> Result<String, HubError> {
    refuse_offline(offline, "whoami")?;
    settled(client.transport, client.whoami_text().await)
}

fn refuse_if_aborted(transport: &impl Transport) -> Result<(), HubError> {
    match transport.is_aborted() {
        true => Err(HubError::aborted()),
        false => Ok(()),
    }
}

/// Whatever error a cancelled call ended with (a dropped body, a refused
/// fetch), the caller asked for it: say so, with one code.
fn settled<R>(transport: &impl Transport, result: Result<R, HubError>) -> Result<R, HubError> {
    match result {
        Err(e) if e.code != ErrorCode::Aborted && transport.is_aborted() => {
            let mut error = HubError::aborted();
            error.repo_id = e.repo_id;
            error.file = e.file;
            Err(error)
        }
        other => other,
    }
}

/// These calls ask the Hub, and offline mode means no request at all.
fn refuse_offline(offline: bool, what: &str) -> Result<(), HubError> {
    match offline {
        true => Err(HubError::new(
            ErrorCode::Network,
            format!("{what} needs the Hub, and offline mode is on (HF_HUB_OFFLINE or local_files_only)."),
        )),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use pollster::block_on;

    use super::*;
    use crate::core::classify::AccessAdvice;
    use crate::core::endpoint::Endpoint;
    use crate::core::repo::RepoPath;
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeStore, FakeTransport};

    const HUB: &str = "https://hub.test";

    fn client<'a>(
        transport: &'a FakeTransport,
        credentials: &'a FakeCredentials,
    ) -> HubClient<'a, FakeTransport, FakeCredentials> {
        HubClient {
            transport,
            credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        }
    }

    fn file() -> FileRef {
        FileRef {
            repo_type: RepoType::Model,
            repo: RepoId::parse("org/model").unwrap(),
            revision: Revision::main(),
            path: RepoPath::parse("config.json").unwrap(),
        }
    }

    #[test]
    fn offline_calls_that_need_the_hub_make_no_request() {
        let t = FakeTransport::new();
        let credentials = FakeCredentials::new(None);
        let c = client(&t, &credentials);
        let repo = RepoId::parse("org/model").unwrap();
        let errors = [
            block_on(file_exists(&c, true, &file())).unwrap_err(),
            block_on(model_info(&c, true, RepoType::Model, &repo, None)).unwrap_err(),
            block_on(whoami(&c, true)).unwrap_err(),
        ];
        for (error, what) in errors.iter().zip(["fileExists", "modelInfo", "whoami"]) {
            assert_eq!(error.code, ErrorCode::Network);
            assert!(
                error.message.starts_with(&format!("{what} needs the Hub")),
                "{}",
                error.message
            );
        }
        assert!(t.requests().is_empty());
    }

    #[test]
    fn a_call_cancelled_before_it_starts_makes_no_request() {
        let t = FakeTransport::new();
        t.aborted.set(true);
        let credentials = FakeCredentials::new(None);
        let store = FakeStore::default();
        let hub = CachedHub {
            client: client(&t, &credentials),
            store: &store,
            root: "/cache".into(),
            offline: false,
        };
        let error = block_on(download_file(&hub, &file(), &|_| {})).unwrap_err();
        assert_eq!(error.code, ErrorCode::Aborted);
        assert!(t.requests().is_empty());
    }

    #[test]
    fn whatever_a_cancelled_call_failed_with_is_aborted() {
        // The signal fired during the request: the refused connection is
        // what the caller asked for.
        let t = FakeTransport::new();
        let credentials = FakeCredentials::new(None);
        let c = client(&t, &credentials);
        let plain = block_on(file_exists(&c, false, &file())).unwrap_err();
        assert_eq!(plain.code, ErrorCode::Network);
        t.aborted.set(true);
        let error = block_on(file_exists(&c, false, &file())).unwrap_err();
        assert_eq!(error.code, ErrorCode::Aborted);
    }

    #[test]
    fn a_call_that_succeeds_is_not_settled_into_an_error() {
        let t = FakeTransport::new().reply(&format!("{HUB}/api/whoami-v2"), FakeReply::ok(br#"{"name":"me"}"#));
        let credentials = FakeCredentials::new(Some("hf_abcdefghijklmnopqrstuvwxyz"));
        let text = block_on(whoami(&client(&t, &credentials), false)).unwrap();
        assert_eq!(text, r#"{"name":"me"}"#);
    }
}
