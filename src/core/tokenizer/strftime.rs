//! `strftime_now(format)` for chat templates (Llama-3.1 and others print
//! today's date in the system prompt).
//!
//! The core cannot read the clock (`SystemTime::now` panics in wasm32), so
//! the caller passes the local time in; this file only formats it, with the
//! C-locale names Python's `datetime.strftime` uses.

use std::fmt::Write;

use chrono::format::{Item, StrftimeItems};
use chrono::DateTime;

/// A moment as the caller's local wall clock shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Milliseconds since 1970-01-01T00:00:00 of local time (UTC plus the offset).
    pub local_ms: i64,
}

/// Python's `datetime.strftime` in the C locale, by chrono. A directive
/// chrono does not know passes through as written, as glibc does, instead
/// of failing the whole template.
pub fn strftime(format: &str, t: LocalTime) -> String {
    let Some(moment) = DateTime::from_timestamp_millis(t.local_ms).map(|d| d.naive_utc()) else {
        return format.to_owned();
    };
    let mut out = String::new();
    for piece in pieces(format) {
        let items: Vec<Item> = StrftimeItems::new(piece).collect();
        let known = !items.iter().any(|i| matches!(i, Item::Error));
        if !(known && write!(out, "{}", moment.format_with_items(items.iter())).is_ok()) {
            out.push_str(piece);
        }
    }
    out
}

/// The format cut into literal text and single `%x` directives.
fn pieces(format: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut chars = format.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '%' {
            continue;
        }
        if i > start {
            pieces.push(&format[start..i]);
        }
        // A padding flag (`%-d`, `%_H`) or `%:z` belongs to the directive.
        let mut next = chars.next();
        if let Some((_, '-' | '_' | '0' | ':')) = next {
            next = chars.next().or(next);
        }
        let end = next.map_or(format.len(), |(j, d)| j + d.len_utf8());
        pieces.push(&format[i..end]);
        start = end;
    }
    if start < format.len() {
        pieces.push(&format[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        // 2024-07-23T14:05:09 (a Tuesday), the Llama-3.1 template's format.
        let t = LocalTime {
            local_ms: 1_721_743_509_000,
        };
        assert_eq!(strftime("%d %b %Y", t), "23 Jul 2024");
        assert_eq!(
            strftime("%A %B %e %H:%M:%S %p %I %j %y %%", t),
            "Tuesday July 23 14:05:09 PM 02 205 24 %"
        );
        assert_eq!(strftime("%F %a", LocalTime { local_ms: 0 }), "1970-01-01 Thu");
        assert_eq!(
            strftime(
                "%F %j",
                LocalTime {
                    local_ms: 951_782_400_000
                }
            ),
            "2000-02-29 060"
        );
        assert_eq!(strftime("%F", LocalTime { local_ms: -86_400_000 }), "1969-12-31");
        assert_eq!(strftime("%Q %Y%", LocalTime { local_ms: 0 }), "%Q 1970%");
        assert_eq!(strftime("%-d %-m", t), "23 7");
    }
}
