//! Single-threaded f32 GEMM throughput of `matrixmultiply` and `gemm` (with
//! its `x86-v4` AVX-512 kernels) on the same matrices, in one run: the
//! square sizes of bench/autograd.py and the small shapes of a digits MLP
//! step (forward and both backward products, with transposed operands).
//! The output is in towel-autograd's docs ("Dependencies, and why").
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (m, k, n, lhs transposed, rhs transposed)
fn case(m: usize, k: usize, n: usize, ta: bool, tb: bool, reps: usize) {
    let a: Vec<f32> = (0..m * k).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| ((i * 104729) % 1000) as f32 / 1000.0).collect();
    // a is m×k: stored row-major, or (ta) as the transpose of a k×m row-major matrix.
    let (ars, acs) = if ta { (1, m) } else { (k, 1) };
    let (brs, bcs) = if tb { (1, k) } else { (n, 1) };
    let mut c1 = vec![0f32; m * n];
    let mut c2 = vec![0f32; m * n];
    let (mut t_mm, mut t_g) = (vec![], vec![]);
    for _ in 0..reps {
        let t = Instant::now();
        unsafe {
            matrixmultiply::sgemm(
                m, k, n, 1.0, a.as_ptr(), ars as isize, acs as isize, b.as_ptr(), brs as isize,
                bcs as isize, 0.0, c1.as_mut_ptr(), n as isize, 1,
            );
        }
        t_mm.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        unsafe {
            gemm::gemm(
                m, n, k, c2.as_mut_ptr(), 1, n as isize, false, a.as_ptr(), acs as isize,
                ars as isize, b.as_ptr(), bcs as isize, brs as isize, 0.0f32, 1.0f32, false,
                false, false, gemm::Parallelism::None,
            );
        }
        t_g.push(t.elapsed().as_secs_f64());
    }
    let flops = 2.0 * (m * k * n) as f64;
    let diff = c1.iter().zip(&c2).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    let (tm, tg) = (median(t_mm), median(t_g));
    println!(
        "{m}x{k} @ {k}x{n}{}{}: matrixmultiply {:.1} GFLOP/s ({:.2} us), gemm {:.1} GFLOP/s ({:.2} us), maxdiff {diff}",
        if ta { " (lhs^T)" } else { "" },
        if tb { " (rhs^T)" } else { "" },
        flops / tm / 1e9,
        tm * 1e6,
        flops / tg / 1e9,
        tg * 1e6
    );
}

fn main() {
    for n in [256usize, 512, 1024] {
        case(n, n, n, false, false, if n == 1024 { 7 } else { 21 });
    }
    case(128, 128, 128, false, false, 51);
    // digits MLP: x[64,64] @ w1[64,128], h[64,128] @ w2[128,10], and backward.
    case(64, 64, 128, false, false, 501);
    case(64, 128, 10, false, false, 501);
    case(64, 10, 128, false, true, 501); // g2 @ w2^T
    case(128, 64, 10, true, false, 501); // h^T @ g2
    case(64, 128, 64, false, true, 501); // g1 @ w1^T
    case(64, 64, 128, true, false, 501); // x^T @ g1
}
