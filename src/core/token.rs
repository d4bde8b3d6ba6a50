//! The token rule: where a token comes from, and how it is kept out of sight.
//!
//! Only the Node build ever resolves a token. The order matches
//! `huggingface_hub` 2.x's `get_token()`: an explicit option, then
//! `HF_TOKEN`, then `HUGGING_FACE_HUB_TOKEN`, then the file that `hf auth
//! login` writes (`$HF_TOKEN_PATH`, else `$HF_HOME/token`). With
//! `HF_HUB_DISABLE_IMPLICIT_TOKEN` set, only an explicit token is sent
//! (`token: true` still looks one up, as `token=True` does in Python). The
//! environment is read again for every request, so `process.env.HF_TOKEN =
//! ...` set after import takes effect. (Not read: OIDC and Colab secrets.)

use std::fmt;

pub use super::environment::Environment as TokenEnvironment;
use super::environment::{expand_home, hf_home, is_true};
use super::error::{ErrorCode, HubError};
pub use super::secret::{Token, TokenSource};

/// What the caller passed as the `token` option.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum TokenOption {
    /// Not given: fall back to the environment.
    #[default]
    Unset,
    /// `token: false`: send no token even if the environment has one.
    Disabled,
    /// `token: true`: the environment's token, even with
    /// HF_HUB_DISABLE_IMPLICIT_TOKEN set; an error if there is none.
    Required,
    Value(String),
}

impl fmt::Debug for TokenOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOption::Unset => f.write_str("Unset"),
            TokenOption::Disabled => f.write_str("Disabled"),
            TokenOption::Required => f.write_str("Required"),
            TokenOption::Value(_) => f.write_str("Value(<redacted>)"),
        }
    }
}

/// Resolve the token for one request. An empty value counts as no token.
pub fn resolve_token(option: &TokenOption, env: &impl TokenEnvironment) -> Result<Option<Token>, HubError> {
    match option {
        TokenOption::Disabled => Ok(None),
        TokenOption::Value(v) if !clean_token(v).is_empty() => checked(&clean_token(v), TokenSource::Option).map(Some),
        TokenOption::Required => implicit_token(env)?.map(Some).ok_or_else(|| not_logged_in(env)),
        TokenOption::Value(_) | TokenOption::Unset if implicit_token_disabled(env) => Ok(None),
        TokenOption::Value(_) | TokenOption::Unset => implicit_token(env),
    }
}

/// The token found without an explicit one, as huggingface_hub's
/// `get_token()`: `HF_TOKEN` (any value but "" counts, so `HF_TOKEN=" "`
/// hides `HUGGING_FACE_HUB_TOKEN` and then cleans to nothing), else
/// `HUGGING_FACE_HUB_TOKEN`, else the token file. This is the lookup;
/// HF_HUB_DISABLE_IMPLICIT_TOKEN only decides whether it is sent.
pub fn implicit_token(env: &impl TokenEnvironment) -> Result<Option<Token>, HubError> {
    let from_env = match env.var("HF_TOKEN").filter(|v| !v.is_empty()) {
        Some(v) => Some((v, "HF_TOKEN")),
        None => env
            .var("HUGGING_FACE_HUB_TOKEN")
            .filter(|v| !v.is_empty())
            .map(|v| (v, "HUGGING_FACE_HUB_TOKEN")),
    };
    if let Some((raw, name)) = from_env {
        let cleaned = clean_token(&raw);
        if !cleaned.is_empty() {
            return checked(&cleaned, TokenSource::EnvVar(name)).map(Some);
        }
    }
    let Some(path) = token_file_path(env) else {
        return Ok(None);
    };
    match env.read_file(&path).map(|text| clean_token(&text)) {
        Some(text) if !text.is_empty() => checked(&text, TokenSource::File(path)).map(Some),
        _ => Ok(None),
    }
}

/// `HF_HUB_DISABLE_IMPLICIT_TOKEN`: send only tokens passed explicitly.
pub fn implicit_token_disabled(env: &impl TokenEnvironment) -> bool {
    env.var("HF_HUB_DISABLE_IMPLICIT_TOKEN").is_some_and(|v| is_true(&v))
}

