//! Upper bounds of the padding a format string asks for, so that a
//! formatting filter is refused before it allocates.

/// The widths and precisions a `str.format` string asks for, summed (an
/// upper bound of the padding it adds: `{:>20}`, `{:.5f}`, `{0:*^30}`).
pub(super) fn format_widths(format: &str) -> usize {
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
pub(super) fn printf_widths(format: &str) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_padding_is_estimated_from_the_spec_only() {
        assert_eq!(format_widths("Q2024: {:>20} {0:*^30} {{literal 99}} {:.3f} {}"), 53);
        assert_eq!(format_widths("{:99999999999999999999999}"), usize::MAX);
        assert_eq!(printf_widths("2024 %5s %-10.3f %% %(name)08d %s"), 26);
    }
}
