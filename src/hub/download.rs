//! Fetching one file from a repo, with the token rule applied at every hop.

use url::Url;

use super::credentials::Credentials;
use super::progress::Progress;
use super::transport::{Body, HttpRequest, HttpResponse, Method, Transport, TransportError, TransportErrorKind};
use crate::core::classify::{classify, AccessAdvice, HubReply, RequestContext};
use crate::core::endpoint::{origin_of, Endpoint};
use crate::core::error::{ErrorCode, HubError};
use crate::core::forward_proxy;
use crate::core::redact::scrub;
use crate::core::redirect::{is_redirect, next_hop};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::token::Token;
use crate::core::tokenizer::limits::{file_too_large, max_file_bytes};

/// Which file, of which repo, at which revision.
#[derive(Clone, Debug)]
pub struct FileRef {
    pub repo_type: RepoType,
    pub repo: RepoId,
    pub revision: Revision,
    pub path: RepoPath,
}

/// Whether `follow_with` takes the next redirect hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Follow,
    Stop,
}

/// The final answer after redirects, where it came from, and the token that
/// last request carried (to classify a Hub error correctly).
pub struct Followed<B> {
    pub response: HttpResponse<B>,
    pub url: Url,
    pub sent: Option<Token>,
}

pub struct HubClient<'a, T, C> {
    pub transport: &'a T,
    pub credentials: &'a C,
    pub endpoint: Endpoint,
    pub advice: AccessAdvice,
}

