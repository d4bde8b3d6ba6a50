//! The template's source checked and rewritten before it compiles, with
//! minijinja's own lexer: every binding made to pass its value through a
//! check (see the module docs in mod.rs).

use minijinja::machinery::{tokenize, Span, Token};
use minijinja::syntax::SyntaxConfig;
use minijinja::Error;

use super::*;

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
    // (offset, order among edits at one offset, text): a wrap opens first
    // and closes last around what it wraps.
    let mut edits: Vec<(usize, usize, String)> = super::operators::edits(source, syntax).map_err(Refusal::Syntax)?;
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
                Token::Ident(name) if RESERVED.contains(name) => {
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
    edits.sort_by_key(|(at, order, _)| (*at, *order));
    let mut out = String::with_capacity(source.len() + edits.iter().map(|(_, _, s)| s.len()).sum::<usize>());
    let mut copied = 0;
    for (at, _, text) in edits {
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
    fn rebind(self, edits: &mut Vec<(usize, usize, String)>) {
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
            edits.push((self.at, 0, text));
        }
    }
}

/// Wrap an expression's tokens in a call to `check` (outside any wrap of
/// the operators in it).
fn wrap(edits: &mut Vec<(usize, usize, String)>, expr: &[(Token<'_>, Span)], check: &str) {
    if let (Some((_, first)), Some((_, last))) = (expr.first(), expr.last()) {
        edits.push((first.start_offset as usize, 0, format!("{check}((")));
        edits.push((last.end_offset as usize, usize::MAX, "))".to_owned()));
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
}
