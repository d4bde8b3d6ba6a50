//! `{% generation %}…{% endgeneration %}`: the Jinja tag transformers adds to
//! chat templates to mark the text the assistant wrote, which
//! `return_assistant_tokens_mask` turns into a 0/1 mask over the tokens
//! (training only the assistant's turns is its use).
//!
//! minijinja has no custom tags, so before a template compiles the two tags
//! are rewritten into a filter block (`{% filter … %}…{% endfilter %}`),
//! which keeps the tags' whitespace control and block-tag trimming. While a
//! render is tracked, the filter wraps the block's output in two
//! noncharacters; `take_spans` then strips them and returns each block's
//! character span, counted in code points as Python's `len` counts them.
//! The filter also counts its calls, so text that merely contains those
//! noncharacters cannot pass for a block.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokenizers::Encoding;

pub const FILTER_NAME: &str = "__hubguard_generation";
const OPEN: char = '\u{FDD0}';
const CLOSE: char = '\u{FDD1}';

/// A block's start and end, in characters of the rendered text.
pub type Span = (usize, usize);

/// Shared by the filter (installed once per engine) and the render that
/// switches it on.
#[derive(Default)]
pub struct GenerationTracker {
    active: AtomicBool,
    blocks: AtomicUsize,
}

impl GenerationTracker {
    /// The filter the rewritten tags call: the block's text as is, marked
    /// when tracking.
    pub fn filter(self: &Arc<Self>) -> impl Fn(String) -> String + Send + Sync + 'static {
        let tracker = Arc::clone(self);
        move |body: String| {
            if !tracker.active.load(Ordering::Relaxed) {
                return body;
            }
            tracker.blocks.fetch_add(1, Ordering::Relaxed);
            let mut marked = String::with_capacity(body.len() + 2 * OPEN.len_utf8());
            marked.push(OPEN);
            marked.push_str(&body);
            marked.push(CLOSE);
            marked
        }
    }

    /// Start tracking one render.
    pub fn start(&self) {
        self.blocks.store(0, Ordering::Relaxed);
        self.active.store(true, Ordering::Relaxed);
    }

    /// Stop tracking; the number of blocks rendered since `start`.
    pub fn stop(&self) -> usize {
        self.active.store(false, Ordering::Relaxed);
        self.blocks.load(Ordering::Relaxed)
    }
}

/// Whether the template uses the tag (transformers' own test, whose result
/// decides its warning that every mask will be 0).
pub fn has_generation_tag(source: &str) -> bool {
    tags(source).any(|t| !t.end)
}

/// The template with `generation`/`endgeneration` tags turned into the
/// filter block; other templates are returned untouched.
pub fn rewrite_tags(source: &str) -> Cow<'_, str> {
    let mut found = tags(source).peekable();
    if found.peek().is_none() {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 64);
    let mut copied = 0;
    for tag in found {
        out.push_str(&source[copied..tag.start]);
        let body = if tag.end {
            "endfilter".to_owned()
        } else {
            format!("filter {FILTER_NAME}")
        };
        out.push_str(&format!("{{%{} {body} {}%}}", tag.left, tag.right));
        copied = tag.stop;
    }
    out.push_str(&source[copied..]);
    Cow::Owned(out)
}

struct Tag<'a> {
    start: usize,
    stop: usize,
    left: &'a str,
    right: &'a str,
    end: bool,
}

/// `{%[-+]? generation [-+]?%}` and `{%[-+]? endgeneration [-+]?%}`.
fn tags(source: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(at) = source[from..].find("{%").map(|i| i + from) {
            from = at + 2;
            let rest = &source[at + 2..];
            let left = &rest[..rest.starts_with(['-', '+']) as usize];
            let rest = rest[left.len()..].trim_start();
            let (end, rest) = if let Some(r) = rest.strip_prefix("endgeneration") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("generation") {
                (false, r)
            } else {
                continue;
            };
            let rest = rest.trim_start();
            let right = &rest[..rest.starts_with(['-', '+']) as usize];
            let Some(after) = rest[right.len()..].strip_prefix("%}") else {
                continue;
            };
            let stop = source.len() - after.len();
            from = stop;
            return Some(Tag {
                start: at,
                stop,
                left,
                right,
                end,
            });
        }
        None
    })
}

