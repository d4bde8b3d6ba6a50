//! Turning a Hub error answer into an error that says what to do.
//!
//! The Hub explains itself with `X-Error-Code` (GatedRepo, RepoNotFound,
//! EntryNotFound, RevisionNotFound) and `X-Error-Message`; the status and
//! whether we sent a token tell the rest. The rows follow the README table.

use super::error::{ErrorCode, HubError};
use super::redact::scrub;
use super::token::Token;

/// The parts of an error answer that matter.
#[derive(Clone, Debug, Default)]
pub struct HubReply<'a> {
    pub status: u16,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub retry_after: Option<&'a str>,
}

/// How a user of this build gets access to a gated or private repo. The
/// texts are constants each platform picks, so a build carries only its own
/// (the browser build has no word of HF_TOKEN in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessAdvice {
    /// Completes "to download it, ...".
    pub get_access: &'static str,
    /// Completes "Check the id, or ...".
    pub if_private: &'static str,
}

impl AccessAdvice {
    /// Server side: a token from HF_TOKEN or the login file.
    pub const TOKEN: AccessAdvice = AccessAdvice {
        get_access: "set HF_TOKEN (or run `hf auth login`, or pass the `token` option) with the token of an account that has accepted its terms",
        if_private: "set HF_TOKEN (or log in) if it is private",
    };
    /// Browser: never a token; a proxy the app runs holds it.
    pub const PROXY: AccessAdvice = AccessAdvice {
        get_access: "browsers never hold a token: configure the hubguard proxy (env.proxy) on a server that holds one, and add this repo to its allow list",
        if_private: "if it is private, load it through the hubguard proxy (env.proxy)",
    };
}

/// What was asked, and with which credentials.
#[derive(Clone, Copy, Debug)]
pub struct RequestContext<'a> {
    pub repo_id: &'a str,
    pub revision: &'a str,
    pub file: Option<&'a str>,
    /// The token sent with the request, if any.
    pub token: Option<&'a Token>,
    pub hub_origin: &'a str,
    pub advice: AccessAdvice,
}

/// The `X-Error-Code` the hubguard proxy puts on its own refusals.
pub const PROXY_REFUSED_CODE: &str = "ProxyRefused";

/// Whether the Hub refused for lack of credentials (gated, or private and
/// asked anonymously): the answer a browser build retries through the app's
/// proxy, which holds a token the page never sees.
pub fn needs_credentials(error: &HubError) -> bool {
    error.code == ErrorCode::GatedRepo || (error.code == ErrorCode::RepoNotFound && error.status == Some(401))
}

pub fn classify(reply: &HubReply<'_>, ctx: &RequestContext<'_>) -> HubError {
    let repo = ctx.repo_id;
    let file = ctx.file.unwrap_or("(repo)");
    let sent_token = ctx.token.is_some();
    let server_says = server_says(reply, ctx.token);
    let get_access = ctx.advice.get_access;
    let invalid_credentials = reply.error_message.is_some_and(|m| m.contains("Invalid credentials"));

    let (code, message) = match (reply.status, reply.error_code) {
        (429, _) => rate_limited(&format!(" for {repo}"), reply, &server_says),
        (401, _) if invalid_credentials && sent_token => {
            token_rejected(ctx.token.map(Token::source_description).unwrap_or_default())
        }
        (_, Some("GatedRepo")) if sent_token => (
            ErrorCode::GatedRepo,
            format!(
                "{repo} is a gated repo and this token's account has not been granted access. \
                 Visit https://huggingface.co/{repo} to accept its terms, then wait for approval.{server_says}"
            ),
        ),
        (_, Some("GatedRepo")) => (
            ErrorCode::GatedRepo,
            format!("{repo} is a gated repo: to download it, {get_access}.{server_says}"),
        ),
        (_, Some("RepoNotFound")) if sent_token => (
            ErrorCode::RepoNotFound,
            format!(
                "Repository {repo} was not found, or this token cannot see it. Check the id, and that the \
                 token's account has access if the repo is private."
            ),
        ),
        (_, Some("RepoNotFound")) | (401, None) => {
            let hint = ctx.advice.if_private;
            (
                ErrorCode::RepoNotFound,
                format!("Repository {repo} was not found, or it is private. Check the id, or {hint}."),
            )
        }
        (_, Some(PROXY_REFUSED_CODE)) => (
            ErrorCode::ProxyRefused,
            format!(
                "The hubguard proxy at {} refused {file} of {repo}: {}. If the app should load it, its \
                 operator must add it to the proxy's allow list.",
                ctx.hub_origin,
                reply
                    .error_message
                    .map(|m| scrub(m, ctx.token))
                    .unwrap_or_default()
                    .trim_end_matches('.')
            ),
        ),
        (_, Some("EntryNotFound")) => (
            ErrorCode::EntryNotFound,
            format!("File {file} was not found in {repo} at revision {}.", ctx.revision),
        ),
        (_, Some("RevisionNotFound")) => (
            ErrorCode::RevisionNotFound,
            format!(
                "Revision {} was not found in {repo}. Use an existing branch, tag or commit hash.{server_says}",
                ctx.revision
            ),
        ),
        (404, _) => (
            ErrorCode::EntryNotFound,
            format!(
                "File {file} was not found in {repo} at revision {}.{server_says}",
                ctx.revision
            ),
        ),
        (status, _) => (
            ErrorCode::HttpError,
            format!(
                "The Hub at {} answered HTTP {status} for {file} in {repo}.{} {server_says}",
                ctx.hub_origin,
                if status >= 500 {
                    " This is a server problem; try again later."
                } else {
                    ""
                }
            )
            .trim_end()
            .to_owned(),
        ),
    };

    answer_error(reply, code, message).about(repo, ctx.file)
}

