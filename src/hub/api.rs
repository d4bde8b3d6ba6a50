//! The Hub's JSON API (`/api/{models,datasets,spaces}/…`, `/api/whoami-v2`)
//! and the existence check, through the same redirect loop and token rule
//! as file downloads (`HubClient::follow_from`), with errors classified as
//! theirs are (core/classify.rs).

use url::Url;

use super::credentials::Credentials;
use super::download::{hub_reply, FileRef, Followed, HubClient, Step};
use super::transport::{Body, HttpRequest, Method, Transport, TransportError, TransportErrorKind};
use crate::core::cache::parse_commit;
use crate::core::classify::{classify, classify_account, HubReply, RequestContext};
use crate::core::endpoint::origin_of;
use crate::core::error::{ErrorCode, HubError};
use crate::core::redact::scrub;
use crate::core::redirect::is_redirect;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};

/// A repo's info can list many thousand files; anything beyond this is not
/// a Hub answer, and reading it whole would only exhaust memory.
const MAX_API_BODY: usize = 64 << 20;

/// What `/api/{type}s/{repo}/revision/{rev}` says a snapshot is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoListing {
    pub commit: String,
    pub files: Vec<RepoPath>,
}

impl<T: Transport, C: Credentials> HubClient<'_, T, C> {
    /// `/api/{type}s/{repo}` or `…/revision/{rev}`: the repo's info as the
    /// Hub's JSON text (a gated repo's info is public; a private one's needs
    /// a token with access).
    pub async fn repo_info_text(
        &self,
        repo_type: RepoType,
        repo: &RepoId,
        revision: Option<&Revision>,
    ) -> Result<String, HubError> {
        let shown_revision = revision.map_or("main", Revision::as_str);
        let url = self.endpoint.repo_api_url(repo_type, repo, revision);
        let what = format!("the info of {repo}");
        self.api_get(url, &what, |followed, status| {
            self.repo_error(followed, status, repo, shown_revision)
        })
        .await
        .map_err(|e| e.about(repo.as_str(), None))
    }

    /// The commit a revision points to and the files in it.
    pub async fn repo_listing(
        &self,
        repo_type: RepoType,
        repo: &RepoId,
        revision: &Revision,
    ) -> Result<RepoListing, HubError> {
        let text = self.repo_info_text(repo_type, repo, Some(revision)).await?;
        parse_listing(&text).map_err(|why| {
            HubError::new(
                ErrorCode::HttpError,
                format!("The Hub's file list for {repo} at revision {revision} could not be read: {why}."),
            )
            .about(repo.as_str(), None)
        })
    }

    /// `/api/whoami-v2` with the configured token, as JSON text.
    pub async fn whoami_text(&self) -> Result<String, HubError> {
        if self.credentials.current()?.is_none() {
            return Err(HubError::new(
                ErrorCode::InvalidToken,
                "Not logged in: there is no token in the `token` option, HF_TOKEN, HUGGING_FACE_HUB_TOKEN or \
                 the token file (and with HF_HUB_DISABLE_IMPLICIT_TOKEN set, only the option counts; `token: true` \
                 looks one up anyway). Run `npx hubguard login` or set HF_TOKEN.",
            ));
        }
        let url = self.endpoint.api_url("whoami-v2");
        self.api_get(url, "who you are", |followed, status| {
            self.whoami_error(followed, status)
        })
        .await
    }

    /// Whether `file` exists at its revision: one HEAD on the resolve URL.
    /// A missing file is `false`; a gated, private or missing repo or
    /// revision is an error, as in huggingface_hub.
    pub async fn file_exists(&self, file: &FileRef) -> Result<bool, HubError> {
        let url = self
            .endpoint
            .resolve_url(file.repo_type, &file.repo, &file.revision, &file.path);
        let what = format!("{} of {}", file.path, file.repo);
        let followed = self
            .follow_from(
                api_request(Method::Head, url),
                // LFS: the Hub's redirect to its storage host already says
                // the file exists; the signed URL need not be touched.
                |_, to| {
                    if self.endpoint.is_hub_origin(to) {
                        Step::Follow
                    } else {
                        Step::Stop
                    }
                },
                |e, url| self.api_network_error(e, url, &what),
                |e| e.about(file.repo.as_str(), Some(file.path.as_str())),
            )
            .await?;
        let status = followed.response.status;
        if (200..300).contains(&status) || is_redirect(status) {
            return Ok(true);
        }
        let error = self.error_for(&followed, file);
        match error.code {
            ErrorCode::EntryNotFound => Ok(false),
            _ => Err(error),
        }
    }

    /// GET an API route, following redirects, and read a 2xx body.
    /// `on_error` turns any other final answer into the right error.
    async fn api_get(
        &self,
        start: Url,
        what: &str,
        on_error: impl Fn(&Followed<T::Body>, u16) -> HubError,
    ) -> Result<String, HubError> {
        let followed = self
            .follow_from(
                api_request(Method::Get, start),
                |_, _| Step::Follow,
                |e, url| self.api_network_error(e, url, what),
                |e| e,
            )
            .await?;
        let status = followed.response.status;
        if !(200..300).contains(&status) {
            return Err(on_error(&followed, status));
        }
        let Followed { response, url, .. } = followed;
        let mut body = response.body;
        let mut bytes = Vec::new();
        while let Some(chunk) = body
            .next_chunk()
            .await
            .map_err(|e| self.api_network_error(e, &url, what))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_API_BODY {
                return Err(HubError::new(
                    ErrorCode::HttpError,
                    format!("{} sent more than {MAX_API_BODY} bytes for {what}.", origin_of(&url)),
                ));
            }
        }
        String::from_utf8(bytes).map_err(|_| {
            HubError::new(
                ErrorCode::HttpError,
                format!("{} answered {what} with text that is not UTF-8.", origin_of(&url)),
            )
        })
    }

    /// A non-2xx answer about a repo, classified like a file's (the Hub
    /// sends the same X-Error-Code values on its API routes).
    fn repo_error(&self, followed: &Followed<T::Body>, status: u16, repo: &RepoId, revision: &str) -> HubError {
        if !self.endpoint.is_hub_origin(&followed.url) {
            return foreign_error(&followed.url, status);
        }
        let reply = hub_reply(&followed.response);
        // A bare 404 on a repo route means the repo, not a file.
        let reply = HubReply {
            error_code: reply.error_code.or((status == 404).then_some("RepoNotFound")),
            ..reply
        };
        classify(
            &reply,
            &RequestContext {
                repo_id: repo.as_str(),
                revision,
                file: None,
                token: followed.sent.as_ref(),
                hub_origin: &self.endpoint.origin_text(),
                advice: self.advice,
            },
        )
    }

    fn whoami_error(&self, followed: &Followed<T::Body>, status: u16) -> HubError {
        if !self.endpoint.is_hub_origin(&followed.url) {
            return foreign_error(&followed.url, status);
        }
        classify_account(
            &hub_reply(&followed.response),
            followed.sent.as_ref(),
            &self.endpoint.origin_text(),
        )
    }

    fn api_network_error(&self, error: TransportError, url: &Url, what: &str) -> HubError {
        if error.kind == TransportErrorKind::Aborted {
            return HubError::aborted();
        }
        let origin = origin_of(url);
        let detail = scrub(&error.detail, None);
        let message = match error.kind {
            TransportErrorKind::Connect => format!(
                "Could not reach {origin} to read {what} ({detail}). Check the network connection and HF_ENDPOINT."
            ),
            TransportErrorKind::Proxy => crate::core::forward_proxy::failure_message(&detail),
            _ => format!("The connection to {origin} dropped while reading {what} ({detail}); retry."),
        };
        HubError::new(ErrorCode::Network, message)
    }
}

