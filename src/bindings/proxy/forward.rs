//! One allowed request upstream: follow the Hub's redirects with the token
//! rule, asking the core at each hop (allow list again on the Hub's origin;
//! the CDN followed, or handed to the client in redirect mode), then the
//! core's answer for whatever came back.

use url::Url;
use web_sys::AbortSignal;

use super::config::ProxyConfig;
use super::reply::Reply;
use crate::core::error::{ErrorCode, HubError};
use crate::core::proxy::{answer_redirect, answer_upstream, decide_hop, Answer, Body, Hop, ProxyTarget, Upstream};
use crate::hub::download::{FileRef, HubClient, Step};
use crate::hub::transport::{Method, Transport};
use crate::platform;

pub async fn forward(
    config: &ProxyConfig,
    target: &ProxyTarget,
    head: bool,
    headers: &[(String, String)],
    cors: &[(String, String)],
    signal: Option<AbortSignal>,
) -> Reply {
    let Ok(credentials) = platform::configured_credentials(config.token.clone()) else {
        return Reply::plain(Answer::error(500, "The proxy is misconfigured.", cors, &[]));
    };
    let transport = platform::proxy_transport(signal, Vec::new(), None);
    let client = HubClient {
        transport: &transport,
        credentials: &credentials,
        endpoint: config.endpoint.clone(),
        advice: platform::ADVICE,
    };
    let file = FileRef {
        repo_type: target.repo_type,
        repo: target.repo.clone(),
        revision: target.revision.clone(),
        path: target.path.clone(),
    };
    let method = if head { Method::Head } else { Method::Get };
    let mut stopped: Option<(Hop, Url)> = None;
    let mut followed = Err(HubError::new(ErrorCode::Network, "not asked yet"));
    // A GET or HEAD that got no answer at all (a kept-alive upstream
    // connection closed as it was reused) is asked once more.
    for _ in 0..2 {
        stopped = None;
        followed = client
            .follow_with(&file, method, headers, |_, to| {
                match decide_hop(&config.policy.allow, &config.endpoint, target, to, config.large_files) {
                    Hop::Follow => Step::Follow,
                    hop => {
                        stopped = Some((hop, to.clone()));
                        Step::Stop
                    }
                }
            })
            .await;
        if !matches!(&followed, Err(e) if e.code == ErrorCode::Network) || transport.is_aborted() {
            break;
        }
    }
    let followed = match followed {
        Ok(followed) => followed,
        // Network or redirect trouble: say which kind, never where.
        Err(e) => {
            let message = format!("The proxy could not fetch the file upstream ({}).", e.code);
            return Reply::plain(Answer::error(502, &message, cors, &[]));
        }
    };
    let secret = followed.sent.as_ref().map(|t| t.expose().to_owned());
    match stopped {
        Some((Hop::Refuse(rejection), _)) => Reply::plain(Answer::refusal(&rejection, cors)),
        Some((_, location)) => Reply::plain(answer_redirect(
            &location,
            &followed.response.headers,
            secret.as_deref(),
            cors,
        )),
        None => {
            let answer = answer_upstream(
                &Upstream {
                    status: followed.response.status,
                    from_hub: config.endpoint.is_hub_origin(&followed.url),
                    headers: &followed.response.headers,
                    head,
                    secret: secret.as_deref(),
                },
                cors,
            );
            let source = match answer.body {
                Body::Upstream => followed.response.body.into_source(),
                _ => None,
            };
            Reply::streamed(answer, source)
        }
    }
}
