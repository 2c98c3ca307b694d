//! `towel grad`: values and gradients against PyTorch (fixtures written by
//! `crates/autograd/tests/fixtures/gen_torch_expr.py`), the trace, DOT, and
//! errors as one line pointing at the column.

mod common;
use common::{json_of, towel};

fn stdout_of(args: &[&str]) -> String {
    common::stdout_of(towel().args(args))
}

fn error_of(args: &[&str]) -> String {
    common::one_line_error(towel().args(args))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn curriculum_example_is_cos12_times_14() {
    let v = json_of(towel().args(["grad", "sin(x**3 + 2*x)", "--at", "x=2", "--json"]));
    assert_eq!(v["value"].as_f64().unwrap(), 12f64.sin());
    let dx = v["grad"]["x"].as_f64().unwrap();
    assert!(close(dx, 12f64.cos() * 14.0), "{dx}");
}

#[test]
fn text_report() {
    let s = stdout_of(&["grad", "x*y", "--at", "x=2,y=-1.5"]);
    assert_eq!(s, "value  -3\nd/dx  -1.5\nd/dy  2\n");
}

#[test]
fn expressions_equal_pytorch() {
    let fixtures: serde_json::Value = serde_json::from_str(include_str!(
        "../../autograd/tests/fixtures/torch_expr.json"
    ))
    .unwrap();
    let cases = fixtures["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let expr = case["expr"].as_str().unwrap();
        let at = case["at"].as_str().unwrap();
        let v = json_of(towel().args(["grad", expr, "--at", at, "--json"]));
        let want = case["value"].as_f64().unwrap();
        assert!(
            close(v["value"].as_f64().unwrap(), want),
            "{expr}: {v} vs {want}"
        );
        for (name, g) in case["grad"].as_object().unwrap() {
            let got = v["grad"][name].as_f64().unwrap();
            assert!(
                close(got, g.as_f64().unwrap()),
                "{expr} d/d{name}: {got} vs {g}"
            );
        }
    }
}

#[test]
fn trace_walks_backward_from_the_root() {
    let s = stdout_of(&["grad", "x*y + x", "--at", "x=2,y=3", "--trace"]);
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines[0].starts_with("backward, in reverse topological order"),
        "{s}"
    );
    assert!(lines[1].starts_with("node"), "{s}");
    // The root first: n3 = n2 + x passes its grad 1 to both inputs.
    assert!(
        lines[2].starts_with("n3") && lines[2].contains("= n2 + x"),
        "{s}"
    );
    assert!(
        lines[4].starts_with("n2") && lines[4].contains("-> x"),
        "{s}"
    );
    assert!(s.ends_with("value  8\nd/dx  4\nd/dy  2\n"), "{s}");
    let v = json_of(towel().args(["grad", "x*y + x", "--at", "x=2,y=3", "--trace", "--json"]));
    let trace = v["trace"].as_array().unwrap();
    assert_eq!(trace[0]["node"], "n3");
    assert_eq!(trace[1]["inputs"][0]["product"], 3.0);
}

#[test]
fn dot_is_a_graph() {
    let s = stdout_of(&["grad", "tanh(w*x + b)", "--at", "w=0.5,x=2,b=-1", "--dot"]);
    assert!(s.starts_with("digraph grad {"), "{s}");
    assert!(
        s.contains("n0 -> n3;") && s.trim_end().ends_with('}'),
        "{s}"
    );
}

#[test]
fn leading_minus_is_an_expression_not_a_flag() {
    let v = json_of(towel().args(["grad", "-x**2", "--at", "x=-3", "--json"]));
    assert_eq!(v["value"], -9.0);
    assert_eq!(v["grad"]["x"], 6.0);
}

#[test]
fn non_finite_numbers_are_named_in_json() {
    // PyTorch: log(-1) = nan with gradient 1/x = -1; x/0 = inf with
    // gradient 1/0 = inf.
    let v = json_of(towel().args(["grad", "log(x)", "--at", "x=-1", "--json"]));
    assert_eq!(v["value"], "NaN");
    assert_eq!(v["grad"]["x"], -1.0);
    let v = json_of(towel().args(["grad", "x/0", "--at", "x=1", "--json", "--trace"]));
    assert_eq!(v["value"], "Infinity");
    assert_eq!(v["grad"]["x"], "Infinity");
    assert_eq!(v["trace"][0]["value"], "Infinity");
    let v = json_of(towel().args(["grad", "-x/0", "--at", "x=1", "--json"]));
    assert_eq!(v["value"], "-Infinity");
    assert_eq!(v["grad"]["x"], "-Infinity");
    assert!(stdout_of(&["grad", "x/0", "--at", "x=1"]).contains("value  inf"));
}

#[test]
fn errors_name_the_column() {
    let e = error_of(&["grad", "sin(x**3 + 2*x", "--at", "x=2"]);
    assert!(e.contains("column 15") && e.contains("`)`"), "{e}");
    let e = error_of(&["grad", "x + z", "--at", "x=2"]);
    assert!(
        e.contains("column 5") && e.contains("unknown variable `z`"),
        "{e}"
    );
    let e = error_of(&["grad", "x", "--at", "x=two"]);
    assert!(e.contains("x=two"), "{e}");
    let e = error_of(&["grad", "foo(x)", "--at", "x=1"]);
    assert!(e.contains("unknown function `foo`"), "{e}");
}

#[test]
fn tour_chapter_checks_the_curriculum_facts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let v = json_of(
        towel()
            .args([
                "--json",
                "tour",
                "--only",
                "autograd",
                "--embedded-only",
                "--out",
            ])
            .arg(&out),
    );
    let ch = &v["chapters"][0];
    assert!(ch["error"].is_null(), "{ch}");
    assert!(close(
        ch["facts"]["sin_grad"].as_f64().unwrap(),
        12f64.cos() * 14.0
    ));
    assert_eq!(ch["facts"]["nodes_no_grad"], 0);
    assert!(ch["facts"]["nodes_with_grad"].as_u64().unwrap() > 0);
    let md = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(md.contains("digraph grad {") && md.contains("### Views and copies"));
}

#[test]
fn deeply_nested_expressions_are_one_line_errors() {
    // Each of these overflowed the stack (exit 134) before the nesting cap.
    for expr in [
        format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}x{}", "sin(".repeat(10_000), ")".repeat(10_000)),
        vec!["x"; 40_000].join("+"),
        vec!["x"; 40_000].join("*"),
        "-".repeat(100_000) + "x",
    ] {
        for extra in [&[][..], &["--trace"], &["--dot"]] {
            let mut args = vec!["grad", expr.as_str(), "--at", "x=1"];
            args.extend_from_slice(extra);
            let e = error_of(&args);
            assert!(e.contains("nests more than 256 levels deep"), "{e}");
        }
    }
    // At the cap the trace and the graph are drawn.
    let sum = vec!["x"; 256].join("+");
    let v = json_of(towel().args(["grad", &sum, "--at", "x=1", "--trace", "--dot", "--json"]));
    assert_eq!(v["value"].as_f64(), Some(256.0));
    assert_eq!(v["grad"]["x"].as_f64(), Some(256.0));
}
