//! The expression language of `towel grad`: parse `sin(x**3 + 2*x)`,
//! evaluate it on the [scalar engine](crate::scalar), and show what
//! `backward` did.
//!
//! ```
//! use towel_autograd::expr;
//! let g = expr::gradient("x*y + exp(-x)", &[("x", 0.0), ("y", 3.0)]).unwrap();
//! assert_eq!(g.value, 1.0);
//! assert_eq!(g.grad, vec![("x".to_string(), 2.0), ("y".to_string(), 0.0)]);
//! ```
//!
//! # Grammar
//!
//! Precedence from loosest to tightest, as in Python:
//!
//! ```text
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := ("-" | "+") unary | power
//! power   := atom ("**" unary)?              right-associative: 2**3**2 = 2**9
//! atom    := number | name | name "(" sum ")" | "(" sum ")"
//! ```
//!
//! So `-x**2` is `-(x**2)` and `2**-1` is `0.5`. Numbers are decimal
//! (`2`, `.5`, `1e-3`); names start with a letter or `_`. The functions are
//! `exp`, `log`, `sin`, `cos`, `tanh`, `sigmoid` and `relu`. An exponent with
//! no variable in it becomes a constant power (micrograd's `**k`); one with a
//! variable, a power with two inputs. Every error names the 1-based
//! character column where the problem is.
//!
//! An expression may nest at most [`MAX_DEPTH`] levels deep, counting
//! parentheses, calls, signs and operators (a chain `x+x+...+x` of `n` terms
//! is `n` levels, as it is a tree of that depth): parsing, evaluating and
//! dropping an expression recurse once per level, and this bound keeps them
//! far from the end of the stack instead of crashing on hostile input.

use crate::error::{AutogradError, Result};
use crate::scalar::{Op, Tape, TraceStep, Value};

/// How deep an expression may nest (see the module docs). Python's parser
/// stops at 200 nested parentheses; 256 levels take well under a megabyte
/// of stack in the parser's and evaluator's recursion, even unoptimized.
pub const MAX_DEPTH: usize = 256;

/// A parsed expression with the column where each part starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// 1-based character column of its first character.
    pub column: usize,
}

