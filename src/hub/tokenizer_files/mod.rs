//! Loading a tokenizer: tokenizer.json, plus the optional
//! tokenizer_config.json and chat_template.jinja, fetched at once.
//!
//! Not fetched: `additional_chat_templates/*.jinja`. transformers finds them
//! by listing that folder through the Hub's tree API on every load; hubguard
//! would need that extra request on every load too (nothing in the three
//! files' answers says whether the folder exists), so it does not load them.

use futures_util::future::join3;

use super::download::FileRef;
use super::progress::{HeldInitiate, Progress};
use super::source::{Derived, FileSource, IfUnknown};
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::tokenizer::{
    LoadedTokenizer, TokenizerJson, CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE,
};

pub async fn load_tokenizer(
    source: &impl FileSource,
    repo_type: RepoType,
    repo: &RepoId,
    revision: &Revision,
    on_progress: &dyn Fn(&str, Progress),
) -> Result<LoadedTokenizer, HubError> {
    let file = |name: &str| FileRef {
        repo_type,
        repo: repo.clone(),
        revision: revision.clone(),
        path: RepoPath::parse(name).expect("constant file names are valid"),
    };
    let config_progress = |p| on_progress(TOKENIZER_CONFIG_FILE, p);
    let config_progress = HeldInitiate::new(&config_progress);
    let template_progress = |p| on_progress(CHAT_TEMPLATE_FILE, p);
    let template_progress = HeldInitiate::new(&template_progress);
    let (tokenizer, config, template) = join3(
        source.get_derived(
            &file(TOKENIZER_FILE),
            &|p| on_progress(TOKENIZER_FILE, p),
            &PreParsed { repo },
        ),
        // Offline and not cached stays an error, as it always was: the
        // special tokens live here, and a silent default would mis-tokenize.
        source.get_optional(
            &file(TOKENIZER_CONFIG_FILE),
            &|p| config_progress.report(p),
            IfUnknown::Fail,
        ),
        source.get_optional(
            &file(CHAT_TEMPLATE_FILE),
            &|p| template_progress.report(p),
            IfUnknown::Absent,
        ),
    )
    .await;
    let tokenizer = tokenizer.map_err(|e| match e.code {
        ErrorCode::EntryNotFound => HubError {
            message: format!(
                "{repo} has no {TOKENIZER_FILE} at revision {revision}. hubguard needs the fast-tokenizer file; \
                 check that this repo ships one (some only ship a SentencePiece tokenizer.model)."
            ),
            ..e
        },
        _ => e,
    })?;
    // Optional: many repos tokenize fine from tokenizer.json alone.
    let config = config?;
    let template = match template {
        Ok(template) => template,
        // A proxy that pins files (allow: [{ files: [...] }]) and predates
        // this file refuses it; the tokenizer itself does not need it, so
        // the load goes on with the config's template, as without the file.
        Err(e) if e.code == ErrorCode::ProxyRefused => None,
        Err(e) => return Err(e),
    };
    LoadedTokenizer::from_parts(repo.as_str(), tokenizer, config.as_deref(), template.as_deref())
}

/// Appended to tokenizer.json's path in `.hubguard/{commit}/` to name its
/// pre-parsed form.
pub const PRE_PARSED_SUFFIX: &str = ".pre-parsed";

/// tokenizer.json, parsed; the cache keeps its pre-parsed form beside it
/// (see `core::tokenizer::pre_parsed`): a warm load then skips the JSON.
struct PreParsed<'a> {
    repo: &'a RepoId,
}

impl Derived for PreParsed<'_> {
    type Output = TokenizerJson;
    /// The format's version is inside the form; this names the kind.
    const SUFFIX: &'static str = PRE_PARSED_SUFFIX;

    fn load_kept(&self, kept: &[u8], file_size: u64) -> Option<TokenizerJson> {
        TokenizerJson::from_pre_parsed(kept, file_size)
    }

    fn load_file(&self, bytes: &[u8], keep: bool) -> Result<(TokenizerJson, Option<Vec<u8>>), HubError> {
        TokenizerJson::parse(self.repo.as_str(), bytes, keep)
    }
}

#[cfg(test)]
mod tests;
