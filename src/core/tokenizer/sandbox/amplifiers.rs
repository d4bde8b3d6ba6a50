//! The operations that could make a render's work or memory grow far past
//! what its fuel paid for (see the module docs in mod.rs), and their checks:
//!
//! - `*` and `+` (through [`TIMES_CHECK`] and [`PLUS_CHECK`], placed by
//!   `operators.rs`): a sequence they make may hold at most
//!   [`MAX_VALUE_ITEMS`] items, the lists in it counted each time they
//!   appear (as the binding checks count them), and a string at most the
//!   output cap. A list repeated by `*` is also paid for when it is made
//!   ([`REPEAT_ITEM_FUEL`] per item: walking a lazily repeated list costs
//!   about 160 ns an item natively, four times what a fuel stands for).
//! - `sum` of sequences (`sum(start=[])`): minijinja adds them one at a
//!   time, copying the growing list each time (quadratic: 4000 lists of
//!   100 took 20 s); here they are joined in one pass, within the limits.
//!
//! minijinja's own filters charge the items they visit and check the size
//! of what they build (`join`, `batch`, `slice`, `replace`, ...); with the
//! sequences they get bounded and paid for, they stay within the budget.

use std::sync::Arc;

use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, State};

use super::guard::Guard;
use super::*;

/// Fuel per item of a sequence repeated by `*`.
pub const REPEAT_ITEM_FUEL: u64 = 4;

impl Guard {
    pub(super) fn install_amplifiers(self: &Arc<Self>, env: &mut Environment<'static>) {
        let guard = Arc::clone(self);
        env.add_function(TIMES_CHECK, move |state: &State, value: Value| {
            guard.made(state, value, REPEAT_ITEM_FUEL)
        });
        let guard = Arc::clone(self);
        env.add_function(PLUS_CHECK, move |state: &State, value: Value| {
            guard.made(state, value, 0)
        });
        env.add_filter(BUILTIN_SUM, minijinja::filters::sum);
        let guard = Arc::clone(self);
        env.add_filter("sum", move |state: &mut State, args: Rest<ValueOrKwargs>| {
            guard.sum(state, args.into_values())
        });
    }

    /// A value `*` or `+` just made: bounded, and `fuel` paid per item.
    fn made(&self, state: &State, value: Value, fuel: u64) -> Result<Value, Error> {
        let limits = self.limits();
        if let Some(text) = value.as_str() {
            if text.len() > limits.output_bytes {
                return Err(self.fail(format!(
                    "The chat template made a string of {} bytes with `*` or `+`, more than the rendered chat may \
                     hold ({}, hubguard's limit); check the template.",
                    text.len(),
                    size_text(limits.output_bytes)
                )));
            }
            return Ok(value);
        }
        if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
            return Ok(value);
        }
        let len = match value.as_object().and_then(|o| o.enumerator_len()) {
            Some(len) => len,
            // Unsized: counted, at most one past the limit.
            None => value.try_iter()?.take(limits.value_items.saturating_add(1)).count(),
        };
        self.items_made(state, len, "`*` or `+`", fuel)?;
        // Lists in it count each time they appear (`[[1] * 1000] * 1000`).
        self.check_read(state, &value)?;
        Ok(value)
    }

    /// `len` items made by `what`: refused past the limit, else `fuel` paid
    /// for each.
    fn items_made(&self, state: &State, len: usize, what: &str, fuel: u64) -> Result<(), Error> {
        let limit = self.limits().value_items;
        if len > limit {
            return Err(self.fail(format!(
                "The chat template made a list of {len} items with {what}, more than hubguard's limit of {limit} \
                 values; check the template."
            )));
        }
        state.consume_fuel((len as u64).saturating_mul(fuel))
    }

    /// `sum`: sequences joined in one pass; anything else as minijinja sums.
    fn sum(&self, state: &mut State, args: Vec<Value>) -> Result<Value, Error> {
        let kwargs = args.last().filter(|v| v.is_kwargs()).cloned();
        let positional: Vec<&Value> = args.iter().filter(|v| !v.is_kwargs()).collect();
        let from_kwargs = |name: &str| -> Result<Option<Value>, Error> {
            match &kwargs {
                Some(k) => Kwargs::try_from(k.clone())?.peek::<Option<Value>>(name),
                None => Ok(None),
            }
        };
        let start = match positional.get(2) {
            Some(start) => Some((*start).clone()),
            None => from_kwargs("start")?,
        };
        let Some(start) = start.filter(|s| matches!(s.kind(), ValueKind::Seq | ValueKind::Iterable)) else {
            return state.apply_filter(BUILTIN_SUM, &args);
        };
        let attribute = match positional.get(1) {
            Some(a) => a.as_str().map(str::to_owned),
            None => from_kwargs("attribute")?.and_then(|a| a.as_str().map(str::to_owned)),
        };
        let values = positional.first().map(|v| (*v).clone()).unwrap_or_default();
        let limit = self.limits().value_items;
        let mut out: Vec<Value> = Vec::new();
        let mut take = |items: Value| -> Result<(), Error> {
            for item in items.try_iter()? {
                if out.len() == limit {
                    self.items_made(state, limit + 1, "`sum`", 0)?;
                }
                out.push(item);
            }
            Ok(())
        };
        take(start)?;
        for value in values.try_iter()? {
            let value = match &attribute {
                Some(path) => attribute_at(&value, path),
                None => value,
            };
            if value.is_undefined() {
                continue;
            }
            if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
                return Err(Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!(
                        "tried to use + operator on unsupported types sequence and {}",
                        value.kind()
                    ),
                ));
            }
            take(value)?;
        }
        self.items_made(state, out.len(), "`sum`", 1)?;
        Ok(Value::from(out))
    }
}

