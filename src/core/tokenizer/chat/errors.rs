//! The chat template's errors: what failed and where, never the template's
//! source (a caller's template may quote a token).

use minijinja::{Error as JinjaError, ErrorKind};

use crate::core::error::{ErrorCode, HubError};

/// Where a template came from, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TemplateOrigin {
    /// chat_template.jinja, or tokenizer_config.json's `chat_template`.
    Repo,
    /// The `chat_template` option of the call.
    Caller,
}

impl TemplateOrigin {
    pub(super) fn of(from_repo: bool) -> Self {
        if from_repo {
            TemplateOrigin::Repo
        } else {
            TemplateOrigin::Caller
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TemplateOrigin::Repo => "the repo's chat template",
            TemplateOrigin::Caller => "the `chat_template` passed in",
        }
    }
}

pub(super) fn chat_error(message: String) -> HubError {
    HubError::new(ErrorCode::ChatTemplate, message)
}

/// minijinja's error without the template's name (an internal one, where
/// the whole source used to be): what failed, and the line.
fn describe(e: &JinjaError, origin: TemplateOrigin) -> String {
    let what = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    match e.line() {
        Some(line) if e.name().is_some() => format!("{what} (line {line} of {})", origin.describe()),
        _ => format!("{what} (in {})", origin.describe()),
    }
}

pub(super) fn compile_failed(e: &JinjaError, origin: TemplateOrigin) -> HubError {
    chat_error(format!(
        "The chat template could not be compiled: {}.",
        describe(e, origin)
    ))
}

/// `raise_exception("...")` in a template is the template's own message to
/// the caller (e.g. "Conversation roles must alternate"): pass it through.
pub(super) fn template_failed(e: &JinjaError, origin: TemplateOrigin, fuel: u64) -> HubError {
    match (e.kind(), e.detail()) {
        (ErrorKind::OutOfFuel, _) => chat_error(format!(
            "The chat template did too much work: it was stopped after {fuel} steps (hubguard's limit, so that a \
             template cannot block the thread; the heaviest real templates need about 5 million for a thousand \
             messages). Check the template for a runaway loop, or render a shorter conversation."
        )),
        (ErrorKind::InvalidOperation, Some(detail)) => {
            chat_error(format!("The chat template refused this conversation: {detail}"))
        }
        _ => chat_error(format!(
            "The chat template could not be rendered: {}.",
            describe(e, origin)
        )),
    }
}
