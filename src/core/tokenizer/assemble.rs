//! A tokenizer put together from its model and the parts around it, the way
//! the `tokenizers` crate's own deserializer does it (builder, then the
//! added tokens in file order), with the checks of `validate` on the way.
//! Shared by the one-pass loader (`fast_load`) and the pre-parsed form
//! (`pre_parsed`).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper, Tokenizer,
    TokenizerBuilder,
};

use super::validate;

/// Everything around the model, as raw JSON: small, parsed when the
/// tokenizer is assembled, and stored as it is in the pre-parsed form.
#[derive(Clone, Copy, Deserialize, Serialize)]
pub(super) struct Pipeline<'a> {
    #[serde(borrow)]
    pub added_tokens: Option<&'a RawValue>,
    #[serde(borrow)]
    pub normalizer: Option<&'a RawValue>,
    #[serde(borrow)]
    pub pre_tokenizer: Option<&'a RawValue>,
    #[serde(borrow)]
    pub post_processor: Option<&'a RawValue>,
    #[serde(borrow)]
    pub decoder: Option<&'a RawValue>,
}

/// An added token as tokenizer.json lists it: its id (only checked by the
/// crate, which re-derives ids) and the token itself.
#[derive(Deserialize)]
struct AddedTokenEntry {
    #[serde(flatten)]
    token: AddedToken,
}

/// The tokenizer around `model`; `Ok(None)` if a part does not parse (the
/// crate's loader then reports it), `Err` if the crate would crash on it
/// (`validate`).
pub(super) fn assemble(model: ModelWrapper, pipeline: &Pipeline) -> Result<Option<Tokenizer>, String> {
    // The crate builds a Precompiled normalizer (and panics on a bad one)
    // as it parses it: checked as JSON first.
    if let Some(raw) = pipeline.normalizer {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(normalizer) => validate::normalizer(&normalizer)?,
            Err(_) => return Ok(None),
        }
    }
    let Some(tokenizer) = build(model, pipeline) else {
        return Ok(None);
    };
    validate::built(&tokenizer)?;
    Ok(Some(tokenizer))
}

/// The tokenizer around `model`, as the crate's deserializer assembles it;
/// `None` if a part does not parse.
fn build(model: ModelWrapper, pipeline: &Pipeline) -> Option<Tokenizer> {
    fn part<T: for<'de> Deserialize<'de>>(raw: Option<&RawValue>) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(r) => serde_json::from_str::<Option<T>>(r.get()).ok(),
        }
    }
    let built =
        TokenizerBuilder::<_, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>::new()
            .with_model(model)
            .with_normalizer(part(pipeline.normalizer)?)
            .with_pre_tokenizer(part(pipeline.pre_tokenizer)?)
            .with_post_processor(part(pipeline.post_processor)?)
            .with_decoder(part(pipeline.decoder)?)
            .build()
            .ok()?;
    let mut tokenizer = Tokenizer::from(built);
    let added: Vec<AddedTokenEntry> = part(pipeline.added_tokens)?.unwrap_or_default();
    tokenizer.add_tokens(added.into_iter().map(|t| t.token)).ok()?;
    Some(tokenizer)
}