impl<T: Transport, C: Credentials> HubClient<'_, T, C> {
    /// GET a file into memory: at most what hubguard reads of that file
    /// (`limits::max_file_bytes`; only tokenizer files are read whole), or
    /// the file is refused as soon as it announces or sends more. Never more
    /// than it announced (Content-Length). `on_progress` sees
    /// Transformers.js-style events.
    pub async fn fetch_bytes(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        on_progress(Progress::Initiate);
        let answer = self.follow(file, Method::Get, &[]).await?;
        if !(200..300).contains(&answer.response.status) {
            return Err(self.error_for(&answer, file));
        }
        let Followed { response, url, .. } = answer;
        on_progress(Progress::Download);
        let total = response
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let limit = max_file_bytes(file.path.as_str());
        let too_large = |size| file_too_large(file.repo.as_str(), file.path.as_str(), size);
        if let Some(total) = total.filter(|&t| t > limit) {
            return Err(too_large(total));
        }
        let mut body = response.body;
        let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
        while let Some(chunk) = body.next_chunk().await.map_err(|e| self.network_error(e, &url, file))? {
            let have = (bytes.len() + chunk.len()) as u64;
            if have > limit {
                return Err(too_large(have));
            }
            if total.is_some_and(|t| have > t) {
                return Err(longer_than_announced(file, &url, total.unwrap_or(0)));
            }
            bytes.extend_from_slice(&chunk);
            on_progress(Progress::Progress {
                loaded: bytes.len() as u64,
                total,
            });
        }
        if let Some(expected) = total.filter(|&t| t != bytes.len() as u64) {
            return Err(HubError::new(
                ErrorCode::Network,
                format!(
                    "The download of {} from {} ended after {} of {expected} bytes; retry.",
                    file.path,
                    origin_of(&url),
                    bytes.len()
                ),
            )
            .about(file.repo.as_str(), Some(file.path.as_str())));
        }
        on_progress(Progress::Done);
        Ok(bytes)
    }

    /// Request a file, following every redirect (`follow_from`), and
    /// return the final answer whatever its status, with its URL.
    pub async fn follow(
        &self,
        file: &FileRef,
        method: Method,
        headers: &[(String, String)],
    ) -> Result<Followed<T::Body>, HubError> {
        self.follow_with(file, method, headers, |_, _| Step::Follow).await
    }

    /// `follow`, asking `next(answer, to)` before each hop: `Step::Stop`
    /// returns that redirect answer itself (its `url` is where it came
    /// from). The proxy checks its allow list here at every hop back to
    /// the Hub, and stops at the CDN hop in redirect mode.
    pub async fn follow_with(
        &self,
        file: &FileRef,
        method: Method,
        headers: &[(String, String)],
        next: impl FnMut(&HttpResponse<T::Body>, &Url) -> Step,
    ) -> Result<Followed<T::Body>, HubError> {
        let request = HttpRequest {
            method,
            url: self
                .endpoint
                .resolve_url(file.repo_type, &file.repo, &file.revision, &file.path),
            bearer: None,
            headers: headers.to_vec(),
        };
        self.follow_from(
            request,
            next,
            |e, url| self.network_error(e, url, file),
            |e| e.about(file.repo.as_str(), Some(file.path.as_str())),
        )
        .await
    }

    /// The redirect loop every request to the Hub goes through: `request`
    /// (its `bearer` is ignored) and then each hop `next(answer, to)`
    /// agrees to, redirects followed by hand. The token goes only to the
    /// Hub's exact origin and is read again for each request, so a hop to a
    /// CDN on another host never carries it. A request that fails is
    /// worded by `network_error`, a refused hop (a downgrade, no Location,
    /// too many) by `refused_hop`.
    pub async fn follow_from(
        &self,
        mut request: HttpRequest,
        mut next: impl FnMut(&HttpResponse<T::Body>, &Url) -> Step,
        network_error: impl Fn(TransportError, &Url) -> HubError,
        refused_hop: impl Fn(HubError) -> HubError,
    ) -> Result<Followed<T::Body>, HubError> {
        let mut hops = 0;
        loop {
            request.bearer = self.bearer_for(&request.url)?;
            let response = self
                .transport
                .send(&request)
                .await
                .map_err(|e| network_error(e, &request.url))?;
            let step = if is_redirect(response.status) {
                let to = next_hop(&request.url, response.header("location"), hops).map_err(&refused_hop)?;
                match next(&response, &to) {
                    Step::Follow => Some(to),
                    Step::Stop => None,
                }
            } else {
                None
            };
            let Some(to) = step else {
                return Ok(Followed {
                    response,
                    url: request.url,
                    sent: request.bearer,
                });
            };
            request.url = to;
            hops += 1;
        }
    }

    /// The token rule in one place: only the Hub's exact origin gets the
    /// token, read again for each request.
    pub fn bearer_for(&self, url: &Url) -> Result<Option<Token>, HubError> {
        if self.endpoint.is_hub_origin(url) {
            self.credentials.current()
        } else {
            Ok(None)
        }
    }

    /// The error for a non-2xx final answer: classified if the Hub sent it,
    /// described by origin only if the CDN did.
    pub fn error_for(&self, answer: &Followed<T::Body>, file: &FileRef) -> HubError {
        if self.endpoint.is_hub_origin(&answer.url) {
            self.hub_error(&answer.response, file, answer.sent.as_ref())
        } else {
            storage_error(answer.response.status, &answer.url, file)
        }
    }

    fn hub_error(&self, response: &HttpResponse<T::Body>, file: &FileRef, sent: Option<&Token>) -> HubError {
        let reply = hub_reply(response);
        let ctx = RequestContext {
            repo_id: file.repo.as_str(),
            revision: file.revision.as_str(),
            file: Some(file.path.as_str()),
            token: sent,
            hub_origin: &self.endpoint.origin_text(),
            advice: self.advice,
        };
        classify(&reply, &ctx)
    }

    pub(super) fn network_error(&self, error: TransportError, url: &Url, file: &FileRef) -> HubError {
        let origin = origin_of(url);
        let which = if self.endpoint.is_hub_origin(url) {
            "the Hub"
        } else {
            "the file storage host"
        };
        let detail = scrub(&error.detail, None);
        let message = match error.kind {
            TransportErrorKind::Connect => {
                format!(
                    "Could not reach {which} at {origin} ({detail}). Check the network connection{}.",
                    if self.endpoint.is_hub_origin(url) {
                        " and HF_ENDPOINT"
                    } else {
                        ""
                    }
                )
            }
            TransportErrorKind::Aborted => {
                return HubError::aborted().about(file.repo.as_str(), Some(file.path.as_str()))
            }
            TransportErrorKind::Dropped => {
                format!(
                    "The connection to {which} at {origin} dropped while downloading {} ({detail}); retry.",
                    file.path
                )
            }
            TransportErrorKind::Proxy => forward_proxy::failure_message(&detail),
        };
        HubError::new(ErrorCode::Network, message).about(file.repo.as_str(), Some(file.path.as_str()))
    }
}

