//! Encoding one row with truncation, without the crate's overflowing parts.
//!
//! The `tokenizers` crate truncates inside its post-processing: each text
//! is cut into `max_length`-sized parts, the first kept and the rest kept
//! as "overflowing" encodings, and merging a pair keeps every combination
//! of the two texts' parts (and a post-processor template that names a text
//! several times multiplies them again). That is quadratic in the texts'
//! lengths: two texts of a few thousand tokens with a small `max_length` make
//! hundreds of thousands of encodings, and longer ones exhaust wasm memory
//! (docs/BENCHMARKS.md, "Design measurements"). hubguard never returns
//! overflowing tokens, so it runs the same steps by hand and drops them
//! before the merge: each text encoded alone (no post-processor), truncated as the
//! crate's `post_process` does, then post-processed. The ids, type ids,
//! masks and offsets are those the crate gives.

use tokenizers::utils::truncation::truncate_encodings;
use tokenizers::{EncodeInput, Encoding, PostProcessor, PostProcessorWrapper, TruncationParams};

use super::loaded::LoadedTokenizer;

impl LoadedTokenizer {
    /// Rows of `texts` (with `pairs`), truncated by `params`; character
    /// offsets when `char_offsets` (for the assistant masks).
    pub(super) fn encode_truncated(
        &mut self,
        texts: &[&str],
        pairs: Option<&[&str]>,
        add_special_tokens: bool,
        params: &TruncationParams,
        char_offsets: bool,
    ) -> tokenizers::Result<Vec<Encoding>> {
        // Each text alone: with no post-processor and no special tokens,
        // the crate hands back the text's own encoding.
        let processor = self.inner.get_post_processor().cloned();
        self.inner.with_post_processor(None::<PostProcessorWrapper>);
        let alone = |inner: &tokenizers::Tokenizer, text: &str, type_id: u32| {
            let input = EncodeInput::from(text);
            let mut encoding = match char_offsets {
                true => inner.encode_char_offsets(input, false),
                false => inner.encode_fast(input, false),
            }?;
            // As the crate's own encoding of the pair's text has them.
            encoding.set_type_ids(vec![type_id; encoding.len()]);
            Ok::<_, tokenizers::Error>(encoding)
        };
        let parts: tokenizers::Result<Vec<(Encoding, Option<Encoding>)>> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let pair = pairs.map(|p| alone(&self.inner, p[i], 1)).transpose()?;
                Ok((alone(&self.inner, text, 0)?, pair))
            })
            .collect();
        self.inner.with_post_processor(processor);
        parts?
            .into_iter()
            .map(|(encoding, pair)| {
                // What `post_process` does: room is left for the special
                // tokens the post-processor adds.
                let added = match add_special_tokens {
                    true => self
                        .inner
                        .get_post_processor()
                        .map_or(0, |p| p.added_tokens(pair.is_some())),
                    false => 0,
                };
                let params = TruncationParams {
                    max_length: params.max_length.saturating_sub(added),
                    ..params.clone()
                };
                let (mut encoding, mut pair) = truncate_encodings(encoding, pair, &params)?;
                drop(encoding.take_overflowing());
                if let Some(pair) = pair.as_mut() {
                    drop(pair.take_overflowing());
                }
                self.inner.post_process(encoding, pair, add_special_tokens)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokenizers::{TruncationDirection, TruncationStrategy};

    use super::super::{CallOptions, LoadedTokenizer, Side, Truncation};

    /// Words a..e, a BERT-like template (with type ids), char offsets kept.
    fn tokenizer() -> LoadedTokenizer {
        let file = json!({"version": "1.0", "added_tokens": [], "normalizer": null,
            "pre_tokenizer": {"type": "WhitespaceSplit"}, "decoder": null,
            "post_processor": {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [5], "tokens": ["[CLS]"]},
                                   "[SEP]": {"id": "[SEP]", "ids": [6], "tokens": ["[SEP]"]}}},
            "model": {"type": "WordLevel", "unk_token": "a",
                      "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "[CLS]": 5, "[SEP]": 6}}});
        LoadedTokenizer::from_files("o/r", file.to_string().as_bytes(), Some(br#"{"pad_token": "a"}"#)).unwrap()
    }

    #[test]
    fn truncating_by_hand_gives_what_the_crate_gives() {
        let mut t = tokenizer();
        let (first, second) = ("a b c d e a b", "e d c b a e d c b a");
        for truncation in [Truncation::LongestFirst, Truncation::OnlyFirst, Truncation::OnlySecond] {
            for side in [Side::Right, Side::Left] {
                for add_special_tokens in [true, false] {
                    for max_length in 3..20 {
                        let options = CallOptions {
                            truncation,
                            max_length: Some(max_length),
                            add_special_tokens,
                            return_token_type_ids: Some(true),
                            ..CallOptions::new()
                        };
                        t.settings.truncation_side = side;
                        let ours = t.call(&[first], Some(&[second]), &options);
                        // The crate's own truncation, overflows and all.
                        let mut crate_tokenizer = t.inner.clone();
                        let strategy = match truncation {
                            Truncation::OnlyFirst => TruncationStrategy::OnlyFirst,
                            Truncation::OnlySecond => TruncationStrategy::OnlySecond,
                            _ => TruncationStrategy::LongestFirst,
                        };
                        let direction = match side {
                            Side::Left => TruncationDirection::Left,
                            Side::Right => TruncationDirection::Right,
                        };
                        crate_tokenizer
                            .with_truncation(Some(tokenizers::TruncationParams {
                                max_length,
                                strategy,
                                stride: 0,
                                direction,
                            }))
                            .unwrap();
                        let theirs = crate_tokenizer.encode_char_offsets((first, second), add_special_tokens);
                        let case = format!("{truncation:?} {side:?} {add_special_tokens} {max_length}");
                        match (ours, theirs) {
                            (Ok(ours), Ok(theirs)) => {
                                assert_eq!(ours.input_ids[0], theirs.get_ids(), "{case}");
                                assert_eq!(ours.token_type_ids.unwrap()[0], theirs.get_type_ids(), "{case}");
                            }
                            (Err(_), Err(_)) => {}
                            (ours, theirs) => panic!("{case}: {:?} vs {:?}", ours.map(|b| b.input_ids), theirs),
                        }
                    }
                }
            }
        }
    }

    /// The crate would make 10 000 x 10 000 parts here (minutes, and more
    /// memory than wasm has).
    #[test]
    fn a_long_pair_truncated_short_makes_no_parts_it_does_not_return() {
        let mut t = tokenizer();
        let long = "a b ".repeat(10_000);
        let options = CallOptions {
            truncation: Truncation::LongestFirst,
            max_length: Some(7),
            ..CallOptions::new()
        };
        let batch = t.call(&[long.as_str()], Some(&[long.as_str()]), &options).unwrap();
        assert_eq!(batch.input_ids, vec![vec![5, 0, 1, 6, 0, 1, 6]]);
    }
}
