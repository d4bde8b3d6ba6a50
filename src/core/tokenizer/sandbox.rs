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
//!   most [`MAX_INPUT_DEPTH`] levels.
//!
//! What is not covered: work that minijinja does not charge fuel for, on
//! values built within one expression. Printing or concatenating a lazily
//! repeated list (`[x] * 100000000 ~ ""`) or comparing two large distinct
//! values runs without fuel checks; it can exhaust memory or take very long,
//! but it cannot overflow the stack, as one expression adds at most a few
//! hundred levels of nesting to values that are themselves bounded.

use std::io;
use std::sync::{Arc, Mutex};

use minijinja::machinery::{tokenize, Span, Token};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{from_args, ObjectRepr, Rest, StringInput, Tuple, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State};

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
/// A runaway template is stopped in well under a second in a native release
/// build (the empty `for i in range(100000)` nest: 0.6 to 0.75 s), so in
/// about a second in wasm. And as a fuel pays for 64 bytes, a render cannot
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
const VALUE_CHECK: &str = "__hubguard_value";
const ATTR_CHECK: &str = "__hubguard_attr";
/// A fuel for this many values visited by a check (minijinja charges half a
/// fuel for each item its own filters visit).
const ITEMS_PER_FUEL: usize = 2;

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

/// The widths and precisions a `str.format` string asks for, summed (an
/// upper bound of the padding it adds: `{:>20}`, `{:.5f}`, `{0:*^30}`).
fn format_widths(format: &str) -> usize {
    let mut total = 0usize;
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(escaped) = rest.strip_prefix('{') {
            rest = escaped;
            continue;
        }
        let field = &rest[..rest.find('}').unwrap_or(rest.len())];
        if let Some((_, spec)) = field.split_once(':') {
            total = total.saturating_add(digit_sum(spec));
        }
        rest = &rest[field.len()..];
    }
    total
}

/// The same for a printf-style string (`%20s`, `%-10.3f`, `%(name)08d`).
fn printf_widths(format: &str) -> usize {
    let mut total = 0usize;
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        rest = &rest[at + 1..];
        if let Some(escaped) = rest.strip_prefix('%') {
            rest = escaped;
            continue;
        }
        if rest.starts_with('(') {
            rest = &rest[rest.find(')').map_or(rest.len(), |i| i + 1)..];
        }
        let spec_len = rest
            .find(|c: char| !(c.is_ascii_digit() || "-+ #0.*".contains(c)))
            .unwrap_or(rest.len());
        total = total.saturating_add(digit_sum(&rest[..spec_len]));
        rest = &rest[spec_len..];
    }
    total
}

/// The numbers in a format spec, added up (saturating).
fn digit_sum(spec: &str) -> usize {
    spec.split(|c: char| !c.is_ascii_digit())
        .filter(|digits| !digits.is_empty())
        .map(|digits| digits.parse::<usize>().unwrap_or(usize::MAX))
        .fold(0, usize::saturating_add)
}

