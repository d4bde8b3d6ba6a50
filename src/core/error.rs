//! The one error type hubguard returns, with a stable machine-readable code.
//!
//! Messages are written for the person who has to fix the problem: each says
//! what went wrong and what to do. They are built only from validated ids,
//! origins (never full URLs, which may be signed) and redacted server text, so
//! no token or signed URL can reach one.

use super::redact::redact_secrets;
use std::fmt;

/// Defines `ErrorCode` with its JS strings, and `ErrorCode::ALL`, from one
/// list (the typings' `HubErrorCode` is checked against `ALL` in a test).
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// The stable `code` of every error; JS sees the strings.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The string JavaScript sees as `error.code`. These never change meaning.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidRepoId => "INVALID_REPO_ID",
    InvalidRevision => "INVALID_REVISION",
    InvalidPath => "INVALID_PATH",
    InvalidOption => "INVALID_OPTION",
    InvalidEndpoint => "INVALID_ENDPOINT",
    GatedRepo => "GATED_REPO",
    RepoNotFound => "REPO_NOT_FOUND",
    EntryNotFound => "ENTRY_NOT_FOUND",
    RevisionNotFound => "REVISION_NOT_FOUND",
    InvalidToken => "INVALID_TOKEN",
    RateLimited => "RATE_LIMITED",
    Network => "NETWORK",
    InsecureRedirect => "INSECURE_REDIRECT",
    TooManyRedirects => "TOO_MANY_REDIRECTS",
    HttpError => "HTTP_ERROR",
    InvalidTokenizer => "INVALID_TOKENIZER",
    /// A well-formed tokenizer.json of a kind the `tokenizers` crate cannot run.
    UnsupportedTokenizer => "UNSUPPORTED_TOKENIZER",
    /// No chat template, or one that failed to render (`raise_exception`).
    ChatTemplate => "CHAT_TEMPLATE",
    TokenRefused => "TOKEN_REFUSED",
    ProxyRefused => "PROXY_REFUSED",
    NotCached => "NOT_CACHED",
    Integrity => "INTEGRITY",
    CacheIo => "CACHE_IO",
    /// The caller's AbortSignal fired.
    Aborted => "ABORTED",
    /// A trap (panic, out of memory, stack overflow) ended the wasm
    /// instance of one tokenizer; no other tokenizer is affected.
    TokenizerCrashed => "TOKENIZER_CRASHED",
    /// A trap ended the wasm instance the Hub API and the proxy share; the
    /// next call gets a new one.
    EngineCrashed => "ENGINE_CRASHED",
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
    /// The `ABORTED` error: the caller's AbortSignal cancelled the request.
    pub fn aborted() -> Self {
        HubError::new(ErrorCode::Aborted, "The download was cancelled by its AbortSignal.")
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The typings' `HubErrorCode` union lists exactly these codes.
    #[test]
    fn the_typings_list_every_error_code_and_no_other() {
        let typings = include_str!("../../pkg-template/types/common.d.ts");
        let (_, union) = typings
            .split_once("export type HubErrorCode =")
            .expect("common.d.ts declares HubErrorCode");
        // One `| 'CODE'` per line up to the blank line after the union; doc
        // comments between them are skipped.
        let mut typed: Vec<&str> = union
            .lines()
            .skip(1)
            .take_while(|line| !line.trim().is_empty())
            .filter_map(|line| {
                line.trim()
                    .strip_prefix("| '")?
                    .trim_end_matches(';')
                    .strip_suffix('\'')
            })
            .collect();
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        typed.sort_unstable();
        codes.sort_unstable();
        assert_eq!(typed, codes);
    }
}
