//! What a chat template may make hubguard do.
//!
//! Templates come from a repo or from the caller: they are untrusted, and
//! in wasm a panic, an out-of-memory abort or a stack overflow ends the
//! whole instance (a stack overflow may even corrupt memory silently). So:
//!
//! - **time and data**: every render gets a fuel budget ([`FUEL`]); minijinja
//!   charges each instruction and every byte it creates, and refuses an
//!   allocation the remaining fuel cannot pay for;
//! - **output**: the rendered text is capped ([`MAX_OUTPUT_BYTES`]), and so
//!   are what `indent`, `format` and Python's `.format()`, `.replace()`,
//!   `.join()`, `.split()` and `.splitlines()` would build, as they allocate
//!   it before anything is written (the string methods are also charged fuel
//!   for their input, which minijinja-contrib does not do);
//! - **compiling**: minijinja's parser and code generator recurse on the
//!   nesting of expressions and `elif` chains; the template's size, the
//!   tokens in one tag and the `elif`s are capped before it compiles;
//! - **values**: minijinja recurses on a value's nesting to print, compare,
//!   hash, serialize and free it. The only way a template can carry a value
//!   from one loop iteration to the next is `{% set ns.attr = ... %}`, and
//!   nesting can also pile up through nested blocks, macro recursion and
//!   recursive loops. So before it compiles, every binding is rewritten to
//!   pass its value through a check (`{% set %}`, `{% for %}`'s iterable,
//!   `{% with %}`, the arguments of macros, call blocks and `loop(...)`):
//!   the value may nest at most [`MAX_VALUE_DEPTH`] levels and hold at most
//!   [`MAX_VALUE_ITEMS`] values and [`MAX_VALUE_BYTES`] of text, lazy sequences in it
//!   are made into lists (a chain of lazy slices, repeats or merged dicts is
//!   also a recursion), and a namespace attribute may hold only plain data:
//!   no namespace, macro or loop object, so no value can contain itself.
//!   Python's `items()`, `keys()` and `values()` and the `items` and `chain`
//!   filters copy a namespace instead of viewing it, for the same reason.
//!   The values printed by `{{ ... }}` and given to `tojson` are checked the
//!   same way, and the caller's messages, tools and documents may nest at
//!   most [`MAX_INPUT_DEPTH`] levels;
//! - **operators that amplify** (`amplifiers.rs`): `[x] * n` and `a + b`
//!   make lazy sequences for free, which whatever walks them (`in`, filters,
//!   printing) then pays for item by item, past the budget (the issue's
//!   `(["x"*60]*100000000) ~ ""` ran out of memory). So every `*` and `+`
//!   passes its result through a check (placed with minijinja's own parser,
//!   `operators.rs`): a sequence it makes holds at most [`MAX_VALUE_ITEMS`]
//!   items, a repeated one is paid for when made, a string is at most the
//!   output cap (minijinja itself refuses a repeated string past 100 MB
//!   before making it); and `sum` of lists joins them in one pass (it copied
//!   the growing list for each, quadratic in the items: `[[1]*100]*4000 |
//!   sum(start=[])` blocked the thread for seconds).
//!   minijinja's filters charge the items they visit and check what they
//!   build (`join`, `batch`, `slice`, `replace`, `unique`, ...), so with
//!   their input bounded they stay within the budget.

mod amplifiers;
mod guard;
mod operators;
mod output;
mod rewrite;
mod walk;
mod widths;

pub use guard::Guard;
pub use output::CappedOutput;
pub use rewrite::{prepare, Refusal};

