//! JSON text exactly as Python's `json.dumps` writes it, for the `tojson`
//! filter of chat templates.
//!
//! transformers replaces Jinja's `tojson` with `json.dumps(x,
//! ensure_ascii=False, indent=indent, separators=separators,
//! sort_keys=sort_keys)`; templates that list tools (Llama-3.1, Qwen) put
//! that text in the prompt, so spacing and key order must match byte for
//! byte. serde_json's compact or pretty output does not.

use serde_json::Value;

pub struct DumpOptions {
    /// `None`: one line. `Some(n)`: newline and n spaces per level.
    pub indent: Option<String>,
    /// `(item, key)` separators; Python's default depends on `indent`.
    pub separators: Option<(String, String)>,
    pub sort_keys: bool,
    pub ensure_ascii: bool,
    /// Arrays and objects nested deeper are refused (Python raises
    /// `RecursionError` near 1000 levels; this writer recurses too, and in
    /// wasm a stack overflow is not an exception).
    pub max_depth: usize,
    /// Output longer than this many bytes is refused (indentation can make
    /// it far larger than the value).
    pub max_len: usize,
}

/// Why `dumps` gave up.
#[derive(Debug, PartialEq, Eq)]
pub enum DumpError {
    TooDeep,
    TooLong,
}

pub fn dumps(value: &Value, options: &DumpOptions) -> Result<String, DumpError> {
    let (item_sep, key_sep) = options.separators.clone().unwrap_or_else(|| match options.indent {
        None => (", ".to_owned(), ": ".to_owned()),
        Some(_) => (",".to_owned(), ": ".to_owned()),
    });
    let mut out = String::new();
    write(value, options, &item_sep, &key_sep, 0, &mut out)?;
    Ok(out)
}

fn write(
    value: &Value,
    o: &DumpOptions,
    item_sep: &str,
    key_sep: &str,
    depth: usize,
    out: &mut String,
) -> Result<(), DumpError> {
    let newline = |out: &mut String, depth: usize| {
        if let Some(indent) = &o.indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(indent);
            }
        }
        if out.len() > o.max_len {
            return Err(DumpError::TooLong);
        }
        Ok(())
    };
    if matches!(value, Value::Array(_) | Value::Object(_)) && depth >= o.max_depth {
        return Err(DumpError::TooDeep);
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&python_number(n)),
        Value::String(s) => string(s, o.ensure_ascii, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1)?;
                write(item, o, item_sep, key_sep, depth + 1, out)?;
            }
            newline(out, depth)?;
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            if o.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1)?;
                string(key, o.ensure_ascii, out);
                out.push_str(key_sep);
                write(item, o, item_sep, key_sep, depth + 1, out)?;
            }
            newline(out, depth)?;
            out.push('}');
        }
    }
    if out.len() > o.max_len {
        return Err(DumpError::TooLong);
    }
    Ok(())
}

/// Integers as they are; floats as Python's `repr` (`1.0`, `1e-05`, `1e+20`).
fn python_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Rust's shortest `{:e}` gives "1e-5"; Python pads the exponent to two digits and signs it.
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let s = format!("{f:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

fn string(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain() -> DumpOptions {
        DumpOptions {
            indent: None,
            separators: None,
            sort_keys: false,
            ensure_ascii: false,
            max_depth: 128,
            max_len: 1 << 20,
        }
    }

    #[test]
    fn matches_python_defaults() {
        let v = json!({"b": [1, 2.5, 1.0, 1e-5, null, true], "a": "é\n\"", "c": {}});
        assert_eq!(
            dumps(&v, &plain()).unwrap(),
            r#"{"b": [1, 2.5, 1.0, 1e-05, null, true], "a": "é\n\"", "c": {}}"#
        );
        let o = DumpOptions {
            indent: Some("  ".into()),
            sort_keys: true,
            ensure_ascii: true,
            ..plain()
        };
        assert_eq!(
            dumps(&json!({"b": [1], "a": "é😀"}), &o).unwrap(),
            "{\n  \"a\": \"\\u00e9\\ud83d\\ude00\",\n  \"b\": [\n    1\n  ]\n}"
        );
    }

    #[test]
    fn deep_or_huge_output_is_refused_not_a_crash() {
        // Nested far beyond the limit: refused before the writer recurses.
        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        assert_eq!(dumps(&deep, &plain()), Err(DumpError::TooDeep));
        let mut ok = json!(1);
        for _ in 0..128 {
            ok = json!([ok]);
        }
        assert!(dumps(&ok, &plain()).is_ok());
        // Indentation multiplies the output: bounded while it is written.
        let o = DumpOptions {
            indent: Some(" ".repeat(64)),
            max_len: 10_000,
            ..plain()
        };
        let wide = Value::Array(vec![json!([[[[[1]]]]]); 50]);
        assert_eq!(dumps(&wide, &o), Err(DumpError::TooLong));
        assert_eq!(dumps(&json!("x".repeat(20_000)), &plain()).unwrap().len(), 20_002);
        assert_eq!(
            dumps(
                &json!("x".repeat(20_000)),
                &DumpOptions {
                    max_len: 10_000,
                    ..plain()
                }
            ),
            Err(DumpError::TooLong)
        );
    }
}
