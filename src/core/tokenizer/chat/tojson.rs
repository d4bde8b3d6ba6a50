//! transformers' `tojson` filter, bounded: the value is checked before it
//! is serialized, and the text may not outgrow the output limit.

use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{Error as JinjaError, ErrorKind, State};

use super::super::pyjson::{dumps, DumpError, DumpOptions};
use super::super::sandbox::{self, Guard, MAX_VALUE_DEPTH};

const MAX_INDENT: usize = 64;

/// transformers' `tojson`: `json.dumps(x, ensure_ascii=False, indent=None,
/// separators=None, sort_keys=False)`; no HTML escaping. The value is
/// checked first (its nesting and size), as serializing recurses on it.
pub(super) fn tojson(
    guard: &Guard,
    state: &State,
    value: JinjaValue,
    ensure_ascii: Option<bool>,
    kwargs: Kwargs,
) -> Result<JinjaValue, JinjaError> {
    guard.check_read(state, &value)?;
    let json = serde_json::to_value(&value).map_err(|e| JinjaError::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let ensure_ascii = match kwargs.get::<Option<bool>>("ensure_ascii")? {
        Some(b) => b,
        None => ensure_ascii.unwrap_or(false),
    };
    let indent = match kwargs.get::<Option<JinjaValue>>("indent")? {
        None => None,
        Some(v) if v.is_none() => None,
        Some(v) => Some(match v.as_str() {
            Some(s) if s.len() <= MAX_INDENT => s.to_owned(),
            None if usize::try_from(v.clone()).is_ok_and(|n| n <= MAX_INDENT) => {
                " ".repeat(usize::try_from(v.clone()).unwrap_or(0))
            }
            // Bounded so a template cannot make the output explode.
            _ => {
                return Err(JinjaError::new(
                    ErrorKind::InvalidOperation,
                    "tojson: indent must be 0 to 64",
                ))
            }
        }),
    };
    let separators = match kwargs.get::<Option<Vec<String>>>("separators")? {
        Some(pair) if pair.len() == 2 => Some((pair[0].clone(), pair[1].clone())),
        Some(_) => {
            return Err(JinjaError::new(
                ErrorKind::InvalidOperation,
                "tojson: separators must be two strings",
            ))
        }
        None => None,
    };
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let max_len = guard.limits().output_bytes;
    let text = dumps(
        &json,
        &DumpOptions {
            indent,
            separators,
            sort_keys,
            ensure_ascii,
            max_depth: MAX_VALUE_DEPTH,
            max_len,
        },
    )
    .map_err(|e| {
        guard.fail(match e {
            DumpError::TooDeep => format!(
                "`tojson` was given a value nested more than {MAX_VALUE_DEPTH} levels deep (hubguard's limit); \
                 check the template."
            ),
            DumpError::TooLong => format!(
                "`tojson` would write more than {} (hubguard's limit on the rendered chat); check the \
                 template's `indent`, or render less.",
                sandbox::size_text(max_len)
            ),
        })
    })?;
    Ok(JinjaValue::from_safe_string(text))
}
