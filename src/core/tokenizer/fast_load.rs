//! Loading tokenizer.json without the `tokenizers` crate's slow model path.
//!
//! The crate deserializes `model` through an untagged helper: the whole
//! vocabulary and merge list are buffered as serde `Content`, copied into a
//! `serde_json::Value`, then converted again into the model. For a large
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
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokenizers::models::unigram::Unigram;
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::{ModelWrapper, Tokenizer};

use super::assemble::{assemble, Pipeline};
use super::bpe_build;
use super::bpe_load::BpeParts;
use super::pre_parsed;

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
            match bpe_build::build(&parts.options, parts.vocab, parts.merges)? {
                Some(bpe) => (bpe.into(), pre_parsed),
                None => return Ok(None),
            }
        }
        Some(ModelPart::Unknown) | None => return Ok(None),
    };
    Ok(assemble(model, &pipeline)?.map(|tokenizer| Loaded { tokenizer, pre_parsed }))
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
