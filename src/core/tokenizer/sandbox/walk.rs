//! The walk every value a template binds, stores or prints goes through:
//! counted against the item, byte and depth limits, its lazy parts made
//! into lists where it is bound (see the module docs in mod.rs).

use super::*;
use minijinja::value::{ObjectRepr, Tuple, Value, ValueKind};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A value being bound to a name: checked, its lazy parts made into lists.
    Bind,
    /// A value stored in a namespace attribute: as `Bind`, and plain data only.
    Attr,
    /// A value being printed or serialized: checked only.
    Read,
}

/// What a check has seen so far.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) items: usize,
    pub(super) bytes: usize,
}

/// The type names of minijinja's own objects, taken from live ones: a
/// namespace, a dict, a merged dict.
pub(super) struct Kinds {
    pub(super) namespace_type: &'static str,
    map_type: &'static str,
    merged_map_type: &'static str,
}

impl Default for Kinds {
    fn default() -> Self {
        let type_of = |v: Result<Value, minijinja::Error>| {
            v.ok().and_then(|v| v.as_object().map(|o| o.type_name())).unwrap_or("?")
        };
        Kinds {
            namespace_type: type_of(minijinja::functions::namespace(None)),
            map_type: type_of(Ok(Value::from_pairs([("k", 1)]))),
            merged_map_type: type_of(Ok(minijinja::value::merge_maps([
                Value::from_pairs([("k", 1)]),
                Value::from_pairs([("k", 2)]),
            ]))),
        }
    }
}

/// A walk's refusals are messages; the guard records and raises them.
impl Kinds {
    /// Walk `value` (at `depth` containers down); `Some` when it had to be
    /// rebuilt. Recursion is bounded by [`MAX_VALUE_DEPTH`].
    pub(super) fn visit(
        &self,
        value: &Value,
        mode: Mode,
        depth: usize,
        limits: &Limits,
        tally: &mut Tally,
    ) -> Result<Option<Value>, String> {
        self.count(1, limits, tally)?;
        match value.kind() {
            ValueKind::String => tally.bytes += value.as_str().map_or(0, str::len),
            ValueKind::Bytes => tally.bytes += value.as_bytes().map_or(0, <[u8]>::len),
            _ => {}
        }
        if tally.bytes > limits.value_bytes {
            return Err(format!(
                "The chat template built a value holding more than {} of text (hubguard's limit); check the \
                 template for a loop that keeps doubling a string, or render a shorter conversation.",
                size_text(limits.value_bytes)
            ));
        }
        let Some(obj) = value.as_object() else {
            return Ok(None);
        };
        // Lists and tuples, the common case, walked in place.
        if let Some(items) = obj.downcast_ref::<Vec<Value>>() {
            self.enter(depth)?;
            return Ok(self.visit_items(items, mode, depth, limits, tally)?.map(Value::from));
        }
        if let Some(items) = obj.downcast_ref::<Tuple>() {
            self.enter(depth)?;
            return Ok(self
                .visit_items(items, mode, depth, limits, tally)?
                .map(|items| Value::from(Tuple::from(items))));
        }
        let type_name = obj.type_name();
        let is_namespace = type_name == self.namespace_type;
        let merged_map = type_name == self.merged_map_type;
        let repr = obj.repr();
        let plain_data =
            type_name == self.map_type || merged_map || matches!(repr, ObjectRepr::Seq | ObjectRepr::Iterable);
        if mode == Mode::Attr && (is_namespace || !plain_data) {
            return Err(format!(
                "The chat template stored {} in a namespace attribute; hubguard only allows plain data there \
                 (strings, numbers, lists, dicts), so that no value can end up containing itself.",
                if is_namespace {
                    "a namespace"
                } else {
                    "an object that is not plain data (a macro, a `loop`, a function...)"
                }
            ));
        }
        if !is_namespace && !plain_data {
            // Macros, loops, functions: printed by name, never walked.
            return Ok(None);
        }
        self.enter(depth)?;
        let rebuild = mode != Mode::Read;
        if repr == ObjectRepr::Map {
            let mut changes = Vec::new();
            for (i, (k, v)) in obj.try_iter_pairs().into_iter().flatten().enumerate() {
                let nk = self.visit(&k, mode, depth + 1, limits, tally)?;
                let nv = self.visit(&v, mode, depth + 1, limits, tally)?;
                if nk.is_some() || nv.is_some() {
                    changes.push((i, nk, nv));
                }
            }
            // A namespace keeps its identity (what it holds was checked when
            // stored); a merged dict is a view of others: made a dict.
            if is_namespace || (changes.is_empty() && !(rebuild && merged_map)) {
                return Ok(None);
            }
            let mut changes = changes.into_iter().peekable();
            let pairs = obj
                .try_iter_pairs()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, (k, v))| match changes.next_if(|(at, _, _)| *at == i) {
                    Some((_, nk, nv)) => (nk.unwrap_or(k), nv.unwrap_or(v)),
                    None => (k, v),
                });
            return Ok(Some(Value::from_pairs(pairs.collect::<Vec<_>>())));
        }
        // Lazy sequences (slices, `+`, `range`, `items`...) become lists;
        // other sequences (merged lists, `groupby` groups) keep their type:
        // they hold bound values or lists.
        let left = limits.value_items.saturating_sub(tally.items);
        let items: Vec<Value> = obj
            .try_iter()
            .into_iter()
            .flatten()
            .take(left.saturating_add(1))
            .collect();
        let changed = self.visit_items(&items, mode, depth, limits, tally)?;
        Ok((rebuild && repr == ObjectRepr::Iterable).then(|| Value::from(changed.unwrap_or(items))))
    }

    /// Visit a container's items; the items again if one had to be rebuilt.
    fn visit_items(
        &self,
        items: &[Value],
        mode: Mode,
        depth: usize,
        limits: &Limits,
        tally: &mut Tally,
    ) -> Result<Option<Vec<Value>>, String> {
        let mut changes = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(new) = self.visit(item, mode, depth + 1, limits, tally)? {
                changes.push((i, new));
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        let mut out = items.to_vec();
        for (i, new) in changes {
            out[i] = new;
        }
        Ok(Some(out))
    }

    fn count(&self, n: usize, limits: &Limits, tally: &mut Tally) -> Result<(), String> {
        tally.items += n;
        if tally.items > limits.value_items {
            return Err(format!(
                "The chat template built a value with more than {} items (hubguard's limit, counting a shared \
                 value each time it appears); check the template for a loop that keeps doubling a list, or render \
                 a shorter conversation.",
                limits.value_items
            ));
        }
        Ok(())
    }

    /// A container `depth` levels down: refused past the limit.
    fn enter(&self, depth: usize) -> Result<(), String> {
        if depth >= MAX_VALUE_DEPTH {
            return Err(format!(
                "The chat template built a value nested more than {MAX_VALUE_DEPTH} levels deep (hubguard's \
                 limit, which keeps printing, comparing or freeing it from overflowing the stack); check the \
                 template for a loop that wraps a value in itself."
            ));
        }
        Ok(())
    }
}
