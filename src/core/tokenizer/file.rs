//! tokenizer.json and tokenizer_config.json read and checked: within their
//! caps, parsed by the fast loader or the `tokenizers` crate's own, and
//! refused with a typed error that names the file and what is wrong.

use serde_json::Value;
use tokenizers::Tokenizer;

use super::{fast_load, limits, pre_parsed, validate};
use crate::core::error::{ErrorCode, HubError};
use crate::core::redact::scrub;

pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";
pub const CHAT_TEMPLATE_FILE: &str = "chat_template.jinja";

/// The component types this build can run (those of the `tokenizers` crate),
/// by the key tokenizer.json holds them under.
const SUPPORTED_MODELS: [&str; 4] = ["BPE", "WordPiece", "WordLevel", "Unigram"];
const SUPPORTED_COMPONENTS: [(&str, &[&str]); 4] = [
    (
        "normalizer",
        &[
            "BertNormalizer",
            "Strip",
            "StripAccents",
            "NFC",
            "NFD",
            "NFKC",
            "NFKD",
            "Sequence",
            "Lowercase",
            "Nmt",
            "Precompiled",
            "Replace",
            "Prepend",
            "ByteLevel",
        ],
    ),
    (
        "pre_tokenizer",
        &[
            "BertPreTokenizer",
            "ByteLevel",
            "CharDelimiterSplit",
            "Metaspace",
            "Whitespace",
            "Sequence",
            "Split",
            "Punctuation",
            "WhitespaceSplit",
            "Digits",
            "UnicodeScripts",
            "FixedLength",
        ],
    ),
    (
        "post_processor",
        &[
            "RobertaProcessing",
            "BertProcessing",
            "ByteLevel",
            "TemplateProcessing",
            "Sequence",
        ],
    ),
    (
        "decoder",
        &[
            "BPEDecoder",
            "ByteLevel",
            "WordPiece",
            "Metaspace",
            "CTC",
            "Sequence",
            "Replace",
            "Fuse",
            "Strip",
            "ByteFallback",
        ],
    ),
];

/// tokenizer.json's content, parsed: the `tokenizers` crate's tokenizer,
/// before tokenizer_config.json is applied.
pub struct TokenizerJson(pub(super) Tokenizer);

impl TokenizerJson {
    /// Parse tokenizer.json. With `keep`, also its pre-parsed form, when the
    /// model has one (BPE), for the cache to keep beside the file.
    pub fn parse(repo_id: &str, bytes: &[u8], keep: bool) -> Result<(Self, Option<Vec<u8>>), HubError> {
        limits::check_file_size(repo_id, TOKENIZER_FILE, bytes.len())?;
        // The crate's parts (and its loader) parse into trees first.
        limits::check_json_values(bytes, limits::MAX_TOKENIZER_JSON_VALUES).map_err(|why| {
            invalid(
                repo_id,
                TOKENIZER_FILE,
                format!("{TOKENIZER_FILE} in {repo_id}: {why}."),
            )
        })?;
        match fast_load::load(bytes, keep) {
            Ok(Some(loaded)) => Ok((TokenizerJson(loaded.tokenizer), loaded.pre_parsed)),
            Ok(None) => crate_load(bytes)
                .map(|t| (TokenizerJson(t), None))
                .map_err(|e| load_error(repo_id, bytes, &e)),
            Err(refused) => Err(load_error(repo_id, bytes, &refused)),
        }
    }

    /// From the pre-parsed form of a `source_size`-byte tokenizer.json;
    /// `None` if `bytes` is not a sound one (then parse the file).
    pub fn from_pre_parsed(bytes: &[u8], source_size: u64) -> Option<Self> {
        // Never larger than the file it came from (which was within its cap).
        if source_size > limits::MAX_TOKENIZER_JSON_BYTES || bytes.len() as u64 > limits::MAX_TOKENIZER_JSON_BYTES {
            return None;
        }
        pre_parsed::load(bytes, source_size).map(TokenizerJson)
    }

