//! The token as a value that can be sent but never shown, and where it came
//! from. A leaf: the token rule (`token.rs`) makes these, redaction
//! (`redact.rs`) and the transport read them.

use std::fmt;

/// Where a token came from; named in errors so the user knows what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    Option,
    /// `HF_TOKEN` or `HUGGING_FACE_HUB_TOKEN`.
    EnvVar(&'static str),
    File(String),
}

impl TokenSource {
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Option => "the `token` option".to_owned(),
            TokenSource::EnvVar(name) => format!("the {name} environment variable"),
            TokenSource::File(path) => format!("the token file {path}"),
        }
    }
}

/// An access token. It can be sent, never shown: `Debug` and `Display`
/// print a placeholder, and the secret is reached only through `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    secret: String,
    source: TokenSource,
    /// `source.describe()`, made when the token is resolved, so code that
    /// only reports on a token (and the browser build, which never resolves
    /// one) does not carry the description texts.
    described: String,
}

impl Token {
    /// Made only by the token rule (`core::token`), from a value it checked.
    pub(super) fn new(secret: String, source: TokenSource) -> Self {
        Token {
            described: source.describe(),
            secret,
            source,
        }
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// Where it came from, for messages: "the HF_TOKEN environment variable".
    pub fn source_description(&self) -> &str {
        &self.described
    }

    /// The only way to the secret; call it where the header is set and
    /// where text is redacted, nowhere else.
    pub fn expose(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted token>")
    }
}