/// Fuel for one render (one fuel per instruction, plus one per 64 bytes
/// created and about one per two values a check walks).
///
/// Measured on real templates, 1000 messages with tool calls and 20 tools:
/// Gemma 4 needs 4.3 million (its template is quadratic: for each message it
/// looks back over the earlier ones, so 16 million lasts it about 1900
/// messages), gpt-oss 2.4 million (quadratic too, for tool calls), Qwen 3,
/// Qwen 3.x, Llama 3, EXAONE, SmolLM, Granite and the rest under 200 000
/// (linear: 16 million lasts them tens of thousands of messages).
///
/// A runaway template (an empty `for i in range(100000)` nest) is stopped in
/// under a second natively, about a second in wasm (docs/BENCHMARKS.md,
/// "Design measurements"). And as a fuel pays for 64 bytes, a render cannot
/// create more than 1 GiB of strings and lists.
pub const FUEL: u64 = 16_000_000;
/// The rendered prompt: far beyond any model's context (1 million tokens is
/// about 4 MB of text), and small enough for a JavaScript string.
pub const MAX_OUTPUT_BYTES: usize = 64 << 20;
/// Nesting of the values a template binds, prints or serializes. Python's
/// `json.dumps` gives up around 1000 levels; real templates see a handful.
pub const MAX_VALUE_DEPTH: usize = 128;
/// Nesting of the caller's messages, tools, documents and extra variables,
/// below [`MAX_VALUE_DEPTH`] so a template can still wrap them.
pub const MAX_INPUT_DEPTH: usize = 64;
/// Values in one bound value (counting every item, key and nested value,
/// shared ones each time they appear): a conversation of 100 000 messages
/// with tool calls stays below it.
pub const MAX_VALUE_ITEMS: usize = 4_000_000;
/// Text in one bound value: as much as the output may hold.
pub const MAX_VALUE_BYTES: usize = MAX_OUTPUT_BYTES;
/// Real chat templates are under 20 KiB.
pub const MAX_TEMPLATE_BYTES: usize = 256 << 10;
/// Tokens in one `{{ ... }}` or `{% ... %}` tag: real templates have under
/// 40. An expression nests at most this deep, which minijinja's compiler
/// and the values the expression builds recurse on.
pub const MAX_TAG_TOKENS: usize = 256;
/// minijinja nests each `elif` in the previous branch when it compiles;
/// real templates have under 20.
pub const MAX_ELIFS: usize = 256;

/// The functions the rewritten template calls; templates may not use these names.
pub(super) const VALUE_CHECK: &str = "__hubguard_value";
pub(super) const ATTR_CHECK: &str = "__hubguard_attr";
pub(super) const TIMES_CHECK: &str = "__hubguard_times";
pub(super) const PLUS_CHECK: &str = "__hubguard_plus";
/// The builtin `sum`, kept under a name of its own (see amplifiers.rs).
pub(super) const BUILTIN_SUM: &str = "__hubguard_builtin_sum";
/// The names of the checks, which templates may not use themselves.
pub(super) const RESERVED: [&str; 5] = [VALUE_CHECK, ATTR_CHECK, TIMES_CHECK, PLUS_CHECK, BUILTIN_SUM];
/// A fuel for this many values visited by a check (minijinja charges half a
/// fuel for each item its own filters visit).
pub(super) const ITEMS_PER_FUEL: usize = 2;

/// The limits that tests lower; the rest are constants.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub fuel: u64,
    pub output_bytes: usize,
    pub value_items: usize,
    pub value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: FUEL,
            output_bytes: MAX_OUTPUT_BYTES,
            value_items: MAX_VALUE_ITEMS,
            value_bytes: MAX_VALUE_BYTES,
        }
    }
}

/// A size for a message: `64 MiB`, or bytes when not a whole number of MiB.
pub fn size_text(bytes: usize) -> String {
    if bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Whether a JSON value nests deeper than `max` levels (walked without recursion).
pub fn nests_deeper(value: &serde_json::Value, max: usize) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match value {
            serde_json::Value::Array(items) => Box::new(items.iter()),
            serde_json::Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth >= max {
            return true;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_depth_is_measured_without_recursion() {
        let mut v = serde_json::json!(1);
        for _ in 0..100_000 {
            v = serde_json::Value::Array(vec![v]);
        }
        assert!(nests_deeper(&v, 64));
        // (Freeing it recurses: taken apart by hand.)
        while let serde_json::Value::Array(mut items) = v {
            v = items.pop().unwrap_or_default();
        }
        let flat = serde_json::json!({"a": [{"b": [1]}], "c": "x"});
        assert!(!nests_deeper(&flat, 4) && nests_deeper(&flat, 3));
    }

    #[test]
    fn sizes_are_written_in_mib_when_whole() {
        assert_eq!(size_text(64 << 20), "64 MiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