/// A size for a message: `64 MiB`, or bytes when not a whole number of MiB.
pub fn size_text(bytes: usize) -> String {
    if bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// Why a template was refused before compiling.
pub enum Refusal {
    /// A limit of this module, with the message to give.
    Limit(String),
    /// minijinja's lexer refused it.
    Syntax(Error),
}

/// Check a template's size and shape, and rewrite every binding to pass its
/// value through the checks. The rewrite inserts text inside tags (and
/// `{% set %}` tags right after a macro's opening tag, with its whitespace
/// control), never newlines, so error lines stay those of the source.
pub fn prepare(source: &str, syntax: &SyntaxConfig) -> Result<String, Refusal> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(Refusal::Limit(format!(
            "The chat template is {} KiB, more than hubguard's limit of {} KiB (real chat templates are under \
             20 KiB); check that it is a chat template.",
            source.len() >> 10,
            MAX_TEMPLATE_BYTES >> 10
        )));
    }
    let tokens = tokenize(source, false, syntax.clone())
        .collect::<Result<Vec<_>, _>>()
        .map_err(Refusal::Syntax)?;
    let mut edits: Vec<(usize, String)> = Vec::new();
    let mut bodies: Vec<MacroBody> = Vec::new();
    let mut elifs = 0;
    let mut at = 0;
    while at < tokens.len() {
        let (start, _) = &tokens[at];
        if !matches!(start, Token::BlockStart | Token::VariableStart) {
            at += 1;
            continue;
        }
        let end = tokens[at + 1..]
            .iter()
            .position(|(t, _)| matches!(t, Token::BlockEnd | Token::VariableEnd))
            .map_or(tokens.len(), |i| at + 1 + i);
        let tag = &tokens[at + 1..end];
        let line = tokens[at].1.start_line;
        if tag.len() > MAX_TAG_TOKENS {
            return Err(Refusal::Limit(format!(
                "The chat template has a tag of more than {MAX_TAG_TOKENS} tokens at line {line} (hubguard's \
                 limit, which keeps compiling it from overflowing the stack; real templates have under 40); split \
                 the expression with `{{% set %}}`."
            )));
        }
        for (i, (token, _)) in tag.iter().enumerate() {
            match token {
                Token::Ident(name) if *name == VALUE_CHECK || *name == ATTR_CHECK => {
                    return Err(Refusal::Limit(format!(
                        "The chat template uses the name `{name}` (line {line}), which hubguard reserves for its \
                         own checks; rename it."
                    )));
                }
                // `loop(items)` in a recursive loop binds the items again.
                Token::Ident("loop")
                    if matches!(tag.get(i + 1), Some((Token::ParenOpen, _)))
                        && !matches!(i.checked_sub(1).map(|p| &tag[p].0), Some(Token::Dot)) =>
                {
                    let args = &tag[i + 2..closing(tag, i + 1)];
                    if !args.is_empty() && top_level(args, 0, |t| matches!(t, Token::Comma)).is_none() {
                        wrap(&mut edits, args, VALUE_CHECK);
                    }
                }
                _ => {}
            }
        }
        let block_end = tokens.get(end).map(|(_, span)| *span);
        if let (Token::BlockStart, Some((Token::Ident(keyword), _)), Some(block_end)) = (start, tag.first(), block_end)
        {
            match *keyword {
                "elif" => {
                    elifs += 1;
                    if elifs > MAX_ELIFS {
                        return Err(Refusal::Limit(format!(
                            "The chat template has more than {MAX_ELIFS} `elif` branches (hubguard's limit, which \
                             keeps compiling it from overflowing the stack; real templates have under 20); use a \
                             dict lookup instead of a long chain."
                        )));
                    }
                }
                // `{% set target = value %}` (not the `{% set x %}...{% endset %}` block).
                "set" => {
                    if let Some(assign) = top_level(tag, 1, |t| matches!(t, Token::Assign)) {
                        let attr = tag[1..assign].iter().any(|(t, _)| matches!(t, Token::Dot));
                        wrap(
                            &mut edits,
                            &tag[assign + 1..],
                            if attr { ATTR_CHECK } else { VALUE_CHECK },
                        );
                    }
                }
                // `{% for target in items [if cond] [recursive] %}`.
                "for" => {
                    if let Some(within) = top_level(tag, 1, |t| matches!(t, Token::Ident("in"))) {
                        let stop = top_level(tag, within + 1, |t| matches!(t, Token::Ident("if" | "recursive")))
                            .unwrap_or(tag.len());
                        wrap(&mut edits, &tag[within + 1..stop], VALUE_CHECK);
                    }
                }
                // `{% with a = x, b = y %}`.
                "with" => {
                    let mut from = 1;
                    while let Some(assign) = top_level(tag, from, |t| matches!(t, Token::Assign)) {
                        let stop = top_level(tag, assign + 1, |t| matches!(t, Token::Comma)).unwrap_or(tag.len());
                        wrap(&mut edits, &tag[assign + 1..stop], VALUE_CHECK);
                        from = stop + 1;
                    }
                }
                // `{% macro name(params) %}` and `{% call(params) f() %}`:
                // the parameters are bound again at the start of the body.
                "macro" | "call" => {
                    let open = if *keyword == "macro" { 2 } else { 1 };
                    let names = match tag.get(open) {
                        Some((Token::ParenOpen, _)) => parameters(&tag[open + 1..closing(tag, open)]),
                        _ => Vec::new(),
                    };
                    bodies.push(MacroBody {
                        at: block_end.end_offset as usize,
                        end: &source[block_end.start_offset as usize..block_end.end_offset as usize],
                        names,
                    });
                }
                "endmacro" | "endcall" => {
                    if let Some(body) = bodies.pop() {
                        body.rebind(&mut edits);
                    }
                }
                _ => {}
            }
        }
        at = end + 1;
    }
    if edits.is_empty() {
        return Ok(source.to_owned());
    }
    edits.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(source.len() + edits.iter().map(|(_, s)| s.len()).sum::<usize>());
    let mut copied = 0;
    for (at, text) in edits {
        out.push_str(&source[copied..at]);
        out.push_str(&text);
        copied = at;
    }
    out.push_str(&source[copied..]);
    Ok(out)
}

