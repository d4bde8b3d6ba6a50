//! Whether a regex can match the empty string, as the `tokenizers` crate's
//! regex engine (fancy-regex, the wasm build's) would compile it.
//!
//! Read off fancy-regex's own syntax tree, conservatively: zero-width
//! assertions and lookarounds match empty, and so may a backreference (its
//! group may have matched nothing), a subroutine call, a conditional, `\K`
//! or `\G`, whatever they hold. A pattern fancy-regex cannot parse counts
//! as matching empty (the crate would refuse it anyway).

use fancy_regex::Expr;

pub(super) fn can_match_empty(regex: &str) -> bool {
    match Expr::parse_tree(regex) {
        Ok(tree) => nullable(&tree.expr),
        Err(_) => true,
    }
}

fn nullable(expr: &Expr) -> bool {
    match expr {
        Expr::Empty => true,
        Expr::Any { .. } => false,
        Expr::Literal { val, .. } => val.is_empty(),
        Expr::Concat(all) => all.iter().all(nullable),
        Expr::Alt(any) => any.iter().any(nullable),
        Expr::Group(inner) | Expr::AtomicGroup(inner) => nullable(inner),
        Expr::Repeat { child, lo, .. } => *lo == 0 || nullable(child),
        // A character class or escape handed to the regex crate: `size` is
        // how many characters it matches (0 only for zero-width ones).
        Expr::Delegate { size, .. } => *size == 0,
        Expr::Assertion(_)
        | Expr::LookAround(..)
        | Expr::Backref { .. }
        | Expr::BackrefWithRelativeRecursionLevel { .. }
        | Expr::KeepOut
        | Expr::ContinueFromPreviousMatchEnd
        | Expr::BackrefExistsCondition(_)
        | Expr::Conditional { .. }
        | Expr::SubroutineCall(_)
        | Expr::UnresolvedNamedSubroutineCall { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::can_match_empty;

    #[test]
    fn patterns_that_can_match_empty() {
        for regex in [
            "", "(?=.)", "(?<=a)", "\\b", "^", "$", "a*", "x?", "(a|)", "\\s*", "(?!a)", "(a*)\\1", "(?:)", "a{0,3}",
            "\\Z", "[",
        ] {
            assert!(can_match_empty(regex), "{regex:?}");
        }
    }

    #[test]
    fn patterns_that_cannot() {
        for regex in [
            " ",
            "\\s+",
            ".",
            "\\p{L}+",
            "a|b",
            "(?i)É",
            "\\d",
            "a{1,3}",
            "(a|b)c?",
            "[^\\s]",
            "(?=a)a",
            "(a)\\1",
            " ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
        ] {
            assert!(!can_match_empty(regex), "{regex:?}");
        }
    }
}