/// Strip the markers of a tracked render: the text, and the span of each
/// block in the order the blocks closed (inner before outer), as
/// transformers lists them. `blocks` is how many the filter marked.
///
/// transformers measures a block's start as the length of the output
/// already emitted when the block closes; a block nested in another has
/// emitted nothing yet, so its span starts where the outermost open block
/// starts. That is kept, so the masks match.
pub fn take_spans(marked: &str, blocks: usize) -> Result<(String, Vec<Span>), String> {
    let mismatch = || {
        "the template's `generation` blocks could not be followed (the rendered text was changed after a \
         block, or the conversation holds U+FDD0/U+FDD1)"
            .to_owned()
    };
    let mut text = String::with_capacity(marked.len());
    let mut open: Vec<usize> = Vec::new();
    let mut spans = Vec::with_capacity(blocks);
    let mut chars = 0usize;
    for c in marked.chars() {
        match c {
            OPEN => open.push(chars),
            CLOSE => {
                let own_start = open.pop().ok_or_else(mismatch)?;
                let start = open.first().copied().unwrap_or(own_start);
                spans.push((start, start + (chars - own_start)));
            }
            c => {
                text.push(c);
                chars += 1;
            }
        }
    }
    if !open.is_empty() || spans.len() != blocks {
        return Err(mismatch());
    }
    Ok((text, spans))
}

/// One row's assistant mask, as transformers computes it: for each span, the
/// tokens from the one holding its first character to the one holding its
/// last; when no token holds the last character (or, a quirk kept for
/// parity, that token is the row's first), to the end of the row. A span
/// whose first character has no token (cut off by truncation) ends the row's
/// marking. `shift` is the left padding before the encoding's tokens and
/// `row_len` the padded length.
pub fn assistant_mask(encoding: &Encoding, spans: &[Span], shift: usize, row_len: usize) -> Vec<u32> {
    let mut mask = vec![0u32; row_len];
    for &(start, end) in spans {
        let Some(first) = encoding.char_to_token(start, 0) else {
            break;
        };
        // An empty block at the very start: Python cannot look up
        // character -1 and raises; mark nothing.
        let Some(last_char) = end.checked_sub(1) else {
            continue;
        };
        let stop = match encoding.char_to_token(last_char, 0) {
            Some(last) if last + shift != 0 => last + shift + 1,
            _ => row_len,
        };
        for slot in mask.iter_mut().take(stop.min(row_len)).skip(first + shift) {
            *slot = 1;
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_rewritten_with_their_whitespace_control() {
        let source = "a{%- generation %}b{% endgeneration -%}c{%+generation+%}d{%endgeneration%}";
        assert_eq!(
            rewrite_tags(source),
            "a{%- filter __hubguard_generation %}b{% endfilter -%}c{%+ filter __hubguard_generation +%}d{% endfilter %}"
        );
        assert!(has_generation_tag(source));
    }

    #[test]
    fn templates_without_the_tag_are_untouched() {
        let source = "{% if generation %}{{ generation }}{% endif %}{% generations %}";
        assert!(matches!(rewrite_tags(source), Cow::Borrowed(_)));
        assert!(!has_generation_tag(source));
        assert!(!has_generation_tag("{% endgeneration %}"));
    }

    #[test]
    fn spans_count_code_points_and_strip_the_markers() {
        let marked = format!("é🤗 {OPEN}ab{CLOSE} x{OPEN}{CLOSE}");
        let (text, spans) = take_spans(&marked, 2).unwrap();
        assert_eq!(text, "é🤗 ab x");
        assert_eq!(spans, vec![(3, 5), (7, 7)]);
    }

    #[test]
    fn a_nested_block_starts_where_the_outer_one_does() {
        let marked = format!("xx{OPEN}ab{OPEN}cd{CLOSE}e{CLOSE}");
        let (_, spans) = take_spans(&marked, 2).unwrap();
        assert_eq!(spans, vec![(2, 4), (2, 7)]);
    }

    #[test]
    fn markers_that_no_block_made_are_refused() {
        assert!(take_spans(&format!("a{OPEN}b{CLOSE}"), 0).is_err());
        assert!(take_spans(&format!("a{CLOSE}"), 0).is_err());
        assert!(take_spans(&format!("a{OPEN}b"), 1).is_err());
    }

    #[test]
    fn the_filter_marks_only_while_tracking() {
        let tracker = Arc::new(GenerationTracker::default());
        let filter = tracker.filter();
        assert_eq!(filter("a".into()), "a");
        tracker.start();
        assert_eq!(filter("a".into()), format!("{OPEN}a{CLOSE}"));
        assert_eq!(tracker.stop(), 1);
        assert_eq!(filter("a".into()), "a");
    }
}