/// huggingface_hub's `_clean_token`: every CR and LF removed, wherever they
/// are, then the ends trimmed.
pub fn clean_token(raw: &str) -> String {
    raw.replace(['\r', '\n'], "").trim().to_owned()
}

fn not_logged_in(env: &impl TokenEnvironment) -> HubError {
    let file = token_file_path(env).map(|p| format!(", {p}")).unwrap_or_default();
    HubError::new(
        ErrorCode::InvalidToken,
        format!(
            "Not logged in: a token is required (`token: true`), and none was found in HF_TOKEN, \
             HUGGING_FACE_HUB_TOKEN or the token file{file}. Run `hubguard login` (or `hf auth login`), or set HF_TOKEN."
        ),
    )
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
        Ok(Token::new(raw.to_owned(), source))
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
            Some(("hf_env".into(), TokenSource::EnvVar("HF_TOKEN")))
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
    fn hugging_face_hub_token_comes_after_hf_token_and_before_the_file() {
        let file = "/home/u/.cache/huggingface/token";
        let env = FakeEnv::default()
            .with_var("HUGGING_FACE_HUB_TOKEN", "hf_legacy")
            .with_file(file, "hf_file");
        assert_eq!(
            resolved(TokenOption::Unset, &env),
            Some(("hf_legacy".into(), TokenSource::EnvVar("HUGGING_FACE_HUB_TOKEN")))
        );
        let env = env.with_var("HF_TOKEN", "hf_new");
        assert_eq!(
            resolved(TokenOption::Unset, &env),
            Some(("hf_new".into(), TokenSource::EnvVar("HF_TOKEN")))
        );
        // As Python's `or` on the raw strings: "" falls through, " " does not
        // (it hides HUGGING_FACE_HUB_TOKEN, then cleans to nothing: the file).
        let env = env.with_var("HF_TOKEN", "");
        assert_eq!(resolved(TokenOption::Unset, &env).unwrap().0, "hf_legacy");
        let env = env.with_var("HF_TOKEN", " ");
        assert_eq!(
            resolved(TokenOption::Unset, &env),
            Some(("hf_file".into(), TokenSource::File(file.into())))
        );
    }

    #[test]
    fn tokens_are_cleaned_as_huggingface_hub_cleans_them() {
        let env = FakeEnv::default().with_file("/home/u/.cache/huggingface/token", "  hf_\r\nother  \n");
        assert_eq!(resolved(TokenOption::Unset, &env).unwrap().0, "hf_other");
        assert_eq!(clean_token("\r\n"), "");
    }

    #[test]
    fn disable_implicit_token_sends_only_explicit_tokens() {
        let env = FakeEnv::default()
            .with_var("HF_TOKEN", "hf_env")
            .with_var("HF_HUB_DISABLE_IMPLICIT_TOKEN", "yes");
        assert_eq!(resolved(TokenOption::Unset, &env), None);
        assert_eq!(resolved(TokenOption::Value("hf_opt".into()), &env).unwrap().0, "hf_opt");
        assert_eq!(resolved(TokenOption::Required, &env).unwrap().0, "hf_env");
        assert_eq!(implicit_token(&env).unwrap().unwrap().expose(), "hf_env");
        for off in ["0", "y", "t", "yes ", "no", ""] {
            let env = FakeEnv::default()
                .with_var("HF_TOKEN", "hf_env")
                .with_var("HF_HUB_DISABLE_IMPLICIT_TOKEN", off);
            assert_eq!(resolved(TokenOption::Unset, &env).unwrap().0, "hf_env", "{off:?}");
        }
    }

    #[test]
    fn a_required_token_that_is_missing_says_not_logged_in() {
        let err = resolve_token(&TokenOption::Required, &FakeEnv::default()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidToken);
        assert!(err.message.starts_with("Not logged in") && err.message.contains("/home/u/.cache/huggingface/token"));
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
