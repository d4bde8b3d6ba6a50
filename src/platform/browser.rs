//! Browser: never a token. Nothing here reads the environment or sets a
//! credential header; the package's build test scans the output for that.

use super::fetch::FetchTransport;
use crate::core::classify::AccessAdvice;
use crate::core::error::{ErrorCode, HubError};
use crate::core::proxy::ProxyCredentials;
use crate::core::token::TokenOption;
use crate::hub::credentials::{Anonymous, Credentials};
use crate::hub::store::{FileStore, FileWriter, IoError};

pub const ADVICE: AccessAdvice = AccessAdvice::PROXY;

/// A transport with this call's signal; requests to the app's proxy also
/// carry the app's own headers and credentials mode.
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
pub fn env_var(_name: &str) -> Option<String> {
    None
}

pub fn configured_credentials(option: TokenOption) -> Result<impl Credentials, HubError> {
    match option {
        TokenOption::Unset | TokenOption::Disabled => Ok(Anonymous),
        TokenOption::Value(_) | TokenOption::Required => Err(HubError::new(
            ErrorCode::TokenRefused,
            "hubguard's browser build never accepts a token: anything in a web page can be read by \
             its visitors. Keep the token on a server and run the hubguard proxy there \
             (createHubProxy or `npx hubguard proxy`), then set env.proxy to its URL.",
        )),
    }
}

/// The page's (or worker's) URL, to resolve a relative proxy path like `/hf`.
pub fn page_url() -> Option<String> {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    js_sys::Reflect::get(&location, &"href".into()).ok()?.as_string()
}

/// No filesystem in a page: the browser build reads through the network.
pub fn cache_root(_option: Option<&str>) -> Option<String> {
    None
}

/// Never used (no cache root), but gives the shared code one store type.
pub struct Store;

pub struct NoWriter;

impl FileWriter for NoWriter {
    async fn write(&mut self, _bytes: &[u8]) -> Result<(), IoError> {
        Err(no_filesystem())
    }
    async fn close(self) -> Result<String, IoError> {
        Err(no_filesystem())
    }
}

fn no_filesystem() -> IoError {
    IoError {
        detail: "a browser has no filesystem cache".into(),
    }
}

impl FileStore for Store {
    type Writer<'w> = NoWriter;
    async fn read(&self, _path: &str) -> Result<Option<Vec<u8>>, IoError> {
        Ok(None)
    }
    async fn exists(&self, _path: &str) -> bool {
        false
    }
    async fn git_blob_sha1(&self, _path: &str) -> Result<String, IoError> {
        Err(no_filesystem())
    }
    async fn size(&self, _path: &str) -> Option<u64> {
        None
    }
    async fn age_millis(&self, _path: &str) -> Option<u64> {
        None
    }
    async fn touch(&self, _path: &str) {}
    async fn write_atomic(&self, _path: &str, _bytes: &[u8]) -> Result<(), IoError> {
        Err(no_filesystem())
    }
    async fn create_new(&self, _path: &str, _bytes: &[u8]) -> Result<bool, IoError> {
        Err(no_filesystem())
    }
    async fn open_writer(&self, _path: &str, _append: bool) -> Result<NoWriter, IoError> {
        Err(no_filesystem())
    }
    async fn rename(&self, _from: &str, _to: &str) -> Result<(), IoError> {
        Err(no_filesystem())
    }
    async fn remove(&self, _path: &str) {}
    async fn link(&self, _link: &str, _target: &str, _source: &str) -> Result<(), IoError> {
        Err(no_filesystem())
    }
}
