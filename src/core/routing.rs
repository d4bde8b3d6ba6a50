//! Where a repo's requests go in a build that may use the app's proxy (the
//! browser build, or any build with `env.proxy` set): straight to the Hub,
//! or through the proxy, which holds a token. One rule for tokenizer loads
//! and `hubFetch`:
//! - through the proxy when `proxyAll` is set, or when the Hub already
//!   refused this repo anonymously in this session (sticky);
//! - otherwise straight to the Hub, and if it refuses for lack of
//!   credentials (gated, or private), once more through the proxy; the repo
//!   is then sticky.
//!
//! The sticky set itself lives in the package's JS (one set for the whole
//! page, shared by every wasm instance); it comes in as `sticky` and goes
//! back out as [`Routed::refused_anonymously`].

use super::classify::needs_credentials;
use super::error::HubError;
use super::repo::{RepoId, RepoType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Hub,
    Proxy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteFacts {
    pub proxy_configured: bool,
    pub proxy_all: bool,
    /// The Hub refused this repo anonymously earlier in this session.
    pub sticky: bool,
}

/// The first route to try.
pub fn first_route(facts: RouteFacts) -> Route {
    if facts.proxy_configured && (facts.proxy_all || facts.sticky) {
        Route::Proxy
    } else {
        Route::Hub
    }
}

/// After `error` on `tried`: whether to try once more through the proxy.
pub fn retry_through_proxy(tried: Route, error: &HubError, facts: RouteFacts) -> bool {
    tried == Route::Hub && facts.proxy_configured && needs_credentials(error)
}

/// What serves a request once its route is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The app's proxy, anonymously: it holds its own token.
    Proxy,
    /// The huggingface_hub cache on disk (Node), revalidated with the Hub.
    Disk,
    /// The Hub itself, through the platform's own cache if it has one (the
    /// browser's Cache API).
    Direct,
}

/// The source for `route`: the proxy only where one is configured, else the
/// disk cache where there is one, else the Hub directly.
pub fn source_for(route: Route, proxy_configured: bool, disk_cache: bool) -> Source {
    match route {
        Route::Proxy if proxy_configured => Source::Proxy,
        _ if disk_cache => Source::Disk,
        _ => Source::Direct,
    }
}

/// The sticky set's key for a repo.
pub fn sticky_key(repo_type: RepoType, repo: &RepoId) -> String {
    format!("{}:{}", repo_type.as_str(), repo.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    #[test]
    fn the_proxy_route_uses_the_proxy_only_where_one_is_configured() {
        assert_eq!(source_for(Route::Proxy, true, true), Source::Proxy);
        assert_eq!(source_for(Route::Proxy, true, false), Source::Proxy);
        assert_eq!(source_for(Route::Proxy, false, true), Source::Disk);
        assert_eq!(source_for(Route::Proxy, false, false), Source::Direct);
    }

    #[test]
    fn the_hub_route_goes_through_the_disk_cache_where_there_is_one() {
        assert_eq!(source_for(Route::Hub, true, true), Source::Disk);
        assert_eq!(source_for(Route::Hub, false, true), Source::Disk);
        assert_eq!(source_for(Route::Hub, true, false), Source::Direct);
    }

    const PROXY: RouteFacts = RouteFacts {
        proxy_configured: true,
        proxy_all: false,
        sticky: false,
    };

    #[test]
    fn public_first_then_the_proxy_for_refused_repos() {
        assert_eq!(first_route(PROXY), Route::Hub);
        assert_eq!(first_route(RouteFacts { sticky: true, ..PROXY }), Route::Proxy);
        assert_eq!(
            first_route(RouteFacts {
                proxy_all: true,
                ..PROXY
            }),
            Route::Proxy
        );
        let none = RouteFacts {
            proxy_configured: false,
            proxy_all: true,
            sticky: true,
        };
        assert_eq!(first_route(none), Route::Hub);
    }

    #[test]
    fn only_a_refusal_for_lack_of_credentials_goes_through_the_proxy() {
        let gated = HubError::new(ErrorCode::GatedRepo, "x").with_status(401);
        let private = HubError::new(ErrorCode::RepoNotFound, "x").with_status(401);
        let missing = HubError::new(ErrorCode::RepoNotFound, "x").with_status(404);
        let entry = HubError::new(ErrorCode::EntryNotFound, "x").with_status(404);
        assert!(retry_through_proxy(Route::Hub, &gated, PROXY));
        assert!(retry_through_proxy(Route::Hub, &private, PROXY));
        assert!(!retry_through_proxy(Route::Hub, &missing, PROXY));
        assert!(!retry_through_proxy(Route::Hub, &entry, PROXY));
        assert!(!retry_through_proxy(Route::Proxy, &gated, PROXY));
        let no_proxy = RouteFacts {
            proxy_configured: false,
            ..PROXY
        };
        assert!(!retry_through_proxy(Route::Hub, &gated, no_proxy));
    }

    #[test]
    fn keys_name_the_repo_type() {
        let repo = RepoId::parse("org/x").unwrap();
        assert_ne!(sticky_key(RepoType::Model, &repo), sticky_key(RepoType::Dataset, &repo));
    }
}
