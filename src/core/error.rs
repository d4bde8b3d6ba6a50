//! The one error type hubguard returns, with a stable machine-readable code.
//!
//! Messages are written for the person who has to fix the problem: each says
//! what went wrong and what to do. They are built only from validated ids,
//! origins (never full URLs, which may be signed) and redacted server text, so
//! no token or signed URL can reach one.

use super::redact::redact_secrets;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidRepoId,
    InvalidRevision,
    InvalidPath,
    InvalidOption,
    InvalidEndpoint,
    GatedRepo,
    RepoNotFound,
    EntryNotFound,
    RevisionNotFound,
    InvalidToken,
    RateLimited,
    Network,
    InsecureRedirect,
    TooManyRedirects,
    HttpError,
    InvalidTokenizer,
    /// A well-formed tokenizer.json of a kind the `tokenizers` crate cannot run.
    UnsupportedTokenizer,
    /// No chat template, or one that failed to render (`raise_exception`).
    ChatTemplate,
    TokenRefused,
    ProxyRefused,
    NotCached,
    Integrity,
    CacheIo,
    /// The caller's AbortSignal fired.
    Aborted,
    /// A trap (panic, out of memory, stack overflow) ended the wasm
    /// instance of one tokenizer; no other tokenizer is affected.
    TokenizerCrashed,
    /// A trap ended the wasm instance the Hub API and the proxy share; the
    /// next call gets a new one.
    EngineCrashed,
}

impl ErrorCode {
    /// The string JavaScript sees as `error.code`. These never change meaning.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRepoId => "INVALID_REPO_ID",
            ErrorCode::InvalidRevision => "INVALID_REVISION",
            ErrorCode::InvalidPath => "INVALID_PATH",
            ErrorCode::InvalidOption => "INVALID_OPTION",
            ErrorCode::InvalidEndpoint => "INVALID_ENDPOINT",
            ErrorCode::GatedRepo => "GATED_REPO",
            ErrorCode::RepoNotFound => "REPO_NOT_FOUND",
            ErrorCode::EntryNotFound => "ENTRY_NOT_FOUND",
            ErrorCode::RevisionNotFound => "REVISION_NOT_FOUND",
            ErrorCode::InvalidToken => "INVALID_TOKEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Network => "NETWORK",
            ErrorCode::InsecureRedirect => "INSECURE_REDIRECT",
            ErrorCode::TooManyRedirects => "TOO_MANY_REDIRECTS",
            ErrorCode::HttpError => "HTTP_ERROR",
            ErrorCode::InvalidTokenizer => "INVALID_TOKENIZER",
            ErrorCode::UnsupportedTokenizer => "UNSUPPORTED_TOKENIZER",
            ErrorCode::ChatTemplate => "CHAT_TEMPLATE",
            ErrorCode::TokenRefused => "TOKEN_REFUSED",
            ErrorCode::ProxyRefused => "PROXY_REFUSED",
            ErrorCode::NotCached => "NOT_CACHED",
            ErrorCode::Integrity => "INTEGRITY",
            ErrorCode::CacheIo => "CACHE_IO",
            ErrorCode::Aborted => "ABORTED",
            ErrorCode::TokenizerCrashed => "TOKENIZER_CRASHED",
            ErrorCode::EngineCrashed => "ENGINE_CRASHED",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, for whom, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubError {
    pub code: ErrorCode,
    pub message: String,
    /// The HTTP status the Hub answered with, when there was an answer.
    pub status: Option<u16>,
    pub repo_id: Option<String>,
    pub file: Option<String>,
    /// Seconds the server asked us to wait (429 `Retry-After`).
    pub retry_after: Option<u64>,
}

impl HubError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HubError {
            code,
            message: message.into(),
            status: None,
            repo_id: None,
            file: None,
            retry_after: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The error as it may leave the crate: a caller can put a token where
    /// a repo id, revision or template text goes, and messages quote those,
    /// so whatever is shaped like a token or a URL's query is taken out of
    /// every field a caller sees.
    pub fn redacted(mut self) -> Self {
        self.message = redact_secrets(&self.message);
        self.repo_id = self.repo_id.as_deref().map(redact_secrets);
        self.file = self.file.as_deref().map(redact_secrets);
        self
    }

    /// Attach the repo and file this error is about, unless already known.
    pub fn about(mut self, repo_id: &str, file: Option<&str>) -> Self {
        self.repo_id.get_or_insert_with(|| repo_id.to_owned());
        if let Some(file) = file {
            self.file.get_or_insert_with(|| file.to_owned());
        }
        self
    }
}

impl fmt::Display for HubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for HubError {}