/// An error answer to a question about the account (`/api/whoami-v2`), not
/// a repo: a 401 can only mean the token, and anything else is named by
/// what was asked. `token`: the one the request carried.
pub fn classify_account(reply: &HubReply<'_>, token: Option<&Token>, hub_origin: &str) -> HubError {
    let server_says = server_says(reply, token);
    let (code, message) = match reply.status {
        429 => rate_limited("", reply, &server_says),
        401 => token_rejected(token.map_or("the configuration", Token::source_description)),
        status => (
            ErrorCode::HttpError,
            format!("The Hub at {hub_origin} answered HTTP {status} when asked who you are{server_says}."),
        ),
    };
    answer_error(reply, code, message)
}

/// ` (the Hub said: …)`: the answer's X-Error-Message, scrubbed of the
/// token sent and of anything secret-shaped; empty when there is none.
fn server_says(reply: &HubReply<'_>, token: Option<&Token>) -> String {
    reply
        .error_message
        .map(|m| scrub(m, token))
        .filter(|m| !m.is_empty())
        .map(|m| format!(" (the Hub said: {m})"))
        .unwrap_or_default()
}

/// The seconds of a `Retry-After` that gives them (not an HTTP date).
fn retry_after_seconds(reply: &HubReply<'_>) -> Option<u64> {
    reply.retry_after.and_then(|v| v.trim().parse().ok())
}

/// 429. `for_what`: " for {repo}", or empty.
fn rate_limited(for_what: &str, reply: &HubReply<'_>, server_says: &str) -> (ErrorCode, String) {
    let when = retry_after_seconds(reply)
        .map(|s| format!("after {s} seconds"))
        .unwrap_or_else(|| "in a little while".into());
    (
        ErrorCode::RateLimited,
        format!("The Hub is rate-limiting requests{for_what}. Retry {when}.{server_says}"),
    )
}

/// A 401 for the token sent, named by where it came from, never by its value.
fn token_rejected(source: &str) -> (ErrorCode, String) {
    (
        ErrorCode::InvalidToken,
        format!(
            "The Hub rejected the token from {source} as invalid or revoked. Create a new token at \
             https://huggingface.co/settings/tokens and update that source."
        ),
    )
}

