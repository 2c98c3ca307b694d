//! Forward + backward of micrograd's demo loss (MLP(2, [16, 16, 1]) on 100
//! two-moons points) on the flat tape and on the literal `Rc` translation
//! of micrograd (`tests/naive_scalar.rs`). Prints one JSON line with the
//! median seconds of each.
//!
//! ```sh
//! cargo run --release -p towel-autograd --example bench_scalar -- [RUNS]
//! ```

#[path = "../tests/naive_scalar.rs"]
#[allow(dead_code)] // the example uses a few of its operations
mod naive;

use std::time::Instant;

use naive::Naive;
use towel_autograd::nn::{make_moons, svm_loss, Mlp};
use towel_autograd::rng::Rng;
use towel_autograd::scalar::Tape;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The demo's loss on the naive engine, with the same weights as `model`.
fn naive_step(weights: &[Vec<(Vec<f64>, f64)>], x: &[[f64; 2]], y: &[f64]) -> f64 {
    let params: Vec<Vec<(Vec<Naive>, Naive)>> = weights
        .iter()
        .map(|layer| {
            layer
                .iter()
                .map(|(w, b)| (w.iter().map(|&v| Naive::new(v)).collect(), Naive::new(*b)))
                .collect()
        })
        .collect();
    let mut total = Naive::new(0.0);
    for (xi, &yi) in x.iter().zip(y) {
        let mut act: Vec<Naive> = xi.iter().map(|&v| Naive::new(v)).collect();
        for (li, layer) in params.iter().enumerate() {
            act = layer
                .iter()
                .map(|(w, b)| {
                    let s = w
                        .iter()
                        .zip(&act)
                        .fold(b.clone(), |acc, (wi, xi)| acc.add(&wi.mul(xi)));
                    if li + 1 < params.len() {
                        s.relu()
                    } else {
                        s
                    }
                })
                .collect();
        }
        let margin = Naive::new(1.0).add(&Naive::new(-yi).mul(&act[0])).relu();
        total = total.add(&margin);
    }
    let mut reg = Naive::new(0.0);
    for (w, b) in params.iter().flatten() {
        for p in w.iter().chain(std::iter::once(b)) {
            reg = reg.add(&p.mul(p));
        }
    }
    let loss = total
        .mul(&Naive::new(1.0 / x.len() as f64))
        .add(&Naive::new(1e-4).mul(&reg));
    loss.backward();
    loss.data()
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let tape = Tape::new();
    let mut rng = Rng::new(1337);
    let (x, y) = make_moons(100, 0.1, &mut rng);
    let model = Mlp::new(&tape, 2, &[16, 16, 1], &mut rng);
    let weights: Vec<Vec<(Vec<f64>, f64)>> = model
        .layers
        .iter()
        .map(|l| {
            l.neurons
                .iter()
                .map(|n| (n.w.iter().map(|w| w.data()).collect(), n.b.data()))
                .collect()
        })
        .collect();
    let mark = tape.len();
    let (mut tape_s, mut naive_s) = (Vec::new(), Vec::new());
    let (mut tape_loss, mut naive_loss) = (0.0, 0.0);
    for _ in 0..runs {
        let t = Instant::now();
        let (loss, _) = svm_loss(&model, &x, &y);
        loss.backward();
        tape_loss = loss.data();
        tape.truncate(mark);
        tape_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        naive_loss = naive_step(&weights, &x, &y);
        naive_s.push(t.elapsed().as_secs_f64());
    }
    let nodes = {
        let (loss, _) = svm_loss(&model, &x, &y);
        loss.id() as usize + 1 - mark
    };
    println!(
        "{{\"nodes\": {nodes}, \"tape_s\": {}, \"rc_s\": {}, \"tape_loss\": {tape_loss}, \"rc_loss\": {naive_loss}}}",
        median(tape_s),
        median(naive_s)
    );
}
