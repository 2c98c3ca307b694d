//! The vectorized f32 kernels against f64 references, on arbitrary inputs:
//! every result within a relative 1e-6 (the ops' contract with PyTorch's
//! fixtures is 1e-5), through the dispatched loops the tensors use.

use proptest::prelude::*;
use towel_autograd::fastmath;

fn rel(got: f32, want: f64) -> f64 {
    let got = got as f64;
    if want == 0.0 {
        got.abs()
    } else {
        (got - want).abs() / want.abs()
    }
}

fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

proptest! {
    #[test]
    fn elementwise_kernels_match_f64(xs in prop::collection::vec(-20.0f32..20.0, 1..300)) {
        let exp = fastmath::map(&xs, fastmath::exp);
        let tanh = fastmath::map(&xs, fastmath::tanh);
        let sigmoid = fastmath::map(&xs, fastmath::sigmoid);
        let gelu = fastmath::map(&xs, fastmath::gelu);
        let gelu_grad = fastmath::map(&xs, fastmath::gelu_grad);
        // The tensors' GELU (the AVX-512 kernel where the CPU has it) gives
        // the same bits as the scalar function.
        let gelu_slice = fastmath::gelu_slice(&xs);
        for (i, &x) in xs.iter().enumerate() {
            prop_assert_eq!(gelu_slice[i].to_bits(), gelu[i].to_bits(), "gelu_slice({})", x);
            let xd = x as f64;
            prop_assert!(rel(exp[i], xd.exp()) < 1e-6, "exp({x})");
            prop_assert!(rel(tanh[i], xd.tanh()) < 1e-6, "tanh({x})");
            prop_assert!(rel(sigmoid[i], 1.0 / (1.0 + (-xd).exp())) < 1e-6, "sigmoid({x})");
            let want = xd * cdf(xd);
            if want.abs() < 1e-36 {
                // At the edge of f32's normal range (x < −13.1), where
                // e^(−x²/2) underflows: 0, off by less than 1e-36.
                prop_assert!((gelu[i] as f64 - want).abs() < 1e-36, "gelu({x})");
            } else {
                prop_assert!(rel(gelu[i], want) < 2e-6, "gelu({x}) = {}", gelu[i]);
            }
            let pdf = (-0.5 * xd * xd).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let want = cdf(xd) + xd * pdf;
            // Φ + xφ crosses zero near x = −0.75; compare absolutely there.
            prop_assert!((gelu_grad[i] as f64 - want).abs() < 2e-6 * want.abs().max(0.1), "gelu'({x})");
        }
    }

    #[test]
    fn softmax_rows_match_f64(
        len in 1usize..70,
        rows in 1usize..5,
        seed in any::<u64>(),
        scale in 0.1f32..30.0,
    ) {
        let mut s = seed | 1;
        let xs: Vec<f32> = (0..len * rows)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * scale
            })
            .collect();
        let sm = fastmath::softmax_rows(&xs, len, false);
        let lsm = fastmath::softmax_rows(&xs, len, true);
        for (r, row) in xs.chunks(len).enumerate() {
            let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
            let z: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
            for (j, &v) in row.iter().enumerate() {
                let p = (v as f64 - m).exp() / z;
                prop_assert!((sm[r * len + j] as f64 - p).abs() < 1e-6 * p.max(1e-30) + 1e-9);
                let lp = v as f64 - m - z.ln();
                prop_assert!((lsm[r * len + j] as f64 - lp).abs() < 1e-6 * lp.abs().max(1.0));
            }
        }
    }
}
