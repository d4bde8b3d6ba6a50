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

/// Anything shaped like a Hugging Face token (`hf_` and 10+ word characters).
fn redact_hf_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("hf_") {
        let tail = &rest[at + 3..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push_str(&rest[..at]);
        if len >= 10 {
            out.push_str("<redacted token>");
        } else {
            out.push_str(&rest[at..at + 3 + len]);
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
    fn truncates() {
        assert!(scrub(&"é".repeat(1000), None).chars().count() <= 301);
    }
}
