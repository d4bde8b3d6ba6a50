//! `tokenizer(text, {text_pair, padding, truncation, max_length, ...})`:
//! a batch of texts (or pairs) to `input_ids`, `attention_mask` and
//! optionally `token_type_ids`, padded and truncated as transformers'
//! `__call__` does.
//!
//! The option rules follow transformers' `_get_padding_truncation_strategies`
//! (which Transformers.js mirrors): `max_length` alone turns truncation on,
//! `padding: 'max_length'` and `truncation: true` without `max_length` use
//! `model_max_length`, and a tokenizer without a limit does neither.

use tokenizers::{EncodeInput, PostProcessor, TruncationDirection, TruncationParams, TruncationStrategy};

use super::config::Side;
use super::generation::{assistant_mask, Span};
use super::loaded::{shown_token, LoadedTokenizer};
use crate::core::error::{ErrorCode, HubError};

/// The most tokens padding may produce in one call (16 Mi, far above any
/// model's context, and well inside wasm memory with the masks).
pub const MAX_PADDED_LENGTH: usize = 1 << 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Padding {
    #[default]
    None,
    /// `true` / `'longest'`: to the longest sequence of the batch.
    Longest,
    /// `'max_length'`: to `max_length` (else `model_max_length`).
    MaxLength,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Truncation {
    /// Not given: on only when `max_length` is given without padding.
    #[default]
    Unset,
    Off,
    LongestFirst,
    OnlyFirst,
    OnlySecond,
}

#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    pub add_special_tokens: bool,
    pub padding: Padding,
    pub truncation: Truncation,
    pub max_length: Option<usize>,
    pub pad_to_multiple_of: Option<usize>,
    /// `None`: as the tokenizer's class does (see config.rs).
    pub return_token_type_ids: Option<bool>,
    pub return_attention_mask: Option<bool>,
    /// `None`: the tokenizer's own `padding_side`.
    pub padding_side: Option<Side>,
}

impl CallOptions {
    pub fn new() -> Self {
        CallOptions {
            add_special_tokens: true,
            ..Default::default()
        }
    }
}

/// One row per input; rows have equal lengths only when padded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchEncoding {
    pub input_ids: Vec<Vec<u32>>,
    pub attention_mask: Option<Vec<Vec<u32>>>,
    pub token_type_ids: Option<Vec<Vec<u32>>>,
    /// `apply_chat_template`'s `return_assistant_tokens_mask`.
    pub assistant_masks: Option<Vec<Vec<u32>>>,
}

impl LoadedTokenizer {
    /// Encode `texts` (with `pairs[i]` as the second sequence of row i).
    pub fn call(
        &mut self,
        texts: &[&str],
        pairs: Option<&[&str]>,
        options: &CallOptions,
    ) -> Result<BatchEncoding, HubError> {
        self.call_inner(texts, pairs, options, None)
    }

    /// `call` for rendered chats, adding each row's assistant mask from the
    /// character spans of its `{% generation %}` blocks.
    pub fn call_with_assistant_masks(
        &mut self,
        texts: &[&str],
        spans: &[Vec<Span>],
        options: &CallOptions,
    ) -> Result<BatchEncoding, HubError> {
        if spans.len() != texts.len() {
            return Err(bad_option("one list of generation spans per text is needed".to_owned()));
        }
        self.call_inner(texts, None, options, Some(spans))
    }