/// `value`'s attribute at a dotted path (`a.b.0`), as `sum(attribute=...)`
/// reads it; undefined where it has none.
fn attribute_at(value: &Value, path: &str) -> Value {
    path.split('.').fold(value.clone(), |v, part| {
        let next = match part.parse::<usize>() {
            Ok(index) => v.get_item_by_index(index),
            Err(_) => v.get_attr(part),
        };
        next.unwrap_or(Value::UNDEFINED)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::super::{ChatOptions, LoadedTokenizer};
    use crate::core::error::ErrorCode;

    fn render(template: &str) -> Result<String, crate::core::error::HubError> {
        let file = json!({"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": null,
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}});
        let mut t = LoadedTokenizer::from_files("a/b", file.to_string().as_bytes(), None).unwrap();
        let options = ChatOptions {
            chat_template: Some(template.to_owned()),
            ..ChatOptions::default()
        };
        t.render_chat(&json!([{"role": "user", "content": "hi"}]), &options)
            .map(|r| r.texts[0].clone())
    }

    fn refused(template: &str, says: &str) {
        let e = render(template).unwrap_err();
        assert_eq!(e.code, ErrorCode::ChatTemplate, "{}", e.message);
        assert!(e.message.contains(says), "{template}: {}", e.message);
    }

    /// The two: one blocked the thread, the other ran out of memory.
    #[test]
    fn summing_lists_is_linear_and_repeating_is_bounded() {
        assert_eq!(
            render("{{ ([[1]*100]*4000) | sum(start=[]) | length }}").unwrap(),
            "400000"
        );
        refused("{{ ([\"x\"*60]*100000000) ~ \"\" }}", "made a list of 100000000 items");
    }

    #[test]
    fn huge_lazy_lists_are_refused_before_anything_walks_them() {
        for template in [
            "{{ 5 in ([1]*10000000) }}",
            "{{ ([1]*10000000) | join }}",
            "{{ (([1]*3000000) + ([2]*3000000)) | length }}",
            "{{ ([1]*10000000) | unique | list | length }}",
        ] {
            refused(template, "hubguard's limit");
        }
        // Shared lists count each time they appear.
        refused(
            "{{ ([[1]*1000]*10000) | map('join') | join | length }}",
            "4000000 items",
        );
        // Paid for when made: a loop of them runs out of fuel.
        refused(
            "{% for i in range(100) %}{{ 5 in ([1]*1000000) }}{% endfor %}",
            "too much work",
        );
        // A string past the output cap.
        refused("{{ ('x' * 70000000) | length }}", "made a string");
    }

    #[test]
    fn sums_and_products_render_as_before() {
        assert_eq!(render("{{ [[1],[2,3]] | sum(start=[]) }}").unwrap(), "[1, 2, 3]");
        assert_eq!(
            render("{{ [{'a':[1]},{'a':[2]}] | sum(attribute='a', start=[0]) }}").unwrap(),
            "[0, 1, 2]"
        );
        assert_eq!(
            render("{{ [1,2,3] | sum }} {{ [1,2,3] | sum(start=10) }}").unwrap(),
            "6 16"
        );
        assert_eq!(render("{{ ([1] * 3 + [2] * 2) | join(',') }}").unwrap(), "1,1,1,2,2");
        assert_eq!(
            render("{{ 'a' + 'b' * 3 + ('c' ~ 1) }} {{ 2 * 3 + 1 }}").unwrap(),
            "abbbc1 7"
        );
        assert!(render("{{ [1] | sum(start=[]) + 1 }}").is_err());
    }
}
