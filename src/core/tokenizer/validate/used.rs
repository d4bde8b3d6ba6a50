//! Pre-tokenizers, post-processors, decoders and added tokens the crate
//! panics on when they are used, checked on the built tokenizer (see mod.rs).

use tokenizers::decoders::DecoderWrapper;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::template::{Piece, Sequence as Input, TemplateProcessing};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{Model, Tokenizer};

use super::super::loaded::shown_token;

/// FixedLength splits text into chunks of `length` characters
/// (`chunks(length)`, which panics on 0).
pub(super) fn pre_tokenizer(pre_tokenizer: &PreTokenizerWrapper) -> Result<(), String> {
    match pre_tokenizer {
        PreTokenizerWrapper::FixedLength(f) if f.length == 0 => Err(
            "the pre-tokenizer FixedLength has length 0 (it splits text into chunks of that many characters)".into(),
        ),
        PreTokenizerWrapper::Sequence(all) => all.as_ref().iter().try_for_each(self::pre_tokenizer),
        _ => Ok(()),
    }
}

/// How many encodings `processor` hands on when it gets `parts` of them (1:
/// a text, 2: a pair), or why it panics. TemplateProcessing, deserialized
/// without its builder's checks, indexes its inputs by the template's
/// sequences (`$B` of a single text is past the end), looks its special
/// tokens up unchecked when it adds them, and takes only 1 or 2 inputs
/// (`todo!()` otherwise), which inside a Sequence depends on the processors
/// before it: a template outputs one encoding per piece it keeps. The other
/// processors keep the count. (The builder also demands both sequences in
/// `pair`; a pair template without one does not panic, so that is allowed.)
/// A template may name each text once: a repeated one multiplies every
/// encode's work (found by the fuzz test, `fuzz/`: with truncation, it hung).
pub(super) fn post_processor(processor: &PostProcessorWrapper, parts: usize, specials: bool) -> Result<usize, String> {
    match processor {
        PostProcessorWrapper::Template(template) => template_output(template, parts, specials),
        PostProcessorWrapper::Sequence(all) => all
            .as_ref()
            .iter()
            .try_fold(parts, |parts, p| post_processor(p, parts, specials)),
        _ => Ok(parts),
    }
}

fn template_output(template: &TemplateProcessing, parts: usize, specials: bool) -> Result<usize, String> {
    let (name, pieces) = match parts {
        1 => ("single", &template.single),
        2 => ("pair", template.get_pair()),
        _ => {
            return Err(format!(
                "the post-processor Sequence hands a TemplateProcessing {parts} parts (made by the processors \
                 before it), and it only takes one text or a pair"
            ))
        }
    };
    // The template's pieces are private; their serialized form is not.
    let pieces: Vec<Piece> = serde_json::to_value(pieces)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("its TemplateProcessing could not be read back: {e}"))?;
    let mut output = 0;
    let mut seen = Vec::new();
    for piece in &pieces {
        match piece {
            Piece::Sequence { id: Input::B, .. } if parts == 1 => {
                let what = "the post-processor TemplateProcessing's `single` template uses sequence B";
                return Err(format!("{what}, which only a pair has"));
            }
            // The crate copies the text for each; repeated, it multiplies
            // every encode's work and memory (and with truncation, the parts
            // the crate keeps of each copy).
            Piece::Sequence { id, .. } if seen.contains(id) => {
                return Err(format!(
                    "the post-processor TemplateProcessing's `{name}` template names sequence {id:?} more than once, \
                     which would repeat the text"
                ));
            }
            Piece::Sequence { id, .. } => {
                seen.push(id.clone());
                output += 1;
            }
            Piece::SpecialToken { id, .. } if specials => {
                if !template.get_special_tokens().0.contains_key(id) {
                    return Err(format!(
                        "the post-processor TemplateProcessing's `{name}` template uses the special token {}, \
                         which its special_tokens does not define",
                        shown_token(id)
                    ));
                }
                output += 1;
            }
            Piece::SpecialToken { .. } => {}
        }
    }
    Ok(output)
}

/// Strip removes up to `start` leading and `stop` trailing `content`
/// characters from each token. Its trailing loop steps back past the start
/// of a token made only of `content` shorter than `stop` (the empty token
/// included), and its final slice is reversed when such a token is shorter
/// than `start + stop`: both panic. So with `stop` 0 it never panics; with
/// more, the tokens it gets must hold no such token. That is known only
/// when it gets the tokens as they are (`raw`: first in line): then every
/// token and added token is looked at; after another decoder, whose output
/// cannot be known here (Fuse makes one empty token of an empty decode), it
/// is refused.
pub(super) fn decoder(decoder: &DecoderWrapper, raw: bool, tokenizer: &Tokenizer) -> Result<(), String> {
    match decoder {
        DecoderWrapper::Strip(strip) if strip.stop > 0 => {
            let crashes = |token: &str| {
                token.chars().all(|c| c == strip.content)
                    && token.chars().count() < strip.start.saturating_add(strip.stop)
            };
            let what = || {
                format!(
                    "the decoder Strip (content {}, start {}, stop {})",
                    shown_token(&strip.content.to_string()),
                    strip.start,
                    strip.stop
                )
            };
            if !raw {
                return Err(format!(
                    "{} comes after another decoder, and with stop above 0 it crashes on an empty token",
                    what()
                ));
            }
            let added = tokenizer.get_added_vocabulary();
            let mut tokens = tokenizer.get_model().get_vocab().into_keys().chain(
                added
                    .get_added_tokens_decoder()
                    .keys()
                    .filter_map(|id| added.simple_id_to_token(*id)),
            );
            match tokens.find(|t| crashes(t)) {
                Some(token) => Err(format!(
                    "{} crashes on the token {}, made only of that character and too short for it",
                    what(),
                    shown_token(&token)
                )),
                None => Ok(()),
            }
        }
        DecoderWrapper::Sequence(all) => all
            .get_decoders()
            .iter()
            .enumerate()
            .try_for_each(|(i, d)| self::decoder(d, raw && i == 0, tokenizer)),
        _ => Ok(()),
    }
}

/// An added token with `normalized: true` is searched for in normalized text
/// by its normalized form: when the normalizer turns it into nothing, that
/// empty pattern matches at every byte, inside characters too, and the crate
/// panics slicing there (`AddedVocabulary bad split`).
pub(super) fn added_tokens(tokenizer: &Tokenizer) -> Result<(), String> {
    let added = tokenizer.get_added_vocabulary();
    for (id, token) in added.get_added_tokens_decoder() {
        if token.normalized && added.simple_id_to_token(*id).is_some_and(|form| form.is_empty()) {
            return Err(format!(
                "the added token {} has normalized: true, and the normalizer turns it into an empty string",
                shown_token(&token.content)
            ));
        }
    }
    Ok(())
}
