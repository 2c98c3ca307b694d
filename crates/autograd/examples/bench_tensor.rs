//! Tensor kernels timed on one thread: square matmul, batched matmul,
//! elementwise ops and softmax on 1M elements. Prints one JSON object of
//! median seconds per case (bench/autograd.py puts PyTorch beside it).
//!
//! ```sh
//! cargo run --release -p towel-autograd --example bench_tensor -- [RUNS]
//! ```

use std::time::Instant;

use towel_autograd::array::Array;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::{no_grad, Tensor};

fn rand(shape: &[usize], rng: &mut Rng) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect();
    Tensor::new(Array::from_vec(data, shape).unwrap())
}

fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut rng = Rng::new(0);
    let _g = no_grad();
    let mut out = Vec::new();
    // BENCH_ONLY=<prefix>: only the cases whose name starts with it.
    let only = std::env::var("BENCH_ONLY").ok();
    let skip = |name: &str| only.as_deref().is_some_and(|o| !name.starts_with(o));
    for n in [256, 512, 1024] {
        if skip("matmul") {
            continue;
        }
        let (a, b) = (rand(&[n, n], &mut rng), rand(&[n, n], &mut rng));
        let s = median_secs(runs, || drop(a.matmul(&b).unwrap()));
        out.push(format!("\"matmul {n}\": {s}"));
    }
    let (a, b) = (
        rand(&[16, 128, 128], &mut rng),
        rand(&[16, 128, 128], &mut rng),
    );
    if !skip("bmm") {
        let s = median_secs(runs, || drop(a.matmul(&b).unwrap()));
        out.push(format!("\"bmm 16x128x128\": {s}"));
    }
    let (x, y) = (rand(&[1000, 1000], &mut rng), rand(&[1000, 1000], &mut rng));
    let row = rand(&[1000], &mut rng);
    let cases: [(&str, &dyn Fn() -> Tensor); 9] = [
        ("add 1M", &|| x.add(&y).unwrap()),
        ("mul 1M", &|| x.mul(&y).unwrap()),
        ("add broadcast 1M", &|| x.add(&row).unwrap()),
        ("exp 1M", &|| x.exp()),
        ("tanh 1M", &|| x.tanh()),
        ("sigmoid 1M", &|| x.sigmoid()),
        ("gelu 1M", &|| x.gelu()),
        ("softmax 1000x1000", &|| x.softmax(-1).unwrap()),
        ("log_softmax 1000x1000", &|| x.log_softmax(-1).unwrap()),
    ];
    for (name, f) in cases {
        if skip(name) {
            continue;
        }
        let s = median_secs(runs, || drop(f()));
        out.push(format!("\"{name}\": {s}"));
    }
    println!("{{{}}}", out.join(", "));
}
