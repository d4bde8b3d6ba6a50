//! `allowPatterns` / `ignorePatterns`: which repo files a snapshot fetches.
//!
//! The rules are huggingface_hub's (`filter_repo_objects`), which uses
//! Python's `fnmatch` on POSIX: `*` matches any run of characters, `/`
//! included; `?` one character; `[seq]` / `[!seq]` a character (not) in a
//! set with `a-z` ranges; no escapes, no `{a,b}`, no `**` magic. A pattern
//! ending in `/` means everything below that folder (`dir/` → `dir/*`).
//!
//! Written here rather than taken from a glob crate: `wildmatch` has no
//! `[...]` sets, and `globset` gives `{a,b}`, `**` and backslash escapes
//! meanings `fnmatch` does not have, so the same pattern could select
//! different files in Python and here.

/// A list of patterns; a path matches the list if it matches any of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patterns(Vec<Vec<char>>);

impl Patterns {
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(patterns: I) -> Self {
        Patterns(
            patterns
                .into_iter()
                .map(|p| {
                    let p = p.as_ref();
                    let full = if p.ends_with('/') {
                        format!("{p}*")
                    } else {
                        p.to_owned()
                    };
                    full.chars().collect()
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn any_matches(&self, path: &str) -> bool {
        let path: Vec<char> = path.chars().collect();
        self.0.iter().any(|p| fnmatch(p, &path))
    }
}

/// Which files to keep: those matching `allow` (all, when `allow` is `None`)
/// and no `ignore` pattern. `Some(empty)` allows nothing, as in Python.
pub fn selected(path: &str, allow: Option<&Patterns>, ignore: &Patterns) -> bool {
    allow.map_or(true, |a| a.any_matches(path)) && !ignore.any_matches(path)
}

/// Whole-string match. `*` can only ever need to resume after the latest
/// star (it matches everything, `/` included), so one backtrack point keeps
/// this linear in practice and free of exponential blow-up.
fn fnmatch(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match class(pattern, p, text[t]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                // An unclosed '[' is a literal, as in fnmatch.
                None => (text[t] == '[').then_some(1),
            },
            Some(&c) => (c == text[t]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                p += len;
                t += 1;
            }
            (None, Some((sp, st))) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// The set starting at `pattern[open] == '['`: whether `c` is in it and the
/// set's length in the pattern, or `None` if it never closes.
fn class(pattern: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = pattern.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let first = i;
    let mut found = false;
    loop {
        let &here = pattern.get(i)?;
        // A ']' right after '[' or '[!' is a member, not the end.
        if here == ']' && i > first {
            return Some((found != negate, i + 1 - open));
        }
        match (pattern.get(i + 1), pattern.get(i + 2)) {
            (Some('-'), Some(&hi)) if hi != ']' => {
                found |= here <= c && c <= hi;
                i += 3;
            }
            _ => {
                found |= here == c;
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Patterns::new([pattern]).any_matches(path)
    }

    #[test]
    fn star_crosses_folders_like_fnmatch() {
        assert!(m("*.json", "tokenizer.json"));
        assert!(m("*.json", "sub/dir/config.json"));
        assert!(m("*", "a/b/c"));
        assert!(m("sub/*", "sub/dir/x.bin"));
        assert!(!m("*.json", "model.safetensors"));
        assert!(!m("*.json", "x.json.bak"));
        assert!(m("*a*b*c", "xxaxxbxxbxc"));
        assert!(!m("*a*b*c", "xxaxxbxxbx"));
    }

    #[test]
    fn trailing_slash_means_the_folder() {
        assert!(m("onnx/", "onnx/model.onnx"));
        assert!(m("onnx/", "onnx/sub/x"));
        assert!(!m("onnx/", "onnx"));
        assert!(!m("onnx/", "other/onnx/x"));
    }

    #[test]
    fn question_marks_and_sets() {
        assert!(m("model-0000?.bin", "model-00001.bin"));
        assert!(!m("model-0000?.bin", "model-0001.bin"));
        assert!(m("[a-c]*.txt", "b.txt"));
        assert!(!m("[a-c]*.txt", "d.txt"));
        assert!(m("[!a-c]*.txt", "d.txt"));
        assert!(!m("[!a-c]*.txt", "a.txt"));
        assert!(m("[]]x", "]x"));
        assert!(m("[!]]x", "ax"));
        assert!(m("x[-]", "x-"));
        assert!(m("[ab-]", "-"));
    }

    #[test]
    fn no_magic_beyond_fnmatch() {
        assert!(m("[unclosed", "[unclosed"));
        assert!(m("{a,b}.txt", "{a,b}.txt"));
        assert!(!m("{a,b}.txt", "a.txt"));
        assert!(m("a\\b", "a\\b"));
        assert!(m("**/x", "a/b/x"));
        assert!(!m("**/x", "x"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn long_inputs_stay_fast() {
        let path = "a".repeat(2000);
        assert!(!m(&format!("{}b", "*a".repeat(50)), &path));
    }

    #[test]
    fn allow_then_ignore() {
        let allow = Patterns::new(["*.json", "*.model"]);
        let ignore = Patterns::new(["config.json"]);
        assert!(selected("tokenizer.json", Some(&allow), &ignore));
        assert!(!selected("config.json", Some(&allow), &ignore));
        assert!(!selected("model.bin", Some(&allow), &ignore));
        assert!(selected("model.bin", None, &Patterns::default()));
        assert!(!selected("model.bin", Some(&Patterns::default()), &Patterns::default()));
    }
}