/// A macro or call block whose body is being scanned.
struct MacroBody<'a> {
    /// Where the body starts, and how the opening tag ends (`%}`, `-%}`, `+%}`).
    at: usize,
    end: &'a str,
    /// Its parameters (minijinja has no `varargs` or `kwargs`).
    names: Vec<&'a str>,
}

impl MacroBody<'_> {
    /// `{% set p = check(p) %}` for each name, the last ending as the opening
    /// tag ends, so the whitespace after it is handled as before.
    fn rebind(self, edits: &mut Vec<(usize, String)>) {
        let count = self.names.len();
        let text: String = self
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let end = if i + 1 == count { self.end } else { "%}" };
                format!("{{% set {name} = {VALUE_CHECK}({name}) {end}")
            })
            .collect();
        if !text.is_empty() {
            edits.push((self.at, text));
        }
    }
}

/// Wrap an expression's tokens in a call to `check`.
fn wrap(edits: &mut Vec<(usize, String)>, expr: &[(Token<'_>, Span)], check: &str) {
    if let (Some((_, first)), Some((_, last))) = (expr.first(), expr.last()) {
        edits.push((first.start_offset as usize, format!("{check}((")));
        edits.push((last.end_offset as usize, "))".to_owned()));
    }
}

/// The first token from `from` on, outside brackets, that `is` accepts.
fn top_level(tag: &[(Token<'_>, Span)], from: usize, is: impl Fn(&Token<'_>) -> bool) -> Option<usize> {
    let mut depth = 0usize;
    for (i, (token, _)) in tag.iter().enumerate().skip(from) {
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => depth = depth.saturating_sub(1),
            t if depth == 0 && is(t) => return Some(i),
            _ => {}
        }
    }
    None
}

/// The index of the bracket closing the one at `open` (or the tag's end).
fn closing(tag: &[(Token<'_>, Span)], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, (token, _)) in tag.iter().enumerate().skip(open) {
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tag.len()
}

/// The names in a parameter list `a, b=default, ...`.
fn parameters<'a>(list: &[(Token<'a>, Span)]) -> Vec<&'a str> {
    let mut names = Vec::new();
    let mut expect_name = true;
    let mut depth = 0usize;
    for (token, _) in list {
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => expect_name = true,
            Token::Ident(name) if depth == 0 && expect_name => {
                names.push(*name);
                expect_name = false;
            }
            _ => expect_name = false,
        }
    }
    names
}

/// The rendered text, refused past a size.
pub struct CappedOutput {
    pub text: Vec<u8>,
    limit: usize,
    pub overflowed: bool,
}

impl CappedOutput {
    pub fn new(limit: usize) -> Self {
        CappedOutput {
            text: Vec::new(),
            limit,
            overflowed: false,
        }
    }
}