/// An API request: JSON wanted, the token set per hop by `follow_from`.
fn api_request(method: Method, url: Url) -> HttpRequest {
    HttpRequest {
        method,
        url,
        bearer: None,
        headers: vec![("accept".into(), "application/json".into())],
    }
}

/// A redirect took the request off the Hub, and that host said no. Only
/// its origin is named: the URL may be signed.
fn foreign_error(url: &Url, status: u16) -> HubError {
    HubError::new(
        ErrorCode::HttpError,
        format!(
            "{} answered HTTP {status} after a redirect from the Hub.",
            origin_of(url)
        ),
    )
    .with_status(status)
}

/// `{ sha, siblings: [{ rfilename }] }` → the commit and validated paths.
fn parse_listing(text: &str) -> Result<RepoListing, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| "it is not JSON".to_owned())?;
    let commit = value
        .get("sha")
        .and_then(|s| s.as_str())
        .and_then(parse_commit)
        .ok_or("it has no commit sha")?;
    let siblings = value
        .get("siblings")
        .and_then(|s| s.as_array())
        .ok_or("it has no file list (siblings)")?;
    let files = siblings
        .iter()
        .map(|s| {
            let name = s
                .get("rfilename")
                .and_then(|n| n.as_str())
                .ok_or("a file has no name")?;
            RepoPath::parse(name).map_err(|e| e.message)
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(RepoListing { commit, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::classify::AccessAdvice;
    use crate::core::endpoint::Endpoint;
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeTransport};

    const HUB: &str = "https://huggingface.co";
    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
    const TOKEN: &str = "hf_secret_token_value_123";

    fn client<'a>(t: &'a FakeTransport, c: &'a FakeCredentials) -> HubClient<'a, FakeTransport, FakeCredentials> {
        HubClient {
            transport: t,
            credentials: c,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        }
    }

    fn repo() -> RepoId {
        RepoId::parse("org/repo").unwrap()
    }

    fn file(path: &str) -> FileRef {
        FileRef {
            repo_type: RepoType::Model,
            repo: repo(),
            revision: Revision::main(),
            path: RepoPath::parse(path).unwrap(),
        }
    }

    fn listing_json() -> String {
        format!(
            r#"{{"id":"org/repo","sha":"{COMMIT}","siblings":[{{"rfilename":"a.json"}},{{"rfilename":"sub/b.bin"}}]}}"#
        )
    }

    #[test]
    fn listing_encodes_the_revision_and_sends_the_token_to_the_hub_only() {
        let info = format!("{HUB}/api/models/org/repo/revision/refs%2Fpr%2F1");
        let t = FakeTransport::new()
            .reply(&info, FakeReply::redirect("https://mirror.example/info"))
            .reply("https://mirror.example/info", FakeReply::ok(listing_json().as_bytes()));
        let c = FakeCredentials::new(Some(TOKEN));
        let listing = pollster::block_on(client(&t, &c).repo_listing(
            RepoType::Model,
            &repo(),
            &Revision::parse("refs/pr/1").unwrap(),
        ))
        .unwrap();
        assert_eq!(listing.commit, COMMIT);
        assert_eq!(
            listing.files.iter().map(RepoPath::as_str).collect::<Vec<_>>(),
            ["a.json", "sub/b.bin"]
        );
        assert_eq!(t.seen(), [(info, true), ("https://mirror.example/info".into(), false)]);
    }

    #[test]
    fn repo_info_routes_by_type_and_revision() {
        let c = FakeCredentials::new(None);
        for (ty, rev, url) in [
            (RepoType::Model, None, format!("{HUB}/api/models/org/repo")),
            (
                RepoType::Dataset,
                Some("v1.0"),
                format!("{HUB}/api/datasets/org/repo/revision/v1.0"),
            ),
        ] {
            let t = FakeTransport::new().reply(&url, FakeReply::ok(b"{}"));
            let rev = rev.map(|r| Revision::parse(r).unwrap());
            let text = pollster::block_on(client(&t, &c).repo_info_text(ty, &repo(), rev.as_ref())).unwrap();
            assert_eq!(text, "{}");
        }
    }

    #[test]
    fn repo_errors_are_classified_and_never_show_the_token() {
        let url = format!("{HUB}/api/models/org/repo");
        let c = FakeCredentials::new(Some(TOKEN));
        let cases = [
            (FakeReply::error(404, "RepoNotFound", "nope"), ErrorCode::RepoNotFound),
            (FakeReply::status(404), ErrorCode::RepoNotFound),
            (
                FakeReply::error(404, "RevisionNotFound", "Invalid rev id"),
                ErrorCode::RevisionNotFound,
            ),
            (
                FakeReply::error(401, "", &format!("Invalid credentials in Authorization header {TOKEN}")),
                ErrorCode::InvalidToken,
            ),
            (FakeReply::status(503), ErrorCode::HttpError),
        ];
        for (reply, code) in cases {
            let t = FakeTransport::new().reply(&url, reply);
            let err = pollster::block_on(client(&t, &c).repo_info_text(RepoType::Model, &repo(), None)).unwrap_err();
            assert_eq!(err.code, code, "{}", err.message);
            assert_eq!(err.repo_id.as_deref(), Some("org/repo"));
            assert!(!err.message.contains(TOKEN), "{}", err.message);
        }
    }

    #[test]
    fn malformed_listings_are_typed_errors() {
        let url = format!("{HUB}/api/models/org/repo/revision/main");
        let c = FakeCredentials::new(None);
        for body in [
            "not json",
            "{}",
            r#"{"sha":"x","siblings":[]}"#,
            &format!(r#"{{"sha":"{COMMIT}","siblings":[{{"rfilename":"../etc"}}]}}"#),
        ] {
            let t = FakeTransport::new().reply(&url, FakeReply::ok(body.as_bytes()));
            let err = pollster::block_on(client(&t, &c).repo_listing(RepoType::Model, &repo(), &Revision::main()))
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::HttpError, "{body}");
        }
    }

    #[test]
    fn whoami_needs_a_token_and_reports_a_bad_one_by_source() {
        let url = format!("{HUB}/api/whoami-v2");
        let t = FakeTransport::new().reply(&url, FakeReply::ok(br#"{"name":"alice"}"#));
        let none = FakeCredentials::new(None);
        let err = pollster::block_on(client(&t, &none).whoami_text()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidToken);
        assert!(t.requests().is_empty());
        let c = FakeCredentials::new(Some(TOKEN));
        assert_eq!(
            pollster::block_on(client(&t, &c).whoami_text()).unwrap(),
            r#"{"name":"alice"}"#
        );
        assert_eq!(t.seen(), [(url.clone(), true)]);

        let bad = FakeTransport::new().reply(
            &url,
            FakeReply::error(401, "", "Invalid credentials in Authorization header"),
        );
        let err = pollster::block_on(client(&bad, &c).whoami_text()).unwrap_err();
        assert_eq!((err.code, err.status), (ErrorCode::InvalidToken, Some(401)));
        assert!(
            err.message.contains("HF_TOKEN") && !err.message.contains(TOKEN),
            "{}",
            err.message
        );
    }

    #[test]
    fn file_exists_is_one_head_and_false_only_for_a_missing_entry() {
        let base = format!("{HUB}/org/repo/resolve/main");
        let t = FakeTransport::new()
            .reply_to("HEAD", &format!("{base}/small.json"), FakeReply::ok(b""))
            .reply_to(
                "HEAD",
                &format!("{base}/big.bin"),
                FakeReply::redirect("https://cdn.example/x?X-Amz-Signature=s"),
            )
            .reply_to(
                "HEAD",
                &format!("{base}/gone.txt"),
                FakeReply::error(404, "EntryNotFound", "Entry not found"),
            );
        let c = FakeCredentials::new(Some(TOKEN));
        let exists = |p: &str| pollster::block_on(client(&t, &c).file_exists(&file(p)));
        assert!(exists("small.json").unwrap());
        assert!(exists("big.bin").unwrap());
        assert!(!exists("gone.txt").unwrap());
        // The CDN was never asked, and every request was a HEAD to the Hub.
        assert!(t
            .requests()
            .iter()
            .all(|r| r.starts_with("HEAD https://huggingface.co/")));

        let gated = FakeTransport::new().reply(&format!("{base}/x"), FakeReply::error(403, "GatedRepo", "restricted"));
        let err = pollster::block_on(client(&gated, &c).file_exists(&file("x"))).unwrap_err();
        assert_eq!(err.code, ErrorCode::GatedRepo);
        let unsendable = FakeCredentials::new(Some("hf_has a space"));
        let none = FakeTransport::new();
        let err = pollster::block_on(client(&none, &unsendable).file_exists(&file("x"))).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidToken);
        let err =
            pollster::block_on(client(&none, &unsendable).repo_info_text(RepoType::Model, &repo(), None)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidToken);
        assert!(none.requests().is_empty());
        let down = FakeTransport::new();
        let err = pollster::block_on(client(&down, &c).file_exists(&file("x"))).unwrap_err();
        assert_eq!(err.code, ErrorCode::Network);
        assert!(err.message.contains(HUB));
    }
}
