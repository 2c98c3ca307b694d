//! Truncated SVD: singular values against numpy (`tests/fixtures/gen_svd.py`),
//! the randomized SVD against the exact one, and Eckart–Young as a property.

use std::path::Path;

use proptest::prelude::*;
use towel_vectors::faer::Mat;
use towel_vectors::read_npy;
use towel_vectors::svd::{
    gram_singular_values, low_rank_plus_noise, randomized_svd, residual_sq, singular_values, svd,
    tail_sq, Operator, RandomizedSvd, SparseMatrix, Svd,
};

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/svd")
}

fn load(name: &str) -> Mat<f64> {
    let v = read_npy(&fixture_dir().join(format!("{name}.npy"))).unwrap();
    Mat::from_fn(v.len(), v.dim(), |i, j| v.row(i)[j] as f64)
}

fn numpy_values() -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(fixture_dir().join("singular_values.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}: σ{i} = {g}, numpy {w}");
    }
}

#[test]
fn singular_values_equal_numpys() {
    let all = numpy_values();
    assert_eq!(all.len(), 5);
    for (name, want) in &all {
        let want: Vec<f64> = serde_json::from_value(want.clone()).unwrap();
        let a = load(name);
        let tol = 1e-12 * want[0];
        assert_close(&singular_values(a.as_ref()).unwrap(), &want, tol, name);
        // the decomposition with vectors gives the same values, and rebuilds A
        let d = svd(a.as_ref()).unwrap();
        assert_close(&d.s, &want, tol, name);
        let err = (&a - d.reconstruct()).norm_l2();
        assert!(err < 1e-12 * want[0], "{name}: ‖A − UΣVᵀ‖ = {err}");
        // U and V have orthonormal columns
        let k = d.rank();
        for m in [&d.u, &d.v] {
            let g = m.transpose() * m;
            let off = (&g - Mat::<f64>::identity(k, k)).norm_l2();
            assert!(off < 1e-12, "{name}: ‖UᵀU − I‖ = {off}");
        }
    }
}

#[test]
fn randomized_svd_finds_numpys_leading_values() {
    let all = numpy_values();
    for (name, r) in [
        ("lowrank_60x45_r6", 6),
        ("gaussian_30x20", 8),
        ("wide_12x40", 5),
    ] {
        let want: Vec<f64> = serde_json::from_value(all[name].clone()).unwrap();
        let a = load(name);
        let mut p = RandomizedSvd::new(r);
        // a flat Gaussian spectrum needs more power iterations
        p.power_iters = 30;
        let got = randomized_svd(&a, &p).unwrap();
        assert_close(&got.s, &want[..r], 1e-8 * want[0], name);
        // and its error is the tail of numpy's values (Eckart–Young)
        let tail = tail_sq(&want, r);
        let err = residual_sq(&a, &got);
        assert!(
            (err - tail).abs() <= 1e-8 * a.frobenius_sq(),
            "{name}: error {err}, tail {tail}"
        );
    }
}

#[test]
fn sparse_and_dense_operators_agree() {
    // the 6 × 5 fixture as CSR, with its zero row
    let a = load("repeated_6x5");
    let (mut indptr, mut indices, mut data) = (vec![0], vec![], vec![]);
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            if a[(i, j)] != 0.0 {
                indices.push(j as u32);
                data.push(a[(i, j)]);
            }
        }
        indptr.push(data.len());
    }
    let s = SparseMatrix::from_csr(5, indptr, indices, data).unwrap();
    assert_eq!((s.nrows(), s.ncols(), s.nnz()), (6, 5, 6));
    assert!((s.frobenius_sq() - 11.25).abs() < 1e-12);
    assert!((a.frobenius_sq() - 11.25).abs() < 1e-12);
    let x = Mat::from_fn(5, 3, |i, j| (i * 3 + j) as f64 - 4.0);
    assert!((s.mul(x.as_ref()) - a.mul(x.as_ref())).norm_l2() < 1e-12);
    let y = Mat::from_fn(6, 2, |i, j| (i + 2 * j) as f64 * 0.5);
    assert!((s.mul_t(y.as_ref()) - a.mul_t(y.as_ref())).norm_l2() < 1e-12);
    let rs = randomized_svd(&s, &RandomizedSvd::new(3)).unwrap();
    let rd = randomized_svd(&a, &RandomizedSvd::new(3)).unwrap();
    assert_close(&rs.s, &rd.s, 1e-12, "sparse vs dense");
    // σ = √6 (rows 0, 1 and 5 on the first two columns), then 2 and 1
    assert_close(&rs.s, &[6f64.sqrt(), 2.0, 1.0], 1e-12, "repeated_6x5");
    // every singular value through the Gram matrix AᵀA (5 × 5)
    let all = gram_singular_values(&s).unwrap();
    assert_close(&all, &[6f64.sqrt(), 2.0, 1.0, 0.5, 0.0], 1e-7, "gram");
}

fn sparse(a: &Mat<f64>) -> SparseMatrix {
    let (mut indptr, mut indices, mut data) = (vec![0], vec![], vec![]);
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            if a[(i, j)] != 0.0 {
                indices.push(j as u32);
                data.push(a[(i, j)]);
            }
        }
        indptr.push(data.len());
    }
    SparseMatrix::from_csr(a.ncols(), indptr, indices, data).unwrap()
}

