//! The checks a rendering template's values pass through (see the module
//! docs in mod.rs): the functions the rewritten template calls, and the
//! wrapped filters and methods that would allocate past the limits.

use std::sync::{Arc, Mutex};

use minijinja::value::{from_args, ObjectRepr, Rest, StringInput, Tuple, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State};

use super::widths::{format_widths, printf_widths};
use super::*;

/// The checks installed in an engine, and the limit a render hit (minijinja
/// wraps errors, so the message is kept here to report it as it was).
pub struct Guard {
    limits: Mutex<Limits>,
    tripped: Mutex<Option<String>>,
    /// `type_name`s of minijinja's own objects, taken from live ones.
    namespace_type: &'static str,
    map_type: &'static str,
    merged_map_type: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A value being bound to a name: checked, its lazy parts made into lists.
    Bind,
    /// A value stored in a namespace attribute: as `Bind`, and plain data only.
    Attr,
    /// A value being printed or serialized: checked only.
    Read,
}

/// What a check has seen so far.
struct Tally {
    items: usize,
    bytes: usize,
}

impl Default for Guard {
    fn default() -> Self {
        let type_of =
            |v: Result<Value, Error>| v.ok().and_then(|v| v.as_object().map(|o| o.type_name())).unwrap_or("?");
        Guard {
            limits: Mutex::new(Limits::default()),
            tripped: Mutex::new(None),
            namespace_type: type_of(minijinja::functions::namespace(None)),
            map_type: type_of(Ok(Value::from_pairs([("k", 1)]))),
            merged_map_type: type_of(Ok(minijinja::value::merge_maps([
                Value::from_pairs([("k", 1)]),
                Value::from_pairs([("k", 2)]),
            ]))),
        }
    }
}

