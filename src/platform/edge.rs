//! Edge build (`edge`): the proxy for Fetch-API servers (Cloudflare Workers,
//! Vercel Edge). No filesystem and no process environment: the token is the
//! proxy's `token` option (e.g. `env.HF_TOKEN` in a Worker), nothing else.
//! HTTP is the runtime's global `fetch` with `redirect: 'manual'`, so the
//! token rule runs per hop in `hub::download`, as in the Node build.

use super::fetch::FetchTransport;
use crate::core::classify::AccessAdvice;
use crate::core::error::HubError;
use crate::core::proxy::ProxyCredentials;
use crate::core::token::{resolve_token, Token, TokenEnvironment, TokenOption};
use crate::hub::credentials::Credentials;

pub const ADVICE: AccessAdvice = AccessAdvice::TOKEN;

/// No process environment on the edge: settings come as options.
pub fn env_var(_name: &str) -> Option<String> {
    None
}

struct NoEnvironment;

impl TokenEnvironment for NoEnvironment {
    fn var(&self, _name: &str) -> Option<String> {
        None
    }
    fn home_dir(&self) -> Option<String> {
        None
    }
    fn read_file(&self, _path: &str) -> Option<String> {
        None
    }
}

struct OptionCredentials {
    option: TokenOption,
}

impl Credentials for OptionCredentials {
    fn current(&self) -> Result<Option<Token>, HubError> {
        resolve_token(&self.option, &NoEnvironment)
    }
}

pub fn configured_credentials(option: TokenOption) -> Result<impl Credentials, HubError> {
    Ok(OptionCredentials { option })
}

pub fn proxy_transport(
    signal: Option<web_sys::AbortSignal>,
    headers: Vec<(String, String)>,
    credentials: Option<ProxyCredentials>,
) -> FetchTransport {
    FetchTransport {
        signal,
        headers,
        credentials,
    }
}