    fn call_inner(
        &mut self,
        texts: &[&str],
        pairs: Option<&[&str]>,
        options: &CallOptions,
        spans: Option<&[Vec<Span>]>,
    ) -> Result<BatchEncoding, HubError> {
        let bytes = |list: &[&str]| list.iter().map(|t| t.len()).sum::<usize>();
        super::limits::check_text_size(bytes(texts) + pairs.map_or(0, bytes))?;
        if let Some(pairs) = pairs {
            if pairs.len() != texts.len() {
                return Err(bad_option(format!(
                    "`text_pair` has {} texts but `text` has {}; give one pair per text.",
                    pairs.len(),
                    texts.len()
                )));
            }
        }
        let (padding, truncation, max_length) = self.strategies(options)?;
        let truncation_params = match truncation {
            Truncation::Unset | Truncation::Off => None,
            strategy => Some(TruncationParams {
                max_length: max_length.unwrap_or(usize::MAX),
                strategy: match strategy {
                    Truncation::OnlyFirst => TruncationStrategy::OnlyFirst,
                    Truncation::OnlySecond => TruncationStrategy::OnlySecond,
                    _ => TruncationStrategy::LongestFirst,
                },
                stride: 0,
                direction: match self.settings.truncation_side {
                    Side::Left => TruncationDirection::Left,
                    Side::Right => TruncationDirection::Right,
                },
            }),
        };
        if let Some(params) = &truncation_params {
            // The crate subtracts the special tokens it adds from max_length
            // unchecked (only when it adds them).
            let needed = match options.add_special_tokens {
                true => self
                    .inner
                    .get_post_processor()
                    .map_or(0, |p| p.added_tokens(pairs.is_some())),
                false => 0,
            };
            if params.max_length < needed {
                return Err(bad_option(format!(
                    "`max_length` ({}) is shorter than the {needed} special tokens this tokenizer adds.",
                    params.max_length
                )));
            }
        }
        let encoded: Result<Vec<_>, _> = match &truncation_params {
            // Truncated by hand, without the crate's overflowing parts (see truncate.rs).
            Some(params) => self.encode_truncated(texts, pairs, options.add_special_tokens, params, spans.is_some()),
            None => texts
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let input: EncodeInput = match pairs {
                        Some(pairs) => (*text, pairs[i]).into(),
                        None => (*text).into(),
                    };
                    if spans.is_some() {
                        // Masks map characters to tokens: this needs the offsets
                        // (in characters, as Python's `char_to_token` has them).
                        self.inner.encode_char_offsets(input, options.add_special_tokens)
                    } else {
                        self.inner.encode_fast(input, options.add_special_tokens)
                    }
                })
                .collect(),
        };
        let encodings = encoded.map_err(|e| {
            // Too short a max_length for the special tokens, mostly.
            bad_option(format!(
                "The tokenizer could not encode this input with these options: {e}."
            ))
        })?;

        let target = match padding {
            Padding::None => None,
            Padding::Longest => Some(encodings.iter().map(|e| e.len()).max().unwrap_or(0)),
            Padding::MaxLength => max_length,
        }
        .map(|n| match options.pad_to_multiple_of {
            Some(m) if m > 0 && n % m != 0 => n.saturating_add(m - n % m),
            _ => n,
        });
        // A typo such as `max_length: 1e9` must be an error, not an
        // allocation that aborts the wasm instance: so must a long batch
        // padded to a large `max_length`.
        if let Some(n) = target.filter(|n| n.saturating_mul(texts.len()) > MAX_PADDED_LENGTH) {
            return Err(bad_option(format!(
                "Padding {} text(s) to {n} tokens each is more than this tokenizer allows ({MAX_PADDED_LENGTH} tokens in all); \
                 check `max_length`, or pass fewer texts per call.",
                texts.len()
            )));
        }
        let pad_id = match target {
            Some(_) => Some(self.pad_token_id().ok_or_else(|| self.no_pad_token())?),
            None => None,
        };
        let side = options.padding_side.unwrap_or(self.settings.padding_side);
        let missing = |len: usize| target.map_or(0, |t| t.saturating_sub(len));
        let pad = |row: &[u32], value: u32| -> Vec<u32> {
            let missing = missing(row.len());
            let mut out = Vec::with_capacity(row.len() + missing);
            if side == Side::Left {
                out.resize(missing, value);
            }
            out.extend_from_slice(row);
            if side == Side::Right {
                out.resize(row.len() + missing, value);
            }
            out
        };
        let with_types = options
            .return_token_type_ids
            .unwrap_or(self.settings.return_token_type_ids);
        let with_mask = options.return_attention_mask.unwrap_or(true);
        Ok(BatchEncoding {
            input_ids: encodings
                .iter()
                .map(|e| pad(e.get_ids(), pad_id.unwrap_or(0)))
                .collect(),
            attention_mask: with_mask.then(|| encodings.iter().map(|e| pad(e.get_attention_mask(), 0)).collect()),
            token_type_ids: with_types.then(|| encodings.iter().map(|e| pad(e.get_type_ids(), 0)).collect()),
            assistant_masks: spans.map(|spans| {
                encodings
                    .iter()
                    .zip(spans)
                    .map(|(e, spans)| {
                        let shift = if side == Side::Left { missing(e.len()) } else { 0 };
                        assistant_mask(e, spans, shift, e.len() + missing(e.len()))
                    })
                    .collect()
            }),
        })
    }

    /// Why this tokenizer cannot pad, and what to do.
    fn no_pad_token(&self) -> HubError {
        let fix =
            "set `tokenizer.pad_token` to one of its tokens (often its `eos_token`), or call it without `padding`";
        bad_option(match self.settings.special_token("pad_token") {
            Some(token) => format!(
                "This tokenizer's `pad_token` ({}) is not in its vocabulary, so it cannot pad; {fix}.",
                shown_token(token)
            ),
            None => format!(
                "This tokenizer has no padding token (its config sets neither `pad_token` nor `eos_token`), so it cannot pad; {fix}."
            ),
        })
    }

    /// The effective padding, truncation and length, as transformers decides them.
    fn strategies(&self, options: &CallOptions) -> Result<(Padding, Truncation, Option<usize>), HubError> {
        let mut padding = options.padding;
        let mut truncation = options.truncation;
        let mut max_length = options.max_length;
        if max_length.is_some() && padding == Padding::None && truncation == Truncation::Unset {
            truncation = Truncation::LongestFirst;
        }
        if max_length.is_none() {
            let limit = self.settings.model_max_length;
            if padding == Padding::MaxLength {
                match limit {
                    Some(n) => max_length = Some(n),
                    // transformers warns and does not pad.
                    None => padding = Padding::None,
                }
            }
            if !matches!(truncation, Truncation::Unset | Truncation::Off) {
                match limit {
                    Some(n) => max_length = Some(n),
                    None => truncation = Truncation::Off,
                }
            }
        }
        if let (Some(m), Some(len)) = (options.pad_to_multiple_of, max_length) {
            let truncating = !matches!(truncation, Truncation::Unset | Truncation::Off);
            if truncating && padding != Padding::None && m > 0 && len % m != 0 {
                return Err(bad_option(format!(
                    "`max_length` ({len}) must be a multiple of `pad_to_multiple_of` ({m}) when truncating and padding."
                )));
            }
        }
        Ok((padding, truncation, max_length))
    }
}

fn bad_option(message: String) -> HubError {
    HubError::new(ErrorCode::InvalidOption, message)
}
