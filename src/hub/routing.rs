//! Where a request for a repo's files goes when the app has a proxy: straight
//! to the Hub, or through the proxy, which holds the token on the server.
//!
//! Public repos go straight to the Hub. When the Hub answers that a repo
//! needs credentials (gated, or private), the request is repeated through
//! the proxy, and the caller remembers the repo so that later requests for
//! it go to the proxy first. The memory lives with the caller (JS), not in
//! wasm: each tokenizer has its own wasm instance, and all of them share it.

use std::future::Future;

use crate::core::classify::needs_credentials;
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;

/// Where requests may go.
#[derive(Clone, Debug)]
pub struct Routes {
    pub hub: Endpoint,
    pub proxy: Option<Endpoint>,
    /// The proxy first: `env.proxyAll`, or a repo already seen to need it.
    pub proxy_first: bool,
}

/// A result, and whether it came through the proxy (then the caller sends
/// this repo's later requests there first).
pub struct Routed<T> {
    pub result: Result<T, HubError>,
    pub via_proxy: bool,
}

/// Run `attempt(endpoint, via_proxy)` where `routes` say, falling back to
/// the proxy once when the Hub refuses anonymous access.
pub async fn route<T, F, Fut>(routes: &Routes, attempt: F) -> Routed<T>
where
    F: Fn(Endpoint, bool) -> Fut,
    Fut: Future<Output = Result<T, HubError>>,
{
    let Some(proxy) = &routes.proxy else {
        return Routed {
            result: attempt(routes.hub.clone(), false).await,
            via_proxy: false,
        };
    };
    if routes.proxy_first {
        return Routed {
            result: attempt(proxy.clone(), true).await,
            via_proxy: true,
        };
    }
    match attempt(routes.hub.clone(), false).await {
        Err(e) if needs_credentials(&e) => Routed {
            result: attempt(proxy.clone(), true).await,
            via_proxy: true,
        },
        result => Routed {
            result,
            via_proxy: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::core::error::ErrorCode;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::parse(url).unwrap()
    }

    /// Runs `route`, answering from the Hub with `hub_answer`; returns the
    /// result, whether it went via the proxy, and the endpoints tried.
    fn run(
        proxy: Option<&str>,
        proxy_first: bool,
        hub_answer: Result<u8, HubError>,
    ) -> (Result<u8, HubError>, bool, Vec<String>) {
        let routes = Routes {
            hub: endpoint("https://hub.example"),
            proxy: proxy.map(endpoint),
            proxy_first,
        };
        let tried = RefCell::new(Vec::new());
        let routed = pollster::block_on(route(&routes, |e: Endpoint, via_proxy| {
            tried.borrow_mut().push(format!(
                "{}{}",
                e.origin_text(),
                if via_proxy { " (proxy)" } else { "" }
            ));
            let answer = if via_proxy { Ok(2) } else { hub_answer.clone() };
            async move { answer }
        }));
        (routed.result, routed.via_proxy, tried.into_inner())
    }

    fn gated() -> HubError {
        HubError::new(ErrorCode::GatedRepo, "gated").with_status(401)
    }

    #[test]
    fn public_repos_go_straight_to_the_hub() {
        let (result, via_proxy, tried) = run(Some("https://app.example"), false, Ok(1));
        assert_eq!((result.unwrap(), via_proxy), (1, false));
        assert_eq!(tried, ["https://hub.example"]);
    }

    #[test]
    fn a_repo_needing_credentials_is_repeated_through_the_proxy() {
        let (result, via_proxy, tried) = run(Some("https://app.example"), false, Err(gated()));
        assert_eq!((result.unwrap(), via_proxy), (2, true));
        assert_eq!(tried, ["https://hub.example", "https://app.example (proxy)"]);
    }

    #[test]
    fn other_errors_do_not_go_to_the_proxy() {
        let missing = HubError::new(ErrorCode::EntryNotFound, "no file").with_status(404);
        let (result, via_proxy, tried) = run(Some("https://app.example"), false, Err(missing));
        assert_eq!((result.unwrap_err().code, via_proxy), (ErrorCode::EntryNotFound, false));
        assert_eq!(tried.len(), 1);
    }

    #[test]
    fn a_remembered_repo_goes_to_the_proxy_first() {
        let (result, via_proxy, tried) = run(Some("https://app.example"), true, Ok(1));
        assert_eq!((result.unwrap(), via_proxy), (2, true));
        assert_eq!(tried, ["https://app.example (proxy)"]);
    }

    #[test]
    fn without_a_proxy_the_hubs_error_stands() {
        let (result, via_proxy, tried) = run(None, true, Err(gated()));
        assert_eq!((result.unwrap_err().code, via_proxy), (ErrorCode::GatedRepo, false));
        assert_eq!(tried, ["https://hub.example"]);
    }
}
