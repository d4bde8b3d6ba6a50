//! Loading tokenizer.json without the `tokenizers` crate's slow model path.
//!
//! The crate deserializes `model` through an untagged helper: the whole
//! vocabulary and merge list are buffered as serde `Content`, copied into a
//! `serde_json::Value`, then converted again into the model. For a 10-30 MB
//! file that is most of the load time (profiled). Here the file is read in
//! one streaming pass: the model straight into its type once its `type` key
//! is known, the small parts (normalizer, decoder, ...) as raw JSON slices.
//! The tokenizer is then assembled the way the crate's own deserializer does
//! it (builder, then the added tokens in file order). Anything unusual (no
//! model `type`, a version other than 1.0, any parse error) returns
//! `Ok(None)` and the caller uses the crate's loader, which also produces the
//! canonical error messages; `Err` is a file the crate would crash on
//! (`validate`). BPE models, the large ones, go through `bpe_load`, and can
//! be kept in the pre-parsed form (`pre_parsed`).

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokenizers::models::unigram::Unigram;
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper, Tokenizer,
    TokenizerBuilder,
};

use super::bpe_load::{self, BpeParts};
use super::pre_parsed;
use super::validate;

/// tokenizer.json, read in one pass. Truncation and padding are skipped:
/// hubguard clears them anyway. (The pipeline's fields are listed here, not
/// flattened: serde would buffer them, and a raw slice cannot come from a
/// buffer.)
#[derive(Deserialize)]
struct TokenizerFile<'a> {
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
    model: Option<ModelPart>,
}

/// Everything around the model, as raw JSON: small, parsed when the
/// tokenizer is assembled, and stored as it is in the pre-parsed form.
#[derive(Clone, Copy, Deserialize, Serialize)]
pub(super) struct Pipeline<'a> {
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
}

/// An added token as tokenizer.json lists it: its id (only checked by the
/// crate, which re-derives ids) and the token itself.
#[derive(Deserialize)]
struct AddedTokenEntry {
    #[serde(flatten)]
    token: AddedToken,
}

/// The model, or why the fast path leaves it to the crate's loader.
enum ModelPart {
    Ready(ModelWrapper),
    /// Built after parsing, when the pre-parsed form can be taken from it.
    Bpe(BpeParts),
    /// No `type`, or one this loader does not know: the crate decides.
    Unknown,
}

/// A tokenizer from tokenizer.json, and its pre-parsed form when one was
/// asked for and the model has one.
pub struct Loaded {
    pub tokenizer: Tokenizer,
    pub pre_parsed: Option<Vec<u8>>,
}

/// The tokenizer, `Ok(None)` to fall back to `Tokenizer::from_bytes`, or
/// why the file is refused. With `keep`, a BPE model also gives its
/// pre-parsed form (`pre_parsed::encode`).
pub fn load(bytes: &[u8], keep: bool) -> Result<Option<Loaded>, String> {
    let Ok(file) = serde_json::from_slice::<TokenizerFile>(bytes) else {
        return Ok(None);
    };
    if file.version.as_deref() != Some("1.0") {
        return Ok(None);
    }
    let pipeline = Pipeline {
        added_tokens: file.added_tokens,
        normalizer: file.normalizer,
        pre_tokenizer: file.pre_tokenizer,
        post_processor: file.post_processor,
        decoder: file.decoder,
    };
    let (model, pre_parsed) = match file.model {
        Some(ModelPart::Ready(model)) => (model, None),
        Some(ModelPart::Bpe(parts)) => {
            let pre_parsed = keep
                .then(|| pre_parsed::encode(bytes.len() as u64, &pipeline, &parts))
                .flatten();
            match bpe_load::build(&parts.options, parts.vocab, parts.merges)? {
                Some(bpe) => (bpe.into(), pre_parsed),
                None => return Ok(None),
            }
        }
        Some(ModelPart::Unknown) | None => return Ok(None),
    };
    Ok(assemble(model, &pipeline)?.map(|tokenizer| Loaded { tokenizer, pre_parsed }))
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

impl<'de> Deserialize<'de> for ModelPart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ModelVisitor)
    }
}

struct ModelVisitor;

impl<'de> Visitor<'de> for ModelVisitor {
    type Value = ModelPart;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tokenizer model")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModelPart, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(ModelPart::Unknown);
        };
        if first == "type" {
            // The crate writes `type` first, so the rest of the model (the
            // vocabulary, the merges) streams straight into its type.
            let kind: String = map.next_value()?;
            return model_of_kind(&kind, MapAccessDeserializer::new(map));
        }
        // `type` comes later, if at all: buffer this model and look.
        let mut fields = Map::new();
        fields.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            fields.insert(key, value);
        }
        match fields.remove("type") {
            Some(Value::String(kind)) => model_of_kind(&kind, Value::Object(fields)).map_err(de::Error::custom),
            _ => Ok(ModelPart::Unknown),
        }
    }
}

/// The model of type `kind` from the rest of its fields (every model's
/// deserializer takes them without the `type` key, as the crate's does).
fn model_of_kind<'de, D: Deserializer<'de>>(kind: &str, rest: D) -> Result<ModelPart, D::Error> {
    Ok(match kind {
        "BPE" => ModelPart::Bpe(BpeParts::deserialize(rest)?),
        "WordPiece" => ModelPart::Ready(WordPiece::deserialize(rest)?.into()),
        "WordLevel" => ModelPart::Ready(WordLevel::deserialize(rest)?.into()),
        "Unigram" => ModelPart::Ready(Unigram::deserialize(rest)?.into()),
        _ => {
            IgnoredAny::deserialize(rest)?;
            ModelPart::Unknown
        }
    })
}
