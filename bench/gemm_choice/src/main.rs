//! Single-threaded f32 GEMM throughput of `matrixmultiply` and `gemm` on the
//! same square matrices, in one run; the output is in towel-autograd's docs.
use std::time::Instant;
fn median(mut v: Vec<f64>) -> f64 { v.sort_by(f64::total_cmp); v[v.len()/2] }
fn main() {
    for n in [256usize, 512, 1024] {
        let a: Vec<f32> = (0..n*n).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
        let b: Vec<f32> = (0..n*n).map(|i| ((i * 104729) % 1000) as f32 / 1000.0).collect();
        let mut c1 = vec![0f32; n*n];
        let mut c2 = vec![0f32; n*n];
        let reps = if n == 1024 { 5 } else { 15 };
        let mut t_mm = vec![]; let mut t_g = vec![];
        for _ in 0..reps {
            let t = Instant::now();
            unsafe { matrixmultiply::sgemm(n, n, n, 1.0, a.as_ptr(), n as isize, 1, b.as_ptr(), n as isize, 1, 0.0, c1.as_mut_ptr(), n as isize, 1); }
            t_mm.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            unsafe { gemm::gemm(n, n, n, c2.as_mut_ptr(), 1, n as isize, false, a.as_ptr(), 1, n as isize, b.as_ptr(), 1, n as isize, 0.0f32, 1.0f32, false, false, false, gemm::Parallelism::None); }
            t_g.push(t.elapsed().as_secs_f64());
        }
        let flops = 2.0 * (n as f64).powi(3);
        let diff = c1.iter().zip(&c2).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        println!("n={n} matrixmultiply {:.1} GFLOP/s  gemm {:.1} GFLOP/s  maxdiff {diff}", flops / median(t_mm) / 1e9, flops / median(t_g) / 1e9);
    }
}
