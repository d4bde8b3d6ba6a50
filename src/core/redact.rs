//! Scrubbing of text that came from outside before it is put in an error.
//!
//! A server's `X-Error-Message` or a network error's description is useful to
//! show, but it is not ours: it might echo the token, quote a signed URL, or
//! carry control characters meant for a terminal.

use super::secret::Token;

const MAX_FOREIGN_TEXT: usize = 300;

/// Make outside text safe to embed in an error message.
pub fn scrub(text: &str, token: Option<&Token>) -> String {
    let mut out: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if let Some(token) = token {
        out = out.replace(token.expose(), "<redacted token>");
    }
    out = redact_hf_tokens(&out);
    out = strip_url_queries(&out);
    if out.chars().count() > MAX_FOREIGN_TEXT {
        out = out.chars().take(MAX_FOREIGN_TEXT).collect::<String>() + "…";
    }
    out.trim().to_owned()
}

/// Our own message about caller-given text (a repo id, a revision, a
/// template's output): what is shaped like a token or a URL's query goes,
/// whoever wrote it. Unlike `scrub`, the rest is kept whole.
pub fn redact_secrets(text: &str) -> String {
    if !text.contains("hf_") && !text.contains("://") {
        return text.to_owned();
    }
    strip_url_queries(&redact_hf_tokens(text))
}

/// Whether `text` holds anything shaped like a Hugging Face token (the rule
/// the redaction uses), such as a header value a browser app was about to
/// send.
pub fn contains_token_shape(text: &str) -> bool {
    text.contains("hf_") && redact_hf_tokens(text) != text
}

/// Whether `text`, whole, is shaped like a Hugging Face token: a value that
/// is a token, such as an environment variable a bundler put in a web page.
pub fn is_token_shape(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|tail| tail.len() >= MIN_TOKEN_TAIL && word_chars(tail) == tail.len())
}

/// Values shorter than this are not masked by `redact_known`: a stray
/// short one (`HF_TOKEN=x`) would garble every message, and is no token.
const MIN_KNOWN_SECRET: usize = 8;

/// Text this process prints (the CLI's): every secret in `secrets` it was
/// handed replaced (trimmed; the longest first, so that one inside another
/// goes whole), then what `redact_secrets` takes out.
pub fn redact_known(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| s.len() >= MIN_KNOWN_SECRET)
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in secrets {
        out = out.replace(secret, "<redacted token>");
    }
    redact_secrets(&out)
}

/// The token shape: `hf_`, then at least this many word characters.
const TOKEN_PREFIX: &str = "hf_";
const MIN_TOKEN_TAIL: usize = 10;

/// How many word characters (ASCII letters, digits, `_`) `text` starts with.
fn word_chars(text: &str) -> usize {
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// Anything shaped like a Hugging Face token (`hf_` and 10+ word characters).
fn redact_hf_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(TOKEN_PREFIX) {
        let tail = &rest[at + TOKEN_PREFIX.len()..];
        let len = word_chars(tail);
        out.push_str(&rest[..at]);
        if len >= MIN_TOKEN_TAIL {
            out.push_str("<redacted token>");
        } else {
            out.push_str(&rest[at..at + TOKEN_PREFIX.len() + len]);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// A URL's query is where signatures live; keep the part before it.
fn strip_url_queries(text: &str) -> String {
    text.split(' ')
        .map(|word| match (word.contains("://"), word.find('?')) {
            (true, Some(q)) => format!("{}?<redacted>", &word[..q]),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::token::{resolve_token, tests::FakeEnv, TokenOption};

    #[test]
    fn removes_our_token_and_token_shapes() {
        let env = FakeEnv::default().with_var("HF_TOKEN", "secretvalue");
        let token = resolve_token(&TokenOption::Unset, &env).unwrap();
        let out = scrub("bad secretvalue and hf_abcdefghijklmnop and hf_short", token.as_ref());
        assert_eq!(out, "bad <redacted token> and <redacted token> and hf_short");
    }

    #[test]
    fn removes_signed_queries_and_control_chars() {
        let out = scrub("see https://cdn.example/x?X-Amz-Signature=abc\x1b[31m", None);
        assert!(out.starts_with("see https://cdn.example/x?<redacted>"), "{out}");
        assert!(!out.contains("Signature"));
        assert!(!out.contains('\x1b'));
    }

    #[test]
    fn secrets_go_from_our_own_messages_and_the_rest_stays() {
        let text = "Repository hf_abcdefghijklmnop was not found at https://h.co/x?sig=1 (see\nthe docs)";
        assert_eq!(
            redact_secrets(text),
            "Repository <redacted token> was not found at https://h.co/x?<redacted> (see\nthe docs)"
        );
        let long = "é".repeat(1000);
        assert_eq!(redact_secrets(&long), long);
    }

    #[test]
    fn token_shapes_are_recognised_inside_other_text() {
        assert!(contains_token_shape("Bearer hf_abcdefghijklmnop"));
        assert!(!contains_token_shape("Bearer app-session hf_short"));
    }

    #[test]
    fn a_whole_value_is_a_token_shape_only_if_it_is_nothing_else() {
        assert!(is_token_shape("hf_abcdefghij"));
        assert!(is_token_shape("hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"));
        assert!(!is_token_shape("hf_abcdefghi"), "nine characters after hf_ are too few");
        assert!(!is_token_shape("Bearer hf_abcdefghijklmnop"));
        assert!(!is_token_shape("hf_abcdefghijklmnop "));
        assert!(!is_token_shape("hf_abcdefghij-klmnop"));
        assert!(!is_token_shape("/srv/hf_cache-dir"));
    }

    #[test]
    fn the_secrets_a_process_was_handed_are_masked_whole_then_token_shapes() {
        let secrets = ["secretvalue".to_owned(), "secretvalue-and-more".to_owned()];
        assert_eq!(
            redact_known(
                "got secretvalue-and-more, secretvalue and hf_abcdefghijklmnop",
                &secrets
            ),
            "got <redacted token>, <redacted token> and <redacted token>"
        );
    }

    #[test]
    fn secrets_are_trimmed_and_short_ones_are_not_masked() {
        let secrets = [" spacedsecret\n".to_owned(), "x".to_owned(), "".to_owned()];
        assert_eq!(redact_known("x spacedsecret x", &secrets), "x <redacted token> x");
    }

    #[test]
    fn printed_text_loses_signed_queries() {
        assert_eq!(
            redact_known("see https://cdn.example/f?X-Amz-Signature=s", &[]),
            "see https://cdn.example/f?<redacted>"
        );
    }

    #[test]
    fn truncates() {
        assert!(scrub(&"é".repeat(1000), None).chars().count() <= 301);
    }
}