impl Guard {
    pub fn limits(&self) -> Limits {
        *self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    pub fn set_limits(&self, limits: Limits) {
        *self.limits.lock().unwrap_or_else(|e| e.into_inner()) = limits;
    }

    /// Forget the limit hit by the previous render.
    pub fn start(&self) {
        *self.tripped.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The message of the limit this render hit, if one was.
    pub fn take_tripped(&self) -> Option<String> {
        self.tripped.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Record a limit being hit; the error to return to minijinja.
    pub fn fail(&self, message: String) -> Error {
        let mut tripped = self.tripped.lock().unwrap_or_else(|e| e.into_inner());
        if tripped.is_none() {
            *tripped = Some(message.clone());
        }
        Error::new(ErrorKind::InvalidOperation, message)
    }

    fn is_namespace(&self, value: &Value) -> bool {
        value.as_object().is_some_and(|o| o.type_name() == self.namespace_type)
    }

    /// Install the checks and the overrides in `env`.
    pub fn install(self: &Arc<Self>, env: &mut Environment<'static>) {
        let limits = self.limits();
        env.set_fuel(Some(limits.fuel));
        self.install_amplifiers(env);
        let guard = Arc::clone(self);
        env.add_function(VALUE_CHECK, move |state: &State, value: Value| {
            guard.check(state, &value, Mode::Bind)
        });
        let guard = Arc::clone(self);
        env.add_function(ATTR_CHECK, move |state: &State, value: Value| {
            guard.check(state, &value, Mode::Attr)
        });
        let guard = Arc::clone(self);
        env.set_formatter(move |out, state, value| {
            if value.as_object().is_some() {
                guard.check(state, value, Mode::Read)?;
            }
            minijinja::escape_formatter(out, state, value)
        });
        // The defaults of a new namespace are bound as `{% set %}` binds
        // (keyword arguments as the dict they amount to).
        let guard = Arc::clone(self);
        env.add_function("namespace", move |state: &State, args: Rest<ValueOrKwargs>| {
            let args = args
                .into_values()
                .into_iter()
                .map(|v| {
                    let v = match v.as_object().and_then(|o| o.try_iter_pairs()) {
                        Some(pairs) if v.is_kwargs() => Value::from_pairs(pairs),
                        _ => v,
                    };
                    guard.check(state, &v, Mode::Bind)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (defaults,): (Option<ValueOrKwargs>,) = from_args(&args)?;
            minijinja::functions::namespace(defaults)
        });
        // Views of a namespace would see later assignments, including the
        // one storing the view: copy the namespace instead.
        let guard = Arc::clone(self);
        env.add_filter("items", move |value: &Value| {
            let items = minijinja::filters::items(value)?;
            if guard.is_namespace(value) {
                Ok(Value::from(items.try_iter()?.collect::<Vec<_>>()))
            } else {
                Ok(items)
            }
        });
        let guard = Arc::clone(self);
        env.add_filter("chain", move |state: &State, value: Value, others: Rest<Value>| {
            let copy = |v: Value| {
                if guard.is_namespace(&v) {
                    v.as_object()
                        .and_then(|o| o.try_iter_pairs())
                        .map(Value::from_pairs)
                        .unwrap_or(v)
                } else {
                    v
                }
            };
            let others = others.0.into_iter().map(copy).collect();
            minijinja::filters::chain(state, copy(value), Rest(others))
        });
        let guard = Arc::clone(self);
        env.set_unknown_method_callback(move |state, value, method, args| {
            if let Some(text) = value.as_str() {
                guard.check_string_method(state, text, method, args)?;
            }
            let rv = minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)?;
            if guard.is_namespace(value) && matches!(method, "items" | "keys" | "values") {
                Ok(Value::from(rv.try_iter()?.collect::<Vec<_>>()))
            } else {
                Ok(rv)
            }
        });
        // The padding `"%1000000000s"|format(x)` asks for is allocated first.
        let guard = Arc::clone(self);
        env.add_filter(
            "format",
            move |state: &mut State, format: &Value, args: Rest<ValueOrKwargs>| {
                if let Some(text) = format.as_str() {
                    let mut size = text.len().saturating_add(printf_widths(text));
                    for arg in args.iter() {
                        size = size.saturating_add(guard.measure(state, arg)?);
                    }
                    guard.check_size(size, "`format`")?;
                }
                minijinja::filters::format(state, format, args)
            },
        );
        // `indent` builds its result before the output cap can see it.
        let guard = Arc::clone(self);
        env.add_filter("indent", move |state: &State, args: Rest<ValueOrKwargs>| {
            type Args<'a> = (
                StringInput<'a>,
                Option<usize>,
                Option<bool>,
                Option<bool>,
                minijinja::value::Kwargs,
            );
            let args = args.into_values();
            let (text, width_arg, first, blank, kwargs): Args = from_args(&args)?;
            let width = match width_arg {
                Some(w) => w,
                None => kwargs.peek::<Option<usize>>("width")?.unwrap_or(4),
            };
            let lines = text.as_str().bytes().filter(|&b| b == b'\n').count() + 1;
            let size = width.saturating_mul(lines).saturating_add(text.as_str().len());
            let limit = guard.limits().output_bytes;
            if size > limit {
                return Err(guard.fail(format!(
                    "`indent({width})` on {lines} lines would make {size} bytes of text, more than the rendered chat \
                     may hold ({}, hubguard's limit); use a smaller width.",
                    size_text(limit)
                )));
            }
            state.consume_fuel((size / 64) as u64)?;
            minijinja::filters::indent(text, width_arg, first, blank, kwargs)
        });
    }

    /// Python's string methods (pycompat) are not charged fuel and some build
    /// results far larger than their input (`"{:>1000000000}".format(x)`,
    /// `s.replace("", t)`, `t.join(items)`, `s.split("")`): charge the
    /// input, and refuse a result the rendered chat could not hold.
    fn check_string_method(&self, state: &State, text: &str, method: &str, args: &[Value]) -> Result<(), Error> {
        state.consume_fuel((text.len() / 64) as u64)?;
        let limits = self.limits();
        let arg_str = |i: usize| args.get(i).and_then(Value::as_str);
        let (size, items) = match method {
            "format" => {
                let mut size = text.len().saturating_add(format_widths(text));
                for arg in args {
                    size = size.saturating_add(self.measure(state, arg)?);
                }
                (size, 0)
            }
            "replace" => match (arg_str(0), arg_str(1)) {
                (Some(old), Some(new)) => {
                    let mut count = if old.is_empty() {
                        text.chars().count() + 1
                    } else {
                        text.matches(old).count()
                    };
                    if let Some(max) = args.get(2).and_then(Value::as_i64).filter(|&n| n >= 0) {
                        count = count.min(usize::try_from(max).unwrap_or(usize::MAX));
                    }
                    (text.len().saturating_add(count.saturating_mul(new.len())), 0)
                }
                _ => (0, 0),
            },
            "join" => match args.first() {
                Some(items) => {
                    let n = items.len().unwrap_or(0);
                    let size = self.measure(state, items)?.saturating_add(n.saturating_mul(text.len()));
                    (size, 0)
                }
                None => (0, 0),
            },
            // Each piece is a value of its own.
            "split" => match arg_str(0) {
                Some("") => (0, text.chars().count() + 2),
                Some(sep) => (0, text.matches(sep).count() + 1),
                None => (0, text.split_whitespace().count()),
            },
            "splitlines" => (0, text.bytes().filter(|&b| b == b'\n').count() + 1),
            _ => (0, 0),
        };
        self.check_size(size, &format!("`.{method}(...)`"))?;
        if items > limits.value_items {
            return Err(self.fail(format!(
                "The chat template's `.{method}(...)` would make {items} strings, more than hubguard's limit of {} \
                 values; check the template.",
                limits.value_items
            )));
        }
        Ok(())
    }

    /// Refuse a string of `size` bytes that `what` would build.
    fn check_size(&self, size: usize, what: &str) -> Result<(), Error> {
        let limit = self.limits().output_bytes;
        if size > limit {
            return Err(self.fail(format!(
                "The chat template's {what} would make a string of about {size} bytes, more than the rendered chat \
                 may hold ({}, hubguard's limit); check the template.",
                size_text(limit)
            )));
        }
        Ok(())
    }

    /// About how many bytes printing `value` writes (and checked as printing is).
    fn measure(&self, state: &State, value: &Value) -> Result<usize, Error> {
        let limits = self.limits();
        let mut tally = Tally { items: 0, bytes: 0 };
        let result = self.visit(value, Mode::Read, 0, &limits, &mut tally);
        state.consume_fuel((tally.items / ITEMS_PER_FUEL) as u64)?;
        result?;
        // Quotes, separators and numbers: a few bytes a value.
        Ok(tally.bytes.saturating_add(tally.items.saturating_mul(24)))
    }

    /// Check a value about to be serialized.
    pub fn check_read(&self, state: &State, value: &Value) -> Result<(), Error> {
        self.check(state, value, Mode::Read).map(drop)
    }

    /// Check `value` as `mode` asks; the value to use in its place.
    fn check(&self, state: &State, value: &Value, mode: Mode) -> Result<Value, Error> {
        let limits = self.limits();
        let mut tally = Tally { items: 0, bytes: 0 };
        let result = self.visit(value, mode, 0, &limits, &mut tally);
        state.consume_fuel((tally.items / ITEMS_PER_FUEL) as u64)?;
        Ok(result?.unwrap_or_else(|| value.clone()))
    }

    /// Walk `value` (at `depth` containers down); `Some` when it had to be
    /// rebuilt. Recursion is bounded by [`MAX_VALUE_DEPTH`].
    fn visit(
        &self,
        value: &Value,
        mode: Mode,
        depth: usize,
        limits: &Limits,
        tally: &mut Tally,
    ) -> Result<Option<Value>, Error> {
        self.count(1, limits, tally)?;
        match value.kind() {
            ValueKind::String => tally.bytes += value.as_str().map_or(0, str::len),
            ValueKind::Bytes => tally.bytes += value.as_bytes().map_or(0, <[u8]>::len),
            _ => {}
        }
        if tally.bytes > limits.value_bytes {
            return Err(self.fail(format!(
                "The chat template built a value holding more than {} of text (hubguard's limit); check the \
                 template for a loop that keeps doubling a string, or render a shorter conversation.",
                size_text(limits.value_bytes)
            )));
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
            return Err(self.fail(format!(
                "The chat template stored {} in a namespace attribute; hubguard only allows plain data there \
                 (strings, numbers, lists, dicts), so that no value can end up containing itself.",
                if is_namespace {
                    "a namespace"
                } else {
                    "an object that is not plain data (a macro, a `loop`, a function...)"
                }
            )));
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
    ) -> Result<Option<Vec<Value>>, Error> {
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

    fn count(&self, n: usize, limits: &Limits, tally: &mut Tally) -> Result<(), Error> {
        tally.items += n;
        if tally.items > limits.value_items {
            return Err(self.fail(format!(
                "The chat template built a value with more than {} items (hubguard's limit, counting a shared \
                 value each time it appears); check the template for a loop that keeps doubling a list, or render \
                 a shorter conversation.",
                limits.value_items
            )));
        }
        Ok(())
    }

    /// A container `depth` levels down: refused past the limit.
    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth >= MAX_VALUE_DEPTH {
            return Err(self.fail(format!(
                "The chat template built a value nested more than {MAX_VALUE_DEPTH} levels deep (hubguard's \
                 limit, which keeps printing, comparing or freeing it from overflowing the stack); check the \
                 template for a loop that wraps a value in itself."
            )));
        }
        Ok(())
    }
}