#[test]
fn gram_squares_equal_numpys() {
    let all = numpy_values();
    for (name, want) in &all {
        let want: Vec<f64> = serde_json::from_value(want.clone()).unwrap();
        let got = gram_singular_values(&sparse(&load(name))).unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        // σ² is accurate to rounding of σ₁², and so is every tail
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g * g - w * w).abs() < 1e-12 * want[0] * want[0],
                "{name}: {g} vs {w}"
            );
        }
        for r in 0..want.len() {
            assert!((tail_sq(&got, r) - tail_sq(&want, r)).abs() < 1e-12 * want[0] * want[0]);
        }
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let a = Mat::from_fn(4, 3, |i, j| (i + j) as f64);
    for r in [0, 4] {
        let e = randomized_svd(&a, &RandomizedSvd::new(r)).unwrap_err();
        assert!(
            e.to_string()
                .contains("between 1 and min(rows, columns) = 3"),
            "{e}"
        );
    }
    let mut nan = a.clone();
    nan[(1, 2)] = f64::NAN;
    let e = singular_values(nan.as_ref()).unwrap_err();
    assert!(e.to_string().contains("value (1, 2) is NaN"), "{e}");
    for (indptr, indices, data, msg) in [
        (vec![1, 1], vec![], vec![], "start with 0"),
        (vec![0, 2, 1], vec![0, 1], vec![1.0, 1.0], "not decrease"),
        (
            vec![0, 1],
            vec![7],
            vec![1.0],
            "column 7 is outside the 3 columns",
        ),
        (vec![0, 2], vec![0], vec![1.0], "indptr ends at 2"),
        (vec![0, 1], vec![0], vec![f64::INFINITY], "NaN or infinite"),
    ] {
        let e = SparseMatrix::from_csr(3, indptr, indices, data).unwrap_err();
        assert!(e.to_string().contains(msg), "{e}");
    }
    // empty matrices have no singular values
    assert!(singular_values(Mat::<f64>::zeros(0, 3).as_ref())
        .unwrap()
        .is_empty());
}

/// `‖A − Q Qᵀ A‖_F²` for `Q` an orthonormal basis of a random
/// `r`-dimensional subspace: another rank-`r` approximation of `A`.
fn random_projection_error(a: &Mat<f64>, r: usize, seed: u64) -> f64 {
    let g = towel_vectors::random::gaussian(a.nrows(), r, seed).unwrap();
    let g = Mat::from_fn(a.nrows(), r, |i, j| g.row(i)[j] as f64);
    let q = g.qr().compute_thin_Q();
    let approx = &q * (q.transpose() * a);
    let e = (a - approx).norm_l2();
    e * e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Eckart–Young on random low-rank-plus-noise matrices: the truncated
    /// SVD's error is the tail of the singular values, and another rank-r
    /// approximation (projection on a random subspace) is never better.
    #[test]
    fn eckart_young(m in 2usize..40, n in 2usize..40, rank in 0usize..8, noise in 0.0f64..1.0, seed in 0u64..1000, r_frac in 0.0f64..1.0) {
        let rank = rank.min(m.min(n));
        let a = low_rank_plus_noise(m, n, rank, noise, seed).unwrap();
        let d = svd(a.as_ref()).unwrap();
        let r = ((r_frac * m.min(n) as f64) as usize).max(1);
        let best = d.truncate(r);
        let direct = {
            let e = (&a - best.reconstruct()).norm_l2();
            e * e
        };
        let tail = tail_sq(&d.s, r);
        let scale = a.frobenius_sq().max(1e-300);
        prop_assert!((direct - tail).abs() <= 1e-10 * scale, "direct {} tail {}", direct, tail);
        prop_assert!((residual_sq(&a, &best) - tail).abs() <= 1e-10 * scale);
        prop_assert!(random_projection_error(&a, r, seed) >= tail - 1e-10 * scale);
        // truncating never increases a singular value, and Σσ² = ‖A‖²
        let sum: f64 = d.s.iter().map(|s| s * s).sum();
        prop_assert!((sum - a.frobenius_sq()).abs() <= 1e-10 * scale);
    }

    /// The randomized SVD never reports a singular value above the exact
    /// one, and its error is never below the tail.
    #[test]
    fn randomized_is_bounded_by_exact(m in 5usize..30, n in 5usize..30, r in 1usize..5, seed in 0u64..1000) {
        let a = low_rank_plus_noise(m, n, 3, 0.3, seed).unwrap();
        let exact = singular_values(a.as_ref()).unwrap();
        let mut p = RandomizedSvd::new(r);
        p.power_iters = 0;
        p.oversample = 0;
        p.seed = seed;
        let got: Svd = randomized_svd(&a, &p).unwrap();
        let scale = a.frobenius_sq();
        for (g, e) in got.s.iter().zip(&exact) {
            prop_assert!(*g <= e + 1e-10 * exact[0]);
        }
        prop_assert!(residual_sq(&a, &got) >= tail_sq(&exact, r) - 1e-10 * scale);
    }
}
