//! Where a template multiplies or adds (`a * b`, `a + b`): each such
//! expression is wrapped in a call to [`TIMES_CHECK`] or [`PLUS_CHECK`],
//! found with minijinja's own parser.
//!
//! Why: `[x] * n` and `list + list` make lazy sequences, free to make and
//! charged no fuel, of up to 100 million items each (and `+` chains them
//! without end); whatever walks one (`in`, `join`, `sum`, printing) then
//! runs for seconds to minutes on a single instruction. The check refuses
//! a sequence longer than the value limit and charges fuel for its items
//! when it is made, so walking it is paid for in advance.

use minijinja::machinery::ast::{self, CallArg, Expr, Stmt};
use minijinja::machinery::{parse, Span};
use minijinja::syntax::SyntaxConfig;
use minijinja::Error;

use super::{PLUS_CHECK, TIMES_CHECK};

/// An insertion into the source: where, an order among insertions at the
/// same place (openings outermost first, closings innermost first), text.
pub(super) type Edit = (usize, usize, String);

/// The insertions that wrap every `*` and `+` of `source`. Order 0 and
/// `usize::MAX` are left to the caller's own wraps of whole expressions.
pub(super) fn edits(source: &str, syntax: &SyntaxConfig) -> Result<Vec<Edit>, Error> {
    let tree = parse(source, "<chat template>", syntax.clone())?;
    let mut edits = Vec::new();
    stmt(&tree, &mut edits);
    Ok(edits)
}

