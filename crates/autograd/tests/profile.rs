//! The per-op profiler: exact call counts on a known graph, kernel plus
//! overhead equal to each row's time, and nothing recorded outside a profile.

use towel_autograd::profile::{profile, Profile, ENGINE};
use towel_autograd::tensor::{no_grad, Tensor};

fn t(shape: &[usize], seed: u32) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

/// A small MLP step: matmul, bias add, relu, matmul, cross-entropy, backward.
fn mlp_step(x: &Tensor, w1: &Tensor, b1: &Tensor, w2: &Tensor) {
    let h = x.matmul(w1).unwrap().add(b1).unwrap().relu();
    let logits = h.matmul(w2).unwrap();
    let loss = logits.cross_entropy(&[0, 1, 2, 1], None).unwrap();
    loss.backward().unwrap();
}

fn calls(p: &Profile) -> Vec<(&'static str, u64, u64)> {
    let mut c: Vec<_> = p
        .rows
        .iter()
        .map(|r| (r.op, r.forward_calls, r.backward_calls))
        .collect();
    c.sort();
    c
}

#[test]
fn counts_are_exact_on_a_known_graph() {
    let x = t(&[4, 6], 1);
    let w1 = t(&[6, 8], 2).requires_grad();
    let b1 = t(&[8], 3).requires_grad();
    let w2 = t(&[8, 3], 4).requires_grad();
    let ((), p) = profile(|| {
        for _ in 0..3 {
            mlp_step(&x, &w1, &b1, &w2);
        }
    });
    assert_eq!(
        calls(&p),
        [
            ("add", 3, 3),
            (ENGINE, 0, 3),
            ("cross_entropy", 3, 3),
            ("log_softmax", 3, 3),
            ("matmul", 6, 6),
            ("relu", 3, 3),
        ]
    );
    // Elements produced: 4·8 (matmul) + 4·3 (matmul), per step.
    assert_eq!(p.row("matmul").unwrap().forward_elements, 3 * (32 + 12));
    for r in &p.rows {
        assert_eq!(r.kernel_ns + r.overhead_ns, r.total_ns(), "{}", r.op);
    }
    let engine = p.row(ENGINE).unwrap();
    assert_eq!(engine.kernel_ns, 0, "the engine's work is all overhead");
    assert!(p.row("matmul").unwrap().kernel_ns > 0);
    let covered: u64 = p.rows.iter().map(|r| r.total_ns()).sum();
    assert_eq!(covered + p.untracked_ns, p.total_ns);
    // Sorted by total time, largest first.
    assert!(p
        .rows
        .windows(2)
        .all(|w| w[0].total_ns() >= w[1].total_ns()));
}

#[test]
fn no_grad_forward_has_no_backward_rows() {
    let x = t(&[5, 4], 7);
    let w = t(&[4, 4], 8).requires_grad();
    let (y, p) = profile(|| {
        let _g = no_grad();
        x.matmul(&w).unwrap().tanh().softmax(-1).unwrap()
    });
    assert_eq!(y.shape(), &[5, 4]);
    assert_eq!(
        calls(&p),
        [("matmul", 1, 0), ("softmax", 1, 0), ("tanh", 1, 0)]
    );
}

#[test]
fn nested_ops_are_charged_self_time() {
    // mean = sum then multiply by 1/n: three rows, each with its own call.
    let x = t(&[3, 4], 9).requires_grad();
    let ((), p) = profile(|| x.mean().backward().unwrap());
    assert_eq!(
        calls(&p),
        [(ENGINE, 0, 1), ("mean", 1, 0), ("mul", 1, 1), ("sum", 1, 1)]
    );
}

#[test]
fn nothing_is_recorded_outside_a_profile() {
    let x = t(&[3, 3], 5).requires_grad();
    x.exp().sum().backward().unwrap();
    let ((), p) = profile(|| ());
    assert!(p.rows.is_empty());
    // And a later profile does not see earlier work.
    let ((), p) = profile(|| {
        x.tanh();
    });
    assert_eq!(calls(&p), [("tanh", 1, 0)]);
}

#[test]
fn table_and_json() {
    let x = t(&[4, 6], 1);
    let w1 = t(&[6, 8], 2).requires_grad();
    let b1 = t(&[8], 3).requires_grad();
    let w2 = t(&[8, 3], 4).requires_grad();
    let ((), p) = profile(|| mlp_step(&x, &w1, &b1, &w2));
    let table = p.table();
    let header = table.lines().nth(1).unwrap();
    for col in ["op", "fwd calls", "bwd time", "kernel", "overhead", "total"] {
        assert!(header.contains(col), "{header}");
    }
    // One line per row between the rules, in the rows' order.
    let body: Vec<&str> = table.lines().skip(3).take(p.rows.len()).collect();
    for (line, row) in body.iter().zip(&p.rows) {
        assert!(line.starts_with(row.op), "{line}");
    }
    assert!(table.contains("all ops"));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), p.rows.len());
    assert!(json["total_ns"].as_u64().unwrap() > 0);
    assert!(json["rows"][0]["kernel_ns"].is_u64());
}