/// What a Hub error answer says about itself, for `classify`.
pub(super) fn hub_reply<B>(response: &HttpResponse<B>) -> HubReply<'_> {
    HubReply {
        status: response.status,
        error_code: response.header("x-error-code"),
        error_message: response.header("x-error-message"),
        retry_after: response.header("retry-after"),
    }
}

/// A body that went on past the size its answer announced.
pub(super) fn longer_than_announced(file: &FileRef, url: &Url, announced: u64) -> HubError {
    HubError::new(
        ErrorCode::Integrity,
        format!(
            "The download of {} from {} sent more than the {announced} bytes it announced; nothing was kept. Retry, \
             or check HF_ENDPOINT if it points to a mirror.",
            file.path,
            origin_of(url)
        ),
    )
    .about(file.repo.as_str(), Some(file.path.as_str()))
}

/// An error from the CDN a Hub redirect pointed to. Its URL is signed, so
/// only the origin is named.
fn storage_error(status: u16, url: &Url, file: &FileRef) -> HubError {
    HubError::new(
        ErrorCode::HttpError,
        format!(
            "The file storage host {} answered HTTP {status} for {} of {}. The signed link may have expired; retry.",
            origin_of(url),
            file.path,
            file.repo
        ),
    )
    .with_status(status)
    .about(file.repo.as_str(), Some(file.path.as_str()))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeTransport};

    const HUB: &str = "https://huggingface.co";
    const FILE: &str = "https://huggingface.co/org/gated/resolve/main/tokenizer.json";

    fn file() -> FileRef {
        FileRef {
            repo_type: RepoType::Model,
            repo: RepoId::parse("org/gated").unwrap(),
            revision: Revision::main(),
            path: RepoPath::parse("tokenizer.json").unwrap(),
        }
    }

    fn fetch(transport: &FakeTransport, token: Option<&str>) -> (Result<Vec<u8>, HubError>, Vec<Progress>) {
        let credentials = FakeCredentials::new(token);
        let client = HubClient {
            transport,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        };
        let events = RefCell::new(Vec::new());
        let result = pollster::block_on(client.fetch_bytes(&file(), &|p| events.borrow_mut().push(p)));
        (result, events.into_inner())
    }

    #[test]
    fn token_goes_to_the_hub_and_not_to_the_cdn() {
        let t = FakeTransport::new()
            .reply(FILE, FakeReply::redirect("/org/gated/resolve/abc/tokenizer.json"))
            .reply(
                "https://huggingface.co/org/gated/resolve/abc/tokenizer.json",
                FakeReply::redirect("https://cdn-lfs.hf.co/x?X-Amz-Signature=sig"),
            )
            .reply("https://cdn-lfs.hf.co/x?X-Amz-Signature=sig", FakeReply::ok(b"hello"));
        let (result, events) = fetch(&t, Some("hf_secret_token_value"));
        assert_eq!(result.unwrap(), b"hello");
        let seen = t.seen();
        assert_eq!(
            seen.iter().map(|(_, bearer)| *bearer).collect::<Vec<_>>(),
            vec![true, true, false]
        );
        assert_eq!(events.first(), Some(&Progress::Initiate));
        assert_eq!(events.last(), Some(&Progress::Done));
        assert!(events.contains(&Progress::Progress {
            loaded: 5,
            total: Some(5)
        }));
    }

    #[test]
    fn a_hub_lookalike_origin_gets_no_token() {
        let t = FakeTransport::new()
            .reply(FILE, FakeReply::redirect("https://huggingface.co.evil.example/steal"))
            .reply("https://huggingface.co.evil.example/steal", FakeReply::ok(b"x"));
        fetch(&t, Some("hf_secret_token_value")).0.unwrap();
        assert_eq!(
            t.seen()[1],
            ("https://huggingface.co.evil.example/steal".to_owned(), false)
        );
    }

    #[test]
    fn downgrade_is_refused() {
        let t = FakeTransport::new().reply(FILE, FakeReply::redirect("http://huggingface.co/x"));
        let err = fetch(&t, Some("hf_secret_token_value")).0.unwrap_err();
        assert_eq!(err.code, ErrorCode::InsecureRedirect);
        assert_eq!(t.seen().len(), 1);
    }

    #[test]
    fn a_stopped_hop_returns_the_redirect_itself() {
        let t = FakeTransport::new()
            .reply(FILE, FakeReply::redirect("https://cdn.example/x?sig=1"))
            .reply("https://cdn.example/x?sig=1", FakeReply::ok(b"x"));
        let credentials = FakeCredentials::new(None);
        let client = HubClient {
            transport: &t,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        };
        let mut asked = Vec::new();
        let answer = pollster::block_on(client.follow_with(&file(), Method::Get, &[], |_, to| {
            asked.push(to.to_string());
            Step::Stop
        }))
        .unwrap();
        assert_eq!(answer.response.status, 302);
        assert_eq!(answer.url.as_str(), FILE);
        assert_eq!(asked, ["https://cdn.example/x?sig=1"]);
        assert_eq!(t.seen().len(), 1, "the CDN was never asked");
    }

    #[test]
    fn redirect_loops_are_capped() {
        let t = FakeTransport::new().reply(FILE, FakeReply::redirect(FILE));
        assert_eq!(fetch(&t, None).0.unwrap_err().code, ErrorCode::TooManyRedirects);
    }

    #[test]
    fn hub_errors_are_classified() {
        let t = FakeTransport::new().reply(FILE, FakeReply::error(401, "GatedRepo", "restricted"));
        let err = fetch(&t, None).0.unwrap_err();
        assert_eq!((err.code, err.status), (ErrorCode::GatedRepo, Some(401)));
        assert_eq!(err.repo_id.as_deref(), Some("org/gated"));
    }

    #[test]
    fn cdn_errors_never_show_the_signed_url() {
        let t = FakeTransport::new()
            .reply(
                FILE,
                FakeReply::redirect("https://cdn.example/blob?X-Amz-Signature=sig"),
            )
            .reply("https://cdn.example/blob?X-Amz-Signature=sig", FakeReply::status(403));
        let err = fetch(&t, Some("hf_secret_token_value")).0.unwrap_err();
        assert_eq!(err.code, ErrorCode::HttpError);
        assert!(err.message.contains("https://cdn.example") && !err.message.contains("Signature"));
    }

    #[test]
    fn connection_failures_name_the_endpoint() {
        let t = FakeTransport::new();
        let err = fetch(&t, None).0.unwrap_err();
        assert_eq!(err.code, ErrorCode::Network);
        assert!(err.message.contains(HUB), "{}", err.message);
    }

    #[test]
    fn short_bodies_are_errors() {
        let t = FakeTransport::new().reply(FILE, FakeReply::ok(b"abc").with_header("content-length", "10"));
        assert_eq!(fetch(&t, None).0.unwrap_err().code, ErrorCode::Network);
    }

    #[test]
    fn token_is_read_for_each_request() {
        let t = FakeTransport::new().reply(FILE, FakeReply::ok(b"x"));
        let credentials = FakeCredentials::new(None);
        let client = HubClient {
            transport: &t,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        };
        pollster::block_on(client.fetch_bytes(&file(), &|_| {})).unwrap();
        credentials.set(Some("hf_later_token_value"));
        pollster::block_on(client.fetch_bytes(&file(), &|_| {})).unwrap();
        assert_eq!(t.seen().iter().map(|(_, b)| *b).collect::<Vec<_>>(), vec![false, true]);
    }
}
