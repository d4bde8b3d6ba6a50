//! Running one request by the routing rule of `core::routing`: the first
//! route, then once through the proxy if the Hub refused for lack of
//! credentials. Shared by tokenizer loads and `hubFetch`.

use std::future::Future;

use crate::core::error::HubError;
use crate::core::routing::{first_route, retry_through_proxy, Route, RouteFacts};

pub struct Routed<R> {
    pub result: Result<R, HubError>,
    /// The Hub refused the repo anonymously and the proxy was tried: the
    /// caller adds the repo to its sticky set.
    pub refused_anonymously: bool,
}

pub async fn route<R, F, Fut>(facts: RouteFacts, attempt: F) -> Routed<R>
where
    F: Fn(Route) -> Fut,
    Fut: Future<Output = Result<R, HubError>>,
{
    let first = first_route(facts);
    match attempt(first).await {
        Err(e) if retry_through_proxy(first, &e, facts) => Routed {
            result: attempt(Route::Proxy).await,
            refused_anonymously: true,
        },
        result => Routed {
            result,
            refused_anonymously: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::core::error::ErrorCode;

    fn run(facts: RouteFacts, hub: Result<u8, HubError>) -> (Routed<u8>, Vec<Route>) {
        let tried = RefCell::new(Vec::new());
        let routed = pollster::block_on(route(facts, |r| {
            tried.borrow_mut().push(r);
            let answer = match r {
                Route::Hub => hub.clone(),
                Route::Proxy => Ok(2),
            };
            async move { answer }
        }));
        (routed, tried.into_inner())
    }

    const PROXY: RouteFacts = RouteFacts {
        proxy_configured: true,
        proxy_all: false,
        sticky: false,
    };

    #[test]
    fn a_gated_repo_is_retried_through_the_proxy_and_reported() {
        let gated = HubError::new(ErrorCode::GatedRepo, "gated").with_status(401);
        let (routed, tried) = run(PROXY, Err(gated));
        assert_eq!(routed.result.unwrap(), 2);
        assert!(routed.refused_anonymously);
        assert_eq!(tried, [Route::Hub, Route::Proxy]);
    }

    #[test]
    fn public_and_sticky_repos_take_one_route() {
        let (routed, tried) = run(PROXY, Ok(1));
        assert_eq!((routed.result.unwrap(), routed.refused_anonymously), (1, false));
        assert_eq!(tried, [Route::Hub]);
        let (routed, tried) = run(RouteFacts { sticky: true, ..PROXY }, Ok(1));
        assert_eq!((routed.result.unwrap(), routed.refused_anonymously), (2, false));
        assert_eq!(tried, [Route::Proxy]);
    }

    #[test]
    fn other_errors_are_returned_as_they_are() {
        let missing = HubError::new(ErrorCode::EntryNotFound, "missing").with_status(404);
        let (routed, tried) = run(PROXY, Err(missing));
        assert_eq!(routed.result.unwrap_err().code, ErrorCode::EntryNotFound);
        assert_eq!(tried, [Route::Hub]);
    }
}
