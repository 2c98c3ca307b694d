//! The training issue's digits MLP step (x[64, 64] @ w1[64, 128] + b1, relu,
//! @ w2[128, 10] + b2, cross-entropy, backward) timed and profiled per op:
//! the median step time, then the profiler's table of one step.
//!
//! ```sh
//! cargo run --release -p towel-autograd --example profile_mlp -- [STEPS]
//! ```

use std::time::Instant;

use towel_autograd::profile::profile;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;

fn rand(shape: &[usize], scale: f64, rng: &mut Rng) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n).map(|_| rng.uniform(-scale, scale) as f32).collect();
    Tensor::from_vec(data, shape).unwrap()
}

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let mut rng = Rng::new(0);
    let x = rand(&[64, 64], 1.0, &mut rng);
    let targets: Vec<i64> = (0..64).map(|i| i % 10).collect();
    let w1 = rand(&[64, 128], 0.125, &mut rng).requires_grad();
    let b1 = rand(&[128], 0.1, &mut rng).requires_grad();
    let w2 = rand(&[128, 10], 0.09, &mut rng).requires_grad();
    let b2 = rand(&[10], 0.1, &mut rng).requires_grad();
    let params = [&w1, &b1, &w2, &b2];
    let step = || {
        for p in params {
            p.zero_grad();
        }
        let h = x.matmul(&w1).unwrap().add(&b1).unwrap().relu();
        let logits = h.matmul(&w2).unwrap().add(&b2).unwrap();
        let loss = logits.cross_entropy(&targets, None).unwrap();
        loss.backward().unwrap();
    };
    for _ in 0..100 {
        step();
    }
    let mut times: Vec<f64> = (0..steps)
        .map(|_| {
            let t = Instant::now();
            step();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / steps as f64;
    println!(
        "digits MLP step (forward + backward, no optimizer): median {:.1} us, mean {:.1} us over {steps} steps",
        times[steps / 2] * 1e6,
        mean * 1e6
    );
    let ((), prof) = profile(|| {
        for _ in 0..100 {
            step()
        }
    });
    println!("profile of 100 steps:\n{}", prof.table());
}
