//! `towel grad`: the value of an expression and every variable's gradient,
//! computed by the scalar engine of `towel-autograd`, with the backward
//! pass shown step by step (`--trace`) or drawn (`--dot`).
//!
//! ```sh
//! towel grad "sin(x**3 + 2*x)" --at x=2            # value and d/dx = cos(12)*14
//! towel grad "x*y + exp(-x)" --at x=2,y=-1.5 --trace
//! towel grad "tanh(w*x + b)" --at w=0.5,x=2,b=-1 --dot | dot -Tsvg > g.svg
//! ```
//!
//! With `--json`, a value or gradient that is not a finite number (`log(x)`
//! at x = -1, `x/0`) is written as the string `"NaN"`, `"Infinity"` or
//! `"-Infinity"`, as the protobuf JSON mapping does (JSON has no such
//! numbers; serde's default `null` would not tell them apart), which
//! Python's `float()` reads back.

use std::fmt::Write as _;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use towel_autograd::expr::{self, Graph};
use towel_autograd::scalar::{Tape, TraceStep};

use crate::output::{write_stdout, Output};

/// `towel grad`.
#[derive(Args, Debug)]
pub struct GradArgs {
    /// The expression: numbers, variables, + - * / **, parentheses, and
    /// exp, log, sin, cos, tanh, sigmoid, relu. Example: "sin(x**3 + 2*x)".
    #[arg(allow_hyphen_values = true)]
    pub expr: String,
    /// The variables' values, e.g. x=2,y=-1.5.
    #[arg(long, allow_hyphen_values = true, default_value = "")]
    pub at: String,
    /// Walk the backward pass in reverse topological order: each node's
    /// value and gradient, the local derivative to each input and the
    /// chain-rule product added to that input's gradient.
    #[arg(long)]
    pub trace: bool,
    /// Print the graph in Graphviz DOT (values and gradients in each box)
    /// instead of the text report.
    #[arg(long)]
    pub dot: bool,
}

/// Run `towel grad`.
pub fn run(args: &GradArgs, out: &Output) -> Result<()> {
    let bindings = expr::parse_bindings(&args.at)?;
    let bindings: Vec<(&str, f64)> = bindings.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let parsed = expr::parse(&args.expr)?;
    let tape = Tape::new();
    let graph = expr::build(&tape, &args.expr, &parsed, &bindings)?;
    let steps = graph.backward_trace();
    let result = graph.gradient();

    if out.json {
        let grad: serde_json::Map<String, serde_json::Value> = result
            .grad
            .iter()
            .map(|(n, g)| (n.clone(), num(*g)))
            .collect();
        let mut doc = json!({"value": num(result.value), "grad": grad});
        if args.trace {
            doc["trace"] = trace_json(&graph, &steps);
        }
        if args.dot {
            doc["dot"] = json!(graph.dot());
        }
        return out.print_json(&doc);
    }
    if args.dot {
        return write_stdout(graph.dot().as_bytes());
    }
    let mut s = String::new();
    if args.trace {
        s.push_str(&trace_text(&graph, &steps));
        s.push('\n');
    }
    writeln!(s, "value  {}", result.value)?;
    for (name, g) in &result.grad {
        writeln!(s, "d/d{name}  {g}")?;
    }
    write_stdout(s.as_bytes())
}

/// The backward pass as a table, one block per node, root first.
fn trace_text(graph: &Graph<'_>, steps: &[TraceStep]) -> String {
    let mut rows: Vec<[String; 7]> = vec![[
        "node".into(),
        "= formula".into(),
        "value".into(),
        "grad".into(),
        "-> input".into(),
        "local d".into(),
        "x grad = added".into(),
    ]];
    for step in steps {
        let mut first = [
            graph.name(step.id),
            format!("= {}", graph.formula(step.id)),
            fmt_num(step.node.data),
            fmt_num(step.node.grad),
            String::new(),
            String::new(),
            String::new(),
        ];
        for (i, input) in step.inputs.iter().enumerate() {
            let cells = [
                format!("-> {}", graph.name(input.input)),
                fmt_num(input.local),
                fmt_num(input.product),
            ];
            if i == 0 {
                first[4..].clone_from_slice(&cells);
                rows.push(first.clone());
            } else {
                let mut row: [String; 7] = Default::default();
                row[4..].clone_from_slice(&cells);
                rows.push(row);
            }
        }
        if step.inputs.is_empty() {
            rows.push(first);
        }
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::from(
        "backward, in reverse topological order (each input's grad adds local d x node grad):\n",
    );
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            // Text left-aligned, numbers right-aligned.
            if matches!(i, 2 | 3 | 5 | 6) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str("  ");
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn trace_json(graph: &Graph<'_>, steps: &[TraceStep]) -> serde_json::Value {
    steps
        .iter()
        .map(|step| {
            let inputs: Vec<_> = step
                .inputs
                .iter()
                .map(|i| {
                    json!({"node": graph.name(i.input), "local": num(i.local), "product": num(i.product)})
                })
                .collect();
            json!({
                "node": graph.name(step.id),
                "formula": graph.formula(step.id),
                "value": num(step.node.data),
                "grad": num(step.node.grad),
                "inputs": inputs,
            })
        })
        .collect()
}

/// A JSON number, or for a non-finite one the protobuf JSON mapping's
/// string (see the module docs).
fn num(v: f64) -> serde_json::Value {
    if v.is_nan() {
        json!("NaN")
    } else if v.is_infinite() {
        json!(if v > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(v)
    }
}

/// Up to 6 significant decimals, without trailing zeros.
fn fmt_num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}
