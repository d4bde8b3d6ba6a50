//! The checks a rendering template's values pass through (see the module
//! docs in mod.rs): the functions the rewritten template calls, and the
//! wrapped filters and methods that would allocate past the limits.

use std::sync::{Arc, Mutex};

use minijinja::value::{from_args, Rest, StringInput, Value, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State};

use super::walk::{Kinds, Mode, Tally};
use super::widths::{format_widths, printf_widths};
use super::*;

/// The checks installed in an engine, and the limit a render hit (minijinja
/// wraps errors, so the message is kept here to report it as it was).
pub struct Guard {
    limits: Mutex<Limits>,
    tripped: Mutex<Option<String>>,
    kinds: Kinds,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            limits: Mutex::new(Limits::default()),
            tripped: Mutex::new(None),
            kinds: Kinds::default(),
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
        value
            .as_object()
            .is_some_and(|o| o.type_name() == self.kinds.namespace_type)
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
        let mut tally = Tally::default();
        let result = self
            .kinds
            .visit(value, Mode::Read, 0, &limits, &mut tally)
            .map_err(|m| self.fail(m));
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
        let mut tally = Tally::default();
        let result = self
            .kinds
            .visit(value, mode, 0, &limits, &mut tally)
            .map_err(|m| self.fail(m));
        state.consume_fuel((tally.items / ITEMS_PER_FUEL) as u64)?;
        Ok(result?.unwrap_or_else(|| value.clone()))
    }
}
