//! The token rule: where a token comes from, and how it is kept out of sight.
//!
//! Only the Node build ever resolves a token. The order matches
//! `huggingface_hub`: an explicit option, then `HF_TOKEN`, then the file that
//! `hf auth login` writes. The environment is read again for every request, so
//! `process.env.HF_TOKEN = ...` set after import takes effect.

use std::fmt;

pub use super::environment::Environment as TokenEnvironment;
use super::environment::{expand_home, hf_home};
use super::error::{ErrorCode, HubError};

/// Where a token came from; named in errors so the user knows what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    Option,
    EnvVar,
    File(String),
}

impl TokenSource {
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Option => "the `token` option".to_owned(),
            TokenSource::EnvVar => "the HF_TOKEN environment variable".to_owned(),
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

/// What the caller passed as the `token` option.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum TokenOption {
    /// Not given: fall back to the environment.
    #[default]
    Unset,
    /// `token: false`: send no token even if the environment has one.
    Disabled,
    Value(String),
}

impl fmt::Debug for TokenOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOption::Unset => f.write_str("Unset"),
            TokenOption::Disabled => f.write_str("Disabled"),
            TokenOption::Value(_) => f.write_str("Value(<redacted>)"),
        }
    }
}

/// Resolve the token for one request. An empty value counts as no token.
pub fn resolve_token(option: &TokenOption, env: &impl TokenEnvironment) -> Result<Option<Token>, HubError> {
    let found = match option {
        TokenOption::Disabled => None,
        TokenOption::Value(v) if !v.trim().is_empty() => Some((v.clone(), TokenSource::Option)),
        TokenOption::Value(_) | TokenOption::Unset => from_environment(env),
    };
    found.map(|(raw, source)| checked(raw.trim(), source)).transpose()
}

fn from_environment(env: &impl TokenEnvironment) -> Option<(String, TokenSource)> {
    if let Some(v) = env.var("HF_TOKEN").filter(|v| !v.trim().is_empty()) {
        return Some((v, TokenSource::EnvVar));
    }
    let path = token_file_path(env)?;
    let text = env.read_file(&path).filter(|t| !t.trim().is_empty())?;
    Some((text, TokenSource::File(path)))
}

/// `$HF_TOKEN_PATH`, else `$HF_HOME/token`, else
/// `$XDG_CACHE_HOME/huggingface/token`, else `~/.cache/huggingface/token`:
/// the file `huggingface_hub` reads and `hf auth login` writes.
pub fn token_file_path(env: &impl TokenEnvironment) -> Option<String> {
    if let Some(path) = env.non_empty("HF_TOKEN_PATH") {
        return expand_home(&path, env);
    }
    Some(format!("{}/token", hf_home(env)?))
}

/// A token that cannot be an HTTP header value would make `fetch` throw an
/// error that may quote it; refuse it here, without quoting it.
fn checked(raw: &str, source: TokenSource) -> Result<Token, HubError> {
    if raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Token {
            secret: raw.to_owned(),
            described: source.describe(),
            source,
        })
    } else {
        Err(HubError::new(
            ErrorCode::InvalidToken,
            format!(
                "The token from {} contains spaces or characters that cannot be sent in an HTTP header. \
                 Copy the token again from https://huggingface.co/settings/tokens.",
                source.describe()
            ),
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;

    #[derive(Default)]
    pub(crate) struct FakeEnv {
        pub vars: HashMap<String, String>,
        pub files: HashMap<String, String>,
    }

    impl FakeEnv {
        pub fn with_var(mut self, k: &str, v: &str) -> Self {
            self.vars.insert(k.into(), v.into());
            self
        }
        pub fn with_file(mut self, k: &str, v: &str) -> Self {
            self.files.insert(k.into(), v.into());
            self
        }
    }

    impl TokenEnvironment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).cloned()
        }
        fn home_dir(&self) -> Option<String> {
            Some("/home/u".into())
        }
        fn read_file(&self, path: &str) -> Option<String> {
            self.files.get(path).cloned()
        }
    }

    fn resolved(option: TokenOption, env: &FakeEnv) -> Option<(String, TokenSource)> {
        resolve_token(&option, env)
            .unwrap()
            .map(|t| (t.expose().to_owned(), t.source().clone()))
    }

    #[test]
    fn option_then_env_then_file() {
        let env = FakeEnv::default()
            .with_var("HF_TOKEN", "hf_env")
            .with_file("/home/u/.cache/huggingface/token", "hf_file\n");
        assert_eq!(
            resolved(TokenOption::Value("hf_opt".into()), &env),
            Some(("hf_opt".into(), TokenSource::Option))
        );
        assert_eq!(
            resolved(TokenOption::Unset, &env),
            Some(("hf_env".into(), TokenSource::EnvVar))
        );
        let env = FakeEnv {
            vars: Default::default(),
            ..env
        };
        assert_eq!(
            resolved(TokenOption::Unset, &env),
            Some((
                "hf_file".into(),
                TokenSource::File("/home/u/.cache/huggingface/token".into())
            ))
        );
    }

    #[test]
    fn empty_values_mean_no_token() {
        let env = FakeEnv::default()
            .with_var("HF_TOKEN", "")
            .with_file("/home/u/.cache/huggingface/token", "  \n");
        assert_eq!(resolved(TokenOption::Value("".into()), &env), None);
        assert_eq!(resolved(TokenOption::Unset, &env), None);
    }

    #[test]
    fn disabled_ignores_environment() {
        let env = FakeEnv::default().with_var("HF_TOKEN", "hf_env");
        assert_eq!(resolved(TokenOption::Disabled, &env), None);
    }

    #[test]
    fn token_file_locations() {
        let env = FakeEnv::default()
            .with_var("HF_TOKEN_PATH", "~/t")
            .with_var("HF_HOME", "/x");
        assert_eq!(token_file_path(&env).as_deref(), Some("/home/u/t"));
        let env = FakeEnv::default().with_var("HF_HOME", "/x");
        assert_eq!(token_file_path(&env).as_deref(), Some("/x/token"));
        let env = FakeEnv::default().with_var("XDG_CACHE_HOME", "/c/");
        assert_eq!(token_file_path(&env).as_deref(), Some("/c/huggingface/token"));
        assert_eq!(
            token_file_path(&FakeEnv::default()).as_deref(),
            Some("/home/u/.cache/huggingface/token")
        );
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let env = FakeEnv::default().with_var("HF_TOKEN", "hf_supersecret");
        let token = resolve_token(&TokenOption::Unset, &env).unwrap().unwrap();
        assert!(!format!("{token:?} {token}").contains("supersecret"));
        assert!(!format!("{:?}", TokenOption::Value("hf_supersecret".into())).contains("supersecret"));
    }

    #[test]
    fn unsendable_token_is_refused_without_quoting_it() {
        let env = FakeEnv::default().with_var("HF_TOKEN", "hf_a b");
        let err = resolve_token(&TokenOption::Unset, &env).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidToken);
        assert!(err.message.contains("HF_TOKEN") && !err.message.contains("hf_a"));
    }
}