fn stmts(all: &[Stmt<'_>], edits: &mut Vec<Edit>) {
    all.iter().for_each(|s| stmt(s, edits));
}

fn stmt(s: &Stmt<'_>, edits: &mut Vec<Edit>) {
    match s {
        Stmt::Template(t) => stmts(&t.children, edits),
        Stmt::EmitExpr(x) => top(&x.expr, edits),
        Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
        Stmt::ForLoop(f) => {
            top(&f.target, edits);
            top(&f.iter, edits);
            if let Some(x) = &f.filter_expr {
                top(x, edits);
            }
            stmts(&f.body, edits);
            stmts(&f.else_body, edits);
        }
        Stmt::IfCond(i) => {
            top(&i.expr, edits);
            stmts(&i.true_body, edits);
            stmts(&i.false_body, edits);
        }
        Stmt::WithBlock(w) => {
            for (target, value) in &w.assignments {
                top(target, edits);
                top(value, edits);
            }
            stmts(&w.body, edits);
        }
        Stmt::Set(x) => {
            top(&x.target, edits);
            top(&x.expr, edits);
        }
        Stmt::SetBlock(x) => {
            if let Some(f) = &x.filter {
                top(f, edits);
            }
            stmts(&x.body, edits);
        }
        Stmt::AutoEscape(x) => {
            top(&x.enabled, edits);
            stmts(&x.body, edits);
        }
        Stmt::FilterBlock(x) => {
            top(&x.filter, edits);
            stmts(&x.body, edits);
        }
        Stmt::Block(x) => stmts(&x.body, edits),
        Stmt::Import(x) => {
            top(&x.expr, edits);
            top(&x.name, edits);
        }
        Stmt::FromImport(x) => top(&x.expr, edits),
        Stmt::Extends(x) => top(&x.name, edits),
        Stmt::Include(x) => top(&x.name, edits),
        Stmt::Macro(m) => macro_decl(m, edits),
        Stmt::CallBlock(c) => {
            call(&c.call, 1, edits);
            macro_decl(&c.macro_decl, edits);
        }
        Stmt::Do(d) => call(&d.call, 1, edits),
    }
}

/// An expression of a statement (inside the caller's wraps, if any).
fn top(x: &Expr<'_>, edits: &mut Vec<Edit>) {
    expr(x, 1, edits);
}

fn macro_decl(m: &ast::Macro<'_>, edits: &mut Vec<Edit>) {
    for x in m.args.iter().chain(&m.defaults) {
        top(x, edits);
    }
    stmts(&m.body, edits);
}

fn call(c: &ast::Call<'_>, depth: usize, edits: &mut Vec<Edit>) {
    expr(&c.expr, depth, edits);
    args(&c.args, depth, edits);
}

fn args(all: &[CallArg<'_>], depth: usize, edits: &mut Vec<Edit>) {
    for a in all {
        match a {
            CallArg::Pos(x) | CallArg::Kwarg(_, x) | CallArg::PosSplat(x) | CallArg::KwargSplat(x) => {
                expr(x, depth, edits)
            }
        }
    }
}

/// `depth`: how many wraps enclose this expression (for the order of
/// insertions at one place).
fn expr(x: &Expr<'_>, depth: usize, edits: &mut Vec<Edit>) {
    let mut sub = |y: &Expr<'_>| expr(y, depth, edits);
    match x {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(s) => {
            sub(&s.expr);
            for y in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                sub(y);
            }
        }
        Expr::UnaryOp(u) => sub(&u.expr),
        Expr::BinOp(b) => {
            let check = match b.op {
                ast::BinOpKind::Mul => Some(TIMES_CHECK),
                ast::BinOpKind::Add => Some(PLUS_CHECK),
                _ => None,
            };
            let inner = if check.is_some() { depth + 1 } else { depth };
            if let Some(check) = check {
                wrap(b.span(), depth, check, edits);
            }
            expr(&b.left, inner, edits);
            expr(&b.right, inner, edits);
        }
        Expr::Compare(c) => {
            sub(&c.expr);
            for op in &c.ops {
                expr(&op.expr, depth, edits);
            }
        }
        Expr::IfExpr(i) => {
            sub(&i.test_expr);
            sub(&i.true_expr);
            if let Some(y) = &i.false_expr {
                sub(y);
            }
        }
        Expr::Filter(f) => {
            if let Some(y) = &f.expr {
                sub(y);
            }
            args(&f.args, depth, edits);
        }
        Expr::Test(t) => {
            sub(&t.expr);
            args(&t.args, depth, edits);
        }
        Expr::GetAttr(g) => sub(&g.expr),
        Expr::GetItem(g) => {
            sub(&g.expr);
            sub(&g.subscript_expr);
        }
        Expr::Call(c) => call(c, depth, edits),
        Expr::List(l) => l.items.iter().for_each(sub),
        Expr::Tuple(t) => t.items.iter().for_each(sub),
        Expr::Map(m) => {
            for y in m.keys.iter().chain(&m.values) {
                sub(y);
            }
        }
    }
}

fn wrap(span: Span, depth: usize, check: &str, edits: &mut Vec<Edit>) {
    edits.push((span.start_offset as usize, depth, format!("{check}((")));
    edits.push((span.end_offset as usize, usize::MAX - depth, "))".to_owned()));
}

#[cfg(test)]
mod tests {
    use super::super::rewrite::{prepare, Refusal};
    use minijinja::syntax::SyntaxConfig;

    fn rewrite(source: &str) -> String {
        match prepare(source, &SyntaxConfig::default()) {
            Ok(out) => out,
            Err(Refusal::Limit(m)) => panic!("refused: {m}"),
            Err(Refusal::Syntax(e)) => panic!("syntax: {e}"),
        }
    }

    #[test]
    fn every_product_and_sum_passes_through_a_check() {
        assert_eq!(
            // (`~` binds tighter than `+` in minijinja.)
            rewrite("{{ a * b + c ~ d }}"),
            "{{ __hubguard_plus((__hubguard_times((a * b)) + c ~ d)) }}"
        );
        // Inside a binding's own check, and nested in brackets and calls.
        assert_eq!(
            rewrite("{% set x = [1] * n %}{{ f((y + 1) * 2, k=[z] + z) | join }}"),
            "{% set x = __hubguard_value((__hubguard_times(([1] * n)))) %}\
             {{ f(__hubguard_times(((__hubguard_plus((y + 1))) * 2)), k=__hubguard_plus(([z] + z))) | join }}"
        );
        // Not `-`, `/`, `%`, `**` or comparisons; nothing outside tags.
        let untouched = "{{ a - b / c % d ** e == f }} 1 + 2 {# x * y #}";
        assert_eq!(rewrite(untouched), untouched);
    }

    #[test]
    fn the_check_names_are_reserved() {
        let refused = prepare("{{ __hubguard_times([1]) }}", &SyntaxConfig::default());
        assert!(matches!(refused, Err(Refusal::Limit(m)) if m.contains("reserves")));
    }
}