impl io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.text.len().saturating_add(buf.len()) > self.limit {
            self.overflowed = true;
            return Err(io::Error::other("the rendered chat is too large"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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

    fn rewrite(source: &str) -> String {
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .unwrap();
        match prepare(source, &syntax) {
            Ok(out) => out,
            Err(Refusal::Limit(m)) => panic!("refused: {m}"),
            Err(Refusal::Syntax(e)) => panic!("syntax: {e}"),
        }
    }

    #[test]
    fn every_binding_is_rewritten_to_pass_through_a_check() {
        assert_eq!(
            rewrite("{%- set x = [1, 2] -%}{% set ns.a = x %}{% set a, b = 1, 2 %}{% set c %}{{ x }}{% endset %}"),
            "{%- set x = __hubguard_value(([1, 2])) -%}{% set ns.a = __hubguard_attr((x)) %}\
             {% set a, b = __hubguard_value((1, 2)) %}{% set c %}{{ x }}{% endset %}"
        );
        assert_eq!(
            rewrite("{% for k, v in d|items if v recursive %}{{ loop(v.c) }}{{ loop.cycle(1, 2) }}{% endfor %}"),
            "{% for k, v in __hubguard_value((d|items)) if v recursive %}{{ loop(__hubguard_value((v.c))) }}\
             {{ loop.cycle(1, 2) }}{% endfor %}"
        );
        assert_eq!(
            rewrite("{% with a = f(x, y=1), (b, c) = [1, 2] %}{% endwith %}"),
            "{% with a = __hubguard_value((f(x, y=1))), (b, c) = __hubguard_value(([1, 2])) %}{% endwith %}"
        );
        // Parameters are bound again where the body starts, the last tag
        // ending as the opening one does (`-%}` still strips what follows).
        assert_eq!(
            rewrite("{% macro f(a, b=[1, 2]) -%}\n  {{ a }}{% endmacro %}{% call(x) f(1) %}{{ x }}{% endcall %}"),
            "{% macro f(a, b=[1, 2]) -%}{% set a = __hubguard_value(a) %}{% set b = __hubguard_value(b) -%}\n  \
             {{ a }}{% endmacro %}{% call(x) f(1) %}{% set x = __hubguard_value(x) %}{{ x }}{% endcall %}"
        );
        // Text that only looks like a binding is left alone.
        let untouched =
            "{% raw %}{% set x = 1 %}{% endraw %}{# {% set y = 2 %} #}set x = 1 {% macro g() %}{% endmacro %}";
        assert_eq!(rewrite(untouched), untouched);
    }

    #[test]
    fn templates_are_refused_before_compiling() {
        let syntax = SyntaxConfig::default();
        let refused = |source: &str| match prepare(source, &syntax) {
            Err(Refusal::Limit(m)) => m,
            _ => panic!("not refused: {source}"),
        };
        assert!(refused(&"x".repeat(MAX_TEMPLATE_BYTES + 1)).contains("256 KiB"));
        assert!(refused(&format!("a\n{{{{ {}1 }}}}", "- ".repeat(300))).contains("at line 2"));
        assert!(refused("{{ __hubguard_attr(1) }}").contains("reserves"));
        assert!(matches!(prepare("{{ 'unclosed", &syntax), Err(Refusal::Syntax(_))));
        assert!(prepare(&format!("{{{{ 1{} }}}}", "+1".repeat(127)), &syntax).is_ok());
    }

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
    fn format_padding_is_estimated_from_the_spec_only() {
        assert_eq!(format_widths("Q2024: {:>20} {0:*^30} {{literal 99}} {:.3f} {}"), 53);
        assert_eq!(format_widths("{:99999999999999999999999}"), usize::MAX);
        assert_eq!(printf_widths("2024 %5s %-10.3f %% %(name)08d %s"), 26);
    }

    #[test]
    fn the_output_refuses_what_passes_its_limit() {
        use std::io::Write;
        let mut out = CappedOutput::new(5);
        assert!(out.write_all(b"abc").is_ok());
        assert!(out.write_all(b"def").is_err());
        assert!(out.overflowed);
        assert_eq!(out.text, b"abc");
        assert_eq!(size_text(64 << 20), "64 MiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }
}
