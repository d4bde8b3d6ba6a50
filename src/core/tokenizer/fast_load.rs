//! Loading tokenizer.json without the `tokenizers` crate's slow model path.
//!
//! The crate deserializes `model` through an untagged helper: the whole
//! vocabulary and merge list are buffered as serde `Content`, copied into a
//! `serde_json::Value`, then converted again into the model. For a 10-30 MB
//! file that is most of the load time (profiled). Here the file is split
//! once into raw JSON slices, the model is parsed straight from its slice
//! with the model type's own deserializer, and the tokenizer is assembled
//! the way the crate's own deserializer does it (builder, then the added
//! tokens in file order). Anything unusual (no `type`, a version other than
//! 1.0) returns `Ok(None)` and the caller uses the crate's loader, which also
//! produces the canonical error messages; `Err` is a file the crate's loader
//! would crash on. BPE models, the large ones, go through `bpe_load`.

use serde::Deserialize;
use serde_json::value::RawValue;
use tokenizers::models::unigram::Unigram;
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper, Tokenizer,
    TokenizerBuilder,
};

#[derive(Deserialize)]
struct Parts<'a> {
    version: Option<String>,
    #[serde(borrow)]
    added_tokens: Option<&'a RawValue>,
    #[serde(borrow)]
    normalizer: Option<&'a RawValue>,
    #[serde(borrow)]
    pre_tokenizer: Option<&'a RawValue>,
    #[serde(borrow)]
    post_processor: Option<&'a RawValue>,
    #[serde(borrow)]
    decoder: Option<&'a RawValue>,
    #[serde(borrow)]
    model: &'a RawValue,
}

#[derive(Deserialize)]
struct ModelType {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The model's `type`. tokenizer.json writes it as the model's first key,
/// and reading it from there spares a scan of the whole model (hundreds of
/// thousands of merges) just to learn it; otherwise, a full parse.
fn model_type(raw: &str) -> Option<String> {
    let first = (|| {
        let value = raw
            .trim_start()
            .strip_prefix('{')?
            .trim_start()
            .strip_prefix(r#""type""#)?
            .trim_start()
            .strip_prefix(':')?;
        // Only the string itself is read; the rest of the model is not looked at.
        serde_json::Deserializer::from_str(value)
            .into_iter::<String>()
            .next()?
            .ok()
    })();
    first.or_else(|| serde_json::from_str::<ModelType>(raw).ok()?.kind)
}

/// An added token as tokenizer.json lists it: its id (only checked by the
/// crate, which re-derives ids) and the token itself.
#[derive(Deserialize)]
struct AddedTokenEntry {
    #[serde(flatten)]
    token: AddedToken,
}

/// The tokenizer, `Ok(None)` to fall back to `Tokenizer::from_bytes`, or
/// why the file is refused.
pub fn load(bytes: &[u8]) -> Result<Option<Tokenizer>, String> {
    match load_parts(bytes) {
        Some(Err(refused)) => Err(refused),
        Some(Ok(tokenizer)) => Ok(Some(tokenizer)),
        None => Ok(None),
    }
}

fn load_parts(bytes: &[u8]) -> Option<Result<Tokenizer, String>> {
    let parts: Parts = serde_json::from_slice(bytes).ok()?;
    if parts.version.as_deref() != Some("1.0") {
        return None;
    }
    let raw = parts.model.get();
    let model: ModelWrapper = match model_type(raw)?.as_str() {
        "BPE" => match super::bpe_load::load_bpe(raw) {
            Ok(bpe) => bpe?.into(),
            Err(refused) => return Some(Err(refused)),
        },
        "WordPiece" => serde_json::from_str::<WordPiece>(raw).ok()?.into(),
        "WordLevel" => serde_json::from_str::<WordLevel>(raw).ok()?.into(),
        "Unigram" => serde_json::from_str::<Unigram>(raw).ok()?.into(),
        _ => return None,
    };
    fn part<T: for<'de> Deserialize<'de>>(raw: Option<&RawValue>) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(r) => serde_json::from_str::<Option<T>>(r.get()).ok(),
        }
    }
    // Truncation and padding are left out: hubguard clears them anyway.
    let built =
        TokenizerBuilder::<_, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>::new()
            .with_model(model)
            .with_normalizer(part(parts.normalizer)?)
            .with_pre_tokenizer(part(parts.pre_tokenizer)?)
            .with_post_processor(part(parts.post_processor)?)
            .with_decoder(part(parts.decoder)?)
            .build()
            .ok()?;
    let mut tokenizer = Tokenizer::from(built);
    let added: Vec<AddedTokenEntry> = part(parts.added_tokens)?.unwrap_or_default();
    tokenizer.add_tokens(added.into_iter().map(|t| t.token)).ok()?;
    Some(Ok(tokenizer))
}