    /// From the cache's kept pre-parsed form when it is sound, else from
    /// the file (`source_size` bytes) itself, with a new form to keep when
    /// the model has one; `Ok(None)`: the form is not usable and `file` was
    /// not given (read it, then ask again).
    #[allow(clippy::type_complexity)]
    pub fn from_kept_or_file(
        repo_id: &str,
        kept: Option<&[u8]>,
        file: Option<&[u8]>,
        source_size: u64,
    ) -> Result<Option<(Self, Option<Vec<u8>>)>, HubError> {
        if let Some(parsed) = kept.and_then(|kept| Self::from_pre_parsed(kept, source_size)) {
            return Ok(Some((parsed, None)));
        }
        file.map(|bytes| Self::parse(repo_id, bytes, true)).transpose()
    }
}

/// The `tokenizers` crate's own loader, for the files the fast one leaves
/// to it. The file is parsed once as JSON, checked (`validate`), and the
/// crate reads that same JSON: so it builds exactly what was checked (a
/// repeated key, say, cannot hide a part), and a syntax error deep inside a
/// part is an error here, where the crate's streaming parse would panic
/// (its decoder parsing `expect`s to read any JSON).
fn crate_load(bytes: &[u8]) -> Result<Tokenizer, String> {
    use serde::Deserialize;
    let file: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    validate::file(&file)?;
    let tokenizer = Tokenizer::deserialize(&file).map_err(|e| e.to_string())?;
    validate::built(&tokenizer)?;
    Ok(tokenizer)
}

/// tokenizer_config.json within its caps, before it is parsed.
pub(super) fn check_config(repo_id: &str, bytes: &[u8]) -> Result<(), HubError> {
    limits::check_file_size(repo_id, TOKENIZER_CONFIG_FILE, bytes.len())?;
    limits::check_json_values(bytes, limits::MAX_CONFIG_JSON_VALUES).map_err(|why| {
        invalid(
            repo_id,
            TOKENIZER_CONFIG_FILE,
            format!("{TOKENIZER_CONFIG_FILE} in {repo_id}: {why}."),
        )
    })
}

pub(super) fn invalid(repo_id: &str, file: &str, message: String) -> HubError {
    HubError::new(ErrorCode::InvalidTokenizer, message).about(repo_id, Some(file))
}

/// A tokenizer.json that did not load: UNSUPPORTED_TOKENIZER when it is
/// valid JSON naming a model type this build does not have (the slow path
/// parses it again only to say which), INVALID_TOKENIZER otherwise.
fn load_error(repo_id: &str, bytes: &[u8], reason: &str) -> HubError {
    match serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| unsupported_part(&v))
    {
        Some((part, kind)) => HubError::new(
            ErrorCode::UnsupportedTokenizer,
            format!(
                "{TOKENIZER_FILE} in {repo_id} uses the {part} type `{}`, which this version of hubguard cannot run.",
                scrub(&kind.chars().take(40).collect::<String>(), None),
            ),
        )
        .about(repo_id, Some(TOKENIZER_FILE)),
        None => invalid(
            repo_id,
            TOKENIZER_FILE,
            format!(
                "{TOKENIZER_FILE} in {repo_id} could not be loaded: {}. The file is malformed or uses a format \
                 this version does not support; check the repo, or pin a revision where it loads.",
                scrub(reason, None).trim_end_matches('.')
            ),
        ),
    }
}

/// The first component (`model`, `normalizer`, ...) whose `type` this build
/// does not know, looking inside `Sequence`s too.
fn unsupported_part(file: &Value) -> Option<(&'static str, String)> {
    fn walk(value: &Value, known: &[&str]) -> Option<String> {
        let kind = value.get("type")?.as_str()?;
        if !known.contains(&kind) {
            return Some(kind.to_owned());
        }
        ["normalizers", "pretokenizers", "processors", "decoders"]
            .iter()
            .filter_map(|k| value.get(*k)?.as_array())
            .flatten()
            .find_map(|inner| walk(inner, known))
    }
    let model = file.get("model")?;
    if let Some(kind) = model.get("type").and_then(Value::as_str) {
        if !SUPPORTED_MODELS.contains(&kind) {
            return Some(("model", kind.to_owned()));
        }
    }
    SUPPORTED_COMPONENTS
        .iter()
        .find_map(|(key, known)| walk(file.get(*key)?, known).map(|kind| (*key, kind)))
}