/// The error for an answer: its status, and when to retry if rate-limited.
fn answer_error(reply: &HubReply<'_>, code: ErrorCode, message: String) -> HubError {
    let mut error = HubError::new(code, message).with_status(reply.status);
    if code == ErrorCode::RateLimited {
        error.retry_after = retry_after_seconds(reply);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::token::{resolve_token, tests::FakeEnv, TokenOption};

    fn token(source_var: bool) -> Token {
        let env = if source_var {
            FakeEnv::default().with_var("HF_TOKEN", "hf_abcdefghijklmnopqrstuv")
        } else {
            FakeEnv::default().with_file("/home/u/.cache/huggingface/token", "hf_abcdefghijklmnopqrstuv")
        };
        resolve_token(&TokenOption::Unset, &env).unwrap().unwrap()
    }

    fn run(status: u16, code: Option<&str>, msg: Option<&str>, token: Option<&Token>) -> HubError {
        let ctx = RequestContext {
            repo_id: "meta-llama/Llama-2-7b-hf",
            revision: "main",
            file: Some("tokenizer.json"),
            token,
            hub_origin: "https://huggingface.co",
            advice: AccessAdvice::TOKEN,
        };
        classify(
            &HubReply {
                status,
                error_code: code,
                error_message: msg,
                retry_after: Some("7"),
            },
            &ctx,
        )
    }

    #[test]
    fn gated() {
        let anon = run(401, Some("GatedRepo"), Some("Access restricted"), None);
        assert_eq!(anon.code, ErrorCode::GatedRepo);
        assert!(
            anon.message.contains("gated") && anon.message.contains("HF_TOKEN"),
            "{}",
            anon.message
        );
        let t = token(true);
        let denied = run(403, Some("GatedRepo"), None, Some(&t));
        assert_eq!(denied.code, ErrorCode::GatedRepo);
        assert!(denied
            .message
            .contains("https://huggingface.co/meta-llama/Llama-2-7b-hf"));
        assert!(denied.message.contains("not been granted"));
        assert_eq!(denied.status, Some(403));
        assert_eq!(denied.file.as_deref(), Some("tokenizer.json"));
    }

    #[test]
    fn not_found() {
        let anon = run(401, Some("RepoNotFound"), None, None);
        assert_eq!(anon.code, ErrorCode::RepoNotFound);
        assert!(anon.message.contains("private") && anon.message.contains("HF_TOKEN"));
        let t = token(true);
        let with = run(404, Some("RepoNotFound"), None, Some(&t));
        assert!(with.message.contains("this token cannot see it"));
        assert_eq!(
            run(404, Some("EntryNotFound"), None, None).code,
            ErrorCode::EntryNotFound
        );
        let rev = run(404, Some("RevisionNotFound"), None, None);
        assert_eq!(rev.code, ErrorCode::RevisionNotFound);
        assert!(rev.message.contains("main"));
    }

    #[test]
    fn invalid_token_names_its_source_not_its_value() {
        let t = token(false);
        let err = run(401, None, Some("Invalid credentials in Authorization header"), Some(&t));
        assert_eq!(err.code, ErrorCode::InvalidToken);
        assert!(err.message.contains("/home/u/.cache/huggingface/token"));
        assert!(!err.message.contains("hf_abcdefghij"));
    }

    #[test]
    fn rate_limit_and_server_errors() {
        let err = run(429, None, None, None);
        assert_eq!((err.code, err.retry_after), (ErrorCode::RateLimited, Some(7)));
        assert!(err.message.contains("7 seconds"));
        assert_eq!(run(503, None, None, None).code, ErrorCode::HttpError);
    }

    #[test]
    fn echoed_token_is_redacted() {
        let t = token(true);
        let err = run(
            403,
            Some("GatedRepo"),
            Some("token hf_abcdefghijklmnopqrstuv denied"),
            Some(&t),
        );
        assert!(!err.message.contains("hf_abcdefghijklmnopqrstuv"), "{}", err.message);
    }

    #[test]
    fn what_a_proxy_can_fix() {
        let t = token(true);
        assert!(needs_credentials(&run(401, Some("GatedRepo"), None, None)));
        assert!(needs_credentials(&run(403, Some("GatedRepo"), None, Some(&t))));
        assert!(needs_credentials(&run(401, Some("RepoNotFound"), None, None)));
        assert!(!needs_credentials(&run(404, Some("RepoNotFound"), None, Some(&t))));
        assert!(!needs_credentials(&run(404, Some("EntryNotFound"), None, None)));
    }

    #[test]
    fn browser_advice_points_to_the_proxy() {
        let ctx = RequestContext {
            repo_id: "a/b",
            revision: "main",
            file: None,
            token: None,
            hub_origin: "https://huggingface.co",
            advice: AccessAdvice::PROXY,
        };
        let err = classify(
            &HubReply {
                status: 401,
                error_code: Some("GatedRepo"),
                ..Default::default()
            },
            &ctx,
        );
        assert!(err.message.contains("proxy") && !err.message.contains("HF_TOKEN"));
    }

    fn account(status: u16, msg: Option<&str>, retry_after: Option<&str>, token: Option<&Token>) -> HubError {
        let reply = HubReply {
            status,
            error_code: None,
            error_message: msg,
            retry_after,
        };
        classify_account(&reply, token, "https://huggingface.co")
    }

    #[test]
    fn an_account_401_is_the_token_named_by_its_source() {
        let t = token(true);
        let err = account(401, Some("Invalid username or password."), None, Some(&t));
        assert_eq!((err.code, err.status), (ErrorCode::InvalidToken, Some(401)));
        assert!(err.message.contains("HF_TOKEN environment variable"), "{}", err.message);
        assert!(!err.message.contains("hf_abcdefghij"), "{}", err.message);
    }

    #[test]
    fn an_account_429_says_when_to_retry_as_a_repo_429_does() {
        let err = account(429, None, Some(" 30 "), None);
        assert_eq!((err.code, err.retry_after), (ErrorCode::RateLimited, Some(30)));
        assert_eq!(
            err.message,
            "The Hub is rate-limiting requests. Retry after 30 seconds."
        );
        let repo = run(429, None, None, None);
        assert_eq!(
            repo.message,
            "The Hub is rate-limiting requests for meta-llama/Llama-2-7b-hf. Retry after 7 seconds."
        );
    }

    #[test]
    fn a_retry_after_date_is_not_quoted_as_seconds() {
        let err = account(429, None, Some("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(err.retry_after, None);
        assert_eq!(
            err.message,
            "The Hub is rate-limiting requests. Retry in a little while."
        );
    }

    #[test]
    fn other_account_answers_name_the_question_and_quote_the_hub_scrubbed() {
        let t = token(true);
        let err = account(500, Some("failed for hf_abcdefghijklmnopqrstuv"), None, Some(&t));
        assert_eq!((err.code, err.status), (ErrorCode::HttpError, Some(500)));
        assert_eq!(
            err.message,
            "The Hub at https://huggingface.co answered HTTP 500 when asked who you are \
             (the Hub said: failed for <redacted token>)."
        );
    }
}