/// The kinds of [`Expr`].
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Num(f64),
    /// A variable.
    Var(String),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b`, with `op` one of `Add`, `Sub`, `Mul`, `Div`, `PowV`.
    Binary(Op, Box<Expr>, Box<Expr>),
    /// `f(e)`, with `f` a one-input [`Op`].
    Call(Op, Box<Expr>),
}

/// The functions an expression may call, and their operations.
pub const FUNCTIONS: [(&str, Op); 7] = [
    ("exp", Op::Exp),
    ("log", Op::Log),
    ("sin", Op::Sin),
    ("cos", Op::Cos),
    ("tanh", Op::Tanh),
    ("sigmoid", Op::Sigmoid),
    ("relu", Op::Relu),
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(&'static str),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(v) => format!("number `{v}`"),
            Tok::Name(n) => format!("`{n}`"),
            Tok::Sym(s) => format!("`{s}`"),
            Tok::End => "the end".into(),
        }
    }
}

struct Parser<'a> {
    input: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// How many `unary` calls are active: every nested construct (a
    /// parenthesis, a call's argument, a sign, an exponent) passes through
    /// one, so this bounds the parser's own recursion.
    nesting: usize,
}

/// An expression and the depth of its tree, which bounds the recursion of
/// everything that walks it later (`eval`, `constant`, `Drop`).
type Parsed = (Expr, usize);

fn lex(input: &str) -> Result<Vec<(Tok, usize)>> {
    let chars: Vec<char> = input.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let v = text
                .parse::<f64>()
                .map_err(|_| parse_error(input, column, format!("`{text}` is not a number")))?;
            toks.push((Tok::Num(v), column));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push((Tok::Name(chars[start..i].iter().collect()), column));
        } else {
            let sym = match c {
                '*' if chars.get(i + 1) == Some(&'*') => "**",
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '(' => "(",
                ')' => ")",
                _ => {
                    return Err(parse_error(
                        input,
                        column,
                        format!("unexpected character `{c}`"),
                    ))
                }
            };
            i += sym.len();
            toks.push((Tok::Sym(sym), column));
        }
    }
    toks.push((Tok::End, chars.len() + 1));
    Ok(toks)
}

fn parse_error(input: &str, column: usize, message: String) -> AutogradError {
    AutogradError::Parse {
        input: input.to_string(),
        column,
        message,
    }
}

impl Parser<'_> {
    fn peek(&self) -> &(Tok, usize) {
        &self.toks[self.pos]
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(&self.peek().0, Tok::Sym(s) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error_here(&self, expected: &str) -> AutogradError {
        let (tok, column) = self.peek();
        parse_error(
            self.input,
            *column,
            format!("expected {expected}, found {}", tok.describe()),
        )
    }

    /// A node over children whose trees are `depth` deep, or the
    /// [`AutogradError::TooDeep`] error at column `at` if it would exceed
    /// [`MAX_DEPTH`] (checked as the tree grows, so a rejected tree is still
    /// shallow enough to drop).
    fn node(&self, kind: ExprKind, column: usize, depth: usize, at: usize) -> Result<Parsed> {
        if depth >= MAX_DEPTH {
            return Err(AutogradError::TooDeep {
                column: at,
                limit: MAX_DEPTH,
            });
        }
        Ok((Expr { kind, column }, depth + 1))
    }

    fn binary_chain(
        &mut self,
        ops: &[(&str, Op)],
        next: fn(&mut Self) -> Result<Parsed>,
    ) -> Result<Parsed> {
        let mut lhs = next(self)?;
        'outer: loop {
            for &(sym, op) in ops {
                if self.eat(sym) {
                    let (rhs, rhs_depth) = next(self)?;
                    let (lhs_expr, lhs_depth) = lhs;
                    let (column, at) = (lhs_expr.column, rhs.column);
                    lhs = self.node(
                        ExprKind::Binary(op, Box::new(lhs_expr), Box::new(rhs)),
                        column,
                        lhs_depth.max(rhs_depth),
                        at,
                    )?;
                    continue 'outer;
                }
            }
            return Ok(lhs);
        }
    }

    fn sum(&mut self) -> Result<Parsed> {
        self.binary_chain(&[("+", Op::Add), ("-", Op::Sub)], Self::product)
    }

    fn product(&mut self) -> Result<Parsed> {
        self.binary_chain(&[("*", Op::Mul), ("/", Op::Div)], Self::unary)
    }

    fn unary(&mut self) -> Result<Parsed> {
        let column = self.peek().1;
        if self.nesting >= MAX_DEPTH {
            return Err(AutogradError::TooDeep {
                column,
                limit: MAX_DEPTH,
            });
        }
        self.nesting += 1;
        let parsed = self.unary_inner(column);
        self.nesting -= 1;
        parsed
    }

    fn unary_inner(&mut self, column: usize) -> Result<Parsed> {
        if self.eat("-") {
            let (inner, depth) = self.unary()?;
            return self.node(ExprKind::Neg(Box::new(inner)), column, depth, column);
        }
        if self.eat("+") {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Parsed> {
        let (base, base_depth) = self.atom()?;
        if self.eat("**") {
            let (exponent, exponent_depth) = self.unary()?;
            let (column, at) = (base.column, exponent.column);
            return self.node(
                ExprKind::Binary(Op::PowV, Box::new(base), Box::new(exponent)),
                column,
                base_depth.max(exponent_depth),
                at,
            );
        }
        Ok((base, base_depth))
    }

    fn atom(&mut self) -> Result<Parsed> {
        let (tok, column) = self.peek().clone();
        match tok {
            Tok::Num(v) => {
                self.pos += 1;
                self.node(ExprKind::Num(v), column, 0, column)
            }
            Tok::Name(name) => {
                self.pos += 1;
                if !self.eat("(") {
                    return self.node(ExprKind::Var(name), column, 0, column);
                }
                let Some(&(_, op)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
                    let names: Vec<&str> = FUNCTIONS.iter().map(|(f, _)| *f).collect();
                    return Err(parse_error(
                        self.input,
                        column,
                        format!(
                            "unknown function `{name}`; the functions are {}",
                            names.join(", ")
                        ),
                    ));
                };
                let (arg, depth) = self.sum()?;
                self.close(column)?;
                self.node(ExprKind::Call(op, Box::new(arg)), column, depth, column)
            }
            Tok::Sym("(") => {
                self.pos += 1;
                let inner = self.sum()?;
                self.close(column)?;
                Ok(inner)
            }
            _ => Err(self.error_here("a number, a variable, a function or `(`")),
        }
    }

    fn close(&mut self, open_column: usize) -> Result<()> {
        if self.eat(")") {
            Ok(())
        } else {
            Err(self.error_here(&format!(
                "`)` to close the `(` opened at column {open_column}"
            )))
        }
    }
}

/// Parse an expression.
pub fn parse(input: &str) -> Result<Expr> {
    let mut p = Parser {
        input,
        toks: lex(input)?,
        pos: 0,
        nesting: 0,
    };
    let (e, _) = p.sum()?;
    if p.peek().0 != Tok::End {
        return Err(p.error_here("an operator or the end"));
    }
    Ok(e)
}

/// Parse `x=2,y=-1.5` into name/value pairs, in order.
pub fn parse_bindings(text: &str) -> Result<Vec<(String, f64)>> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let err = |message: &str| AutogradError::Binding {
            binding: part.to_string(),
            message: message.to_string(),
        };
        let (name, value) = part.split_once('=').ok_or_else(|| err("no `=`"))?;
        let name = name.trim();
        let valid = name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(err("the name is not a variable name"));
        }
        if FUNCTIONS.iter().any(|(f, _)| *f == name) {
            return Err(err("the name is a function's"));
        }
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| err("the value is not a number"))?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(err("the variable is bound twice"));
        }
        out.push((name.to_string(), value));
    }
    Ok(out)
}

/// The value of an expression with no variable, if it has none.
fn constant(e: &Expr) -> Option<f64> {
    Some(match &e.kind {
        ExprKind::Num(v) => *v,
        ExprKind::Var(_) => return None,
        ExprKind::Neg(a) => -constant(a)?,
        ExprKind::Binary(op, a, b) => crate::scalar::forward(*op, constant(a)?, constant(b)?),
        ExprKind::Call(op, a) => crate::scalar::forward(*op, constant(a)?, 0.0),
    })
}

/// An expression evaluated on a tape, with names for its leaves.
pub struct Graph<'t> {
    /// The tape holding the graph.
    pub tape: &'t Tape,
    /// The expression's value.
    pub root: Value<'t>,
    /// The variables, in binding order.
    pub vars: Vec<(String, Value<'t>)>,
    /// The name of each leaf, by node id (variables and constants).
    labels: Vec<Option<String>>,
}

/// Evaluate `e` (parsed from `input`) on `tape`, with one leaf per binding.
pub fn build<'t>(
    tape: &'t Tape,
    input: &str,
    e: &Expr,
    bindings: &[(&str, f64)],
) -> Result<Graph<'t>> {
    let vars: Vec<(String, Value<'t>)> = bindings
        .iter()
        .map(|&(n, v)| (n.to_string(), tape.var(v)))
        .collect();
    let mut labels: Vec<Option<String>> = vars.iter().map(|(n, _)| Some(n.clone())).collect();
    let root = eval(tape, input, e, &vars, &mut labels)?;
    labels.resize(tape.len(), None);
    Ok(Graph {
        tape,
        root,
        vars,
        labels,
    })
}

fn eval<'t>(
    tape: &'t Tape,
    input: &str,
    e: &Expr,
    vars: &[(String, Value<'t>)],
    labels: &mut Vec<Option<String>>,
) -> Result<Value<'t>> {
    let leaf = |v: f64, labels: &mut Vec<Option<String>>| {
        let value = tape.var(v);
        labels.resize(value.id() as usize, None);
        labels.push(Some(format!("{v}")));
        value
    };
    Ok(match &e.kind {
        ExprKind::Num(v) => leaf(*v, labels),
        ExprKind::Var(name) => match vars.iter().find(|(n, _)| n == name) {
            Some(&(_, v)) => v,
            None => {
                return Err(AutogradError::UnknownVariable {
                    input: input.to_string(),
                    column: e.column,
                    name: name.clone(),
                })
            }
        },
        ExprKind::Neg(a) => -eval(tape, input, a, vars, labels)?,
        ExprKind::Call(op, a) => {
            let a = eval(tape, input, a, vars, labels)?;
            match op {
                Op::Exp => a.exp(),
                Op::Log => a.log(),
                Op::Sin => a.sin(),
                Op::Cos => a.cos(),
                Op::Tanh => a.tanh(),
                Op::Sigmoid => a.sigmoid(),
                _ => a.relu(),
            }
        }
        ExprKind::Binary(Op::PowV, a, b) => {
            let base = eval(tape, input, a, vars, labels)?;
            match constant(b) {
                Some(k) => base.pow(k),
                None => base.powv(eval(tape, input, b, vars, labels)?),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let a = eval(tape, input, a, vars, labels)?;
            let b = eval(tape, input, b, vars, labels)?;
            match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                _ => a / b,
            }
        }
    })
}

/// The value of an expression and the gradient of each variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// The expression's value.
    pub value: f64,
    /// `(name, ∂value/∂name)` in binding order.
    pub grad: Vec<(String, f64)>,
}

/// Parse `input`, evaluate it at `bindings` and backpropagate.
pub fn gradient(input: &str, bindings: &[(&str, f64)]) -> Result<Gradient> {
    let e = parse(input)?;
    let tape = Tape::new();
    let g = build(&tape, input, &e, bindings)?;
    g.root.backward();
    Ok(g.gradient())
}

impl Graph<'_> {
    /// The value and the variables' gradients (after `backward`).
    pub fn gradient(&self) -> Gradient {
        Gradient {
            value: self.root.data(),
            grad: self
                .vars
                .iter()
                .map(|(n, v)| (n.clone(), v.grad()))
                .collect(),
        }
    }

    /// A node's name: a variable's name, a constant's value, or `n{id}`.
    pub fn name(&self, id: u32) -> String {
        match self.labels.get(id as usize) {
            Some(Some(label)) => label.clone(),
            _ => format!("n{id}"),
        }
    }

    /// How a node is computed from its inputs: `n3 + n4`, `sin(n5)`, `x ** 3`,
    /// or `variable` / `constant` for a leaf.
    pub fn formula(&self, id: u32) -> String {
        let n = self.tape.node(id);
        let (a, b) = (self.name(n.a), self.name(n.b));
        match n.op {
            Op::Leaf if (id as usize) < self.vars.len() => "variable".into(),
            Op::Leaf => "constant".into(),
            Op::Add | Op::Sub | Op::Mul | Op::Div => format!("{a} {} {b}", n.op.label()),
            Op::PowV => format!("{a} ** {b}"),
            Op::Pow(k) => format!("{a} ** {k}"),
            Op::Neg => format!("-{a}"),
            op => format!("{}({a})", op.label()),
        }
    }

    /// Backpropagate from the root and return every step (see
    /// [`Tape::backward_trace`]).
    pub fn backward_trace(&self) -> Vec<TraceStep> {
        self.tape.backward_trace(self.root)
    }

    /// The graph in Graphviz DOT: one box per node reachable from the root
    /// (name, formula, value, gradient), edges from inputs to their users.
    pub fn dot(&self) -> String {
        self.dot_with_digits(None)
    }

    /// [`Graph::dot`] with values and gradients rounded to `digits`
    /// decimals (`None`: the shortest exact form), for pictures.
    pub fn dot_with_digits(&self, digits: Option<usize>) -> String {
        let num = |v: f64| match digits {
            Some(d) => format!("{v:.d$}"),
            None => v.to_string(),
        };
        let seen = self.tape.reachable(self.root.id());
        let mut out = String::from(
            "digraph grad {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        for (id, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            let id = id as u32;
            let n = self.tape.node(id);
            let head = if n.op == Op::Leaf {
                self.name(id)
            } else {
                format!("{} = {}", self.name(id), self.formula(id))
            };
            out.push_str(&format!(
                "  n{id} [label=\"{}\\nvalue {}\\ngrad {}\"];\n",
                head.replace('"', "\\\""),
                num(n.data),
                num(n.grad)
            ));
        }
        for (id, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            let n = self.tape.node(id as u32);
            let arity = n.op.arity();
            for input in [n.a, n.b].into_iter().take(arity) {
                out.push_str(&format!("  n{input} -> n{id};\n"));
            }
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> AutogradError {
        parse(input).unwrap_err()
    }

    fn column(e: AutogradError) -> usize {
        match e {
            AutogradError::Parse { column, .. } | AutogradError::UnknownVariable { column, .. } => {
                column
            }
            other => panic!("{other:?}"),
        }
    }

    fn value(input: &str) -> f64 {
        gradient(input, &[]).unwrap().value
    }

    #[test]
    fn precedence_as_in_python() {
        assert_eq!(value("1 + 2 * 3"), 7.0);
        assert_eq!(value("-2**2"), -4.0);
        assert_eq!(value("2**3**2"), 512.0);
        assert_eq!(value("2**-1"), 0.5);
        assert_eq!(value("(1 + 2) * 3"), 9.0);
        assert_eq!(value("8 / 4 / 2"), 1.0);
        assert_eq!(value("1 - 2 - 3"), -4.0);
        assert_eq!(value("--3"), 3.0);
        assert_eq!(value("1e-3 * 1000 + .5"), 1.5);
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(column(err("sin(x**3 + 2*x")), 15);
        assert_eq!(column(err("x + * y")), 5);
        assert_eq!(column(err("foo(x)")), 1);
        assert_eq!(column(err("x $ y")), 3);
        assert_eq!(column(err("2 x")), 3);
        assert_eq!(column(err("")), 1);
        let e = gradient("x + zz", &[("x", 1.0)]).unwrap_err();
        assert_eq!(column(e.clone()), 5);
        assert!(e.to_string().contains("--at zz="), "{e}");
    }

    /// `x` nested `n` levels deep in each way an expression can nest.
    fn nested(n: usize) -> Vec<String> {
        vec![
            format!("{}x{}", "(".repeat(n), ")".repeat(n)),
            format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
            format!("{}x", "-".repeat(n)),
            format!("{}x", "+".repeat(n)),
            vec!["x"; n].join("+"),
            vec!["x"; n].join("*"),
            vec!["x"; n].join("**"),
        ]
    }

    #[test]
    fn nesting_is_capped_before_the_stack_overflows() {
        // Just under the cap: parsed, evaluated, differentiated and dropped
        // on a test thread's 2 MiB stack, unoptimized.
        for input in nested(MAX_DEPTH - 1) {
            let g = gradient(&input, &[("x", 1.0)]);
            assert!(g.is_ok(), "{}...: {g:?}", &input[..20]);
        }
        // Over it, and far over it (this overflowed the stack): a clear
        // error that does not repeat the input.
        for n in [MAX_DEPTH + 1, 100_000] {
            for input in nested(n) {
                let e = parse(&input).unwrap_err();
                assert!(
                    matches!(
                        e,
                        AutogradError::TooDeep {
                            limit: MAX_DEPTH,
                            ..
                        }
                    ),
                    "{}...: {e:?}",
                    &input[..20]
                );
                if input.starts_with("x+") {
                    // The term that goes over the limit: the 257th.
                    assert!(matches!(e, AutogradError::TooDeep { column: 513, .. }));
                }
                let msg = e.to_string();
                assert!(
                    msg.contains("more than 256 levels") && msg.len() < 300,
                    "{msg}"
                );
            }
        }
    }

    #[test]
    fn bindings() {
        assert_eq!(
            parse_bindings("x=2, y=-1.5").unwrap(),
            vec![("x".into(), 2.0), ("y".into(), -1.5)]
        );
        for bad in ["x", "x=", "1x=2", "x=1,x=2", "sin=1", "x=abc"] {
            assert!(parse_bindings(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn curriculum_example() {
        let g = gradient("sin(x**3 + 2*x)", &[("x", 2.0)]).unwrap();
        assert_eq!(g.value, 12f64.sin());
        assert!((g.grad[0].1 - 12f64.cos() * 14.0).abs() < 1e-12);
    }

    #[test]
    fn variable_exponent() {
        let g = gradient("x ** y", &[("x", 2.0), ("y", 3.0)]).unwrap();
        assert_eq!(g.value, 8.0);
        assert_eq!(g.grad[0].1, 12.0);
        assert!((g.grad[1].1 - 8.0 * 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn trace_and_dot_cover_the_reachable_graph() {
        let e = parse("x*y + x").unwrap();
        let tape = Tape::new();
        let g = build(&tape, "x*y + x", &e, &[("x", 2.0), ("y", 3.0)]).unwrap();
        let steps = g.backward_trace();
        // root, then the product, then the leaves: reverse topological order.
        let ids: Vec<u32> = steps.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![3, 2, 1, 0]);
        assert_eq!(g.formula(3), "n2 + x");
        assert_eq!(steps[1].inputs[0].product, 3.0);
        assert_eq!(g.gradient().grad[0].1, 4.0);
        let dot = g.dot();
        assert!(
            dot.contains("n0 -> n2;") && dot.contains("n2 -> n3;"),
            "{dot}"
        );
    }
}
