//! Similarity functions against straightforward float64 references.

use proptest::prelude::*;
use towel_vectors::*;

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

/// Deterministic standard-normal-ish values (sum of uniforms), no rand crate needed.
fn gaussian(seed: u64, n: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| ((0..12).map(|_| next()).sum::<f64>() - 6.0) as f32)
        .collect()
}

fn close(x: f32, y: f64, scale: f64) -> bool {
    (x as f64 - y).abs() <= 1e-5 * scale.max(1e-30) + 1e-6
}

#[test]
fn small_known_values() {
    assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
    assert_eq!(norm(&[3.0, 4.0]), 5.0);
    assert_eq!(l2_sq(&[1.0, 1.0], &[4.0, 5.0]), 25.0);
    assert_eq!(l2(&[1.0, 1.0], &[4.0, 5.0]), 5.0);
    assert_eq!(dot(&[], &[]), 0.0);
    assert_eq!(cosine(&[2.0, 0.0], &[0.0, 3.0]).unwrap(), 0.0);
    assert_eq!(cosine(&[2.0, 0.0], &[-5.0, 0.0]).unwrap(), -1.0);
}

#[test]
fn vectors_hold_whole_rows() {
    let err = Vectors::new(vec![1.0; 5], 2).unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid vectors: 5 values are not a whole number of vectors of dimension 2"
    );
    assert!(Vectors::new(vec![], 0).is_err());
}

#[test]
#[should_panic(expected = "different lengths")]
fn different_lengths_panic() {
    dot(&[1.0], &[1.0, 2.0]);
}

#[test]
fn zero_vectors_are_errors_not_nan() {
    let z = [0.0f32; 5];
    assert!(matches!(
        cosine(&z, &[1.0; 5]),
        Err(VectorError::ZeroVector { .. })
    ));
    assert!(normalize(&z).is_err());
    let mut zz = z;
    assert!(normalize_in_place(&mut zz).is_err());
    assert_eq!(zz, z);
    assert!(normalize(&[f32::INFINITY, 1.0]).is_err());
    assert!(normalize(&[f32::NAN, 1.0]).is_err());

    let mut v = Vectors::new(vec![1.0, 0.0, 0.0, 0.0, 0.0, 2.0], 2).unwrap();
    let before = v.clone();
    let err = normalize_rows(&mut v).unwrap_err();
    assert!(err.to_string().contains("row 1"), "{err}");
    assert_eq!(v, before, "left unchanged");
    let err = cosines(&[1.0, 1.0], &before).unwrap_err();
    assert!(err.to_string().contains("row 1"), "{err}");
    assert!(cosines(&[0.0, 0.0], &before).is_err());
}

#[test]
fn normalize_copy_and_in_place_agree_with_numpy_division() {
    let a = gaussian(3, 384);
    let n = norm(&a);
    let want: Vec<f32> = a.iter().map(|x| x / n).collect();
    assert_eq!(normalize(&a).unwrap(), want);
    let mut b = a.clone();
    assert_eq!(normalize_in_place(&mut b).unwrap(), n);
    assert_eq!(b, want);
    assert!((norm(&b) - 1.0).abs() < 1e-6);
}

#[test]
fn batches_equal_single_calls() {
    let d = 37;
    let v = Vectors::new(gaussian(1, 50 * d), d).unwrap();
    let q = gaussian(2, d);
    let dots_ = dots(&q, &v);
    let l2s = l2_sqs(&q, &v);
    let cos = cosines(&q, &v).unwrap();
    let ns = norms(&v);
    for (i, r) in v.rows().enumerate() {
        assert_eq!(dots_[i], dot(&q, r));
        assert_eq!(l2s[i], l2_sq(&q, r));
        assert_eq!(cos[i], cosine(&q, r).unwrap());
        assert_eq!(ns[i], norm(r));
    }
    let mut u = v.clone();
    normalize_rows(&mut u).unwrap();
    for (i, r) in u.rows().enumerate() {
        assert_eq!(r, normalize(v.row(i)).unwrap().as_slice());
    }
}

/// Measures the accumulation error that the `similarity` module docs quote.
#[test]
fn accuracy_against_f64() {
    for (dim, bound) in [(384usize, 1e-7f64), (4096, 1e-7)] {
        let (mut worst, mut worst_seq, mut mean) = (0f64, 0f64, 0f64);
        let pairs = 2000;
        for p in 0..pairs {
            let a = gaussian(2 * p as u64 + 10, dim);
            let b = gaussian(2 * p as u64 + 11, dim);
            let exact = dot64(&a, &b);
            let scale: f64 = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| (x as f64 * y as f64).abs())
                .sum();
            let seq = a.iter().zip(&b).fold(0f32, |s, (x, y)| s + x * y);
            let e = (dot(&a, &b) as f64 - exact).abs() / scale;
            worst = worst.max(e);
            mean += e / pairs as f64;
            worst_seq = worst_seq.max((seq as f64 - exact).abs() / scale);
        }
        eprintln!(
            "dim {dim}: max error {worst:.2e} (mean {mean:.2e}) of sum|ab|; left-to-right float32 {worst_seq:.2e}"
        );
        assert!(worst < bound, "dim {dim}: {worst:.2e}");
        assert!(worst <= worst_seq);
    }
}

proptest! {
    #[test]
    fn against_f64_reference(
        (a, b) in (0usize..70).prop_flat_map(|n| (
            prop::collection::vec(-1e3f32..1e3, n),
            prop::collection::vec(-1e3f32..1e3, n),
        ))
    ) {
        let scale: f64 = a.iter().zip(&b).map(|(&x, &y)| (x as f64 * y as f64).abs()).sum();
        prop_assert!(close(dot(&a, &b), dot64(&a, &b), scale));
        let n2: f64 = a.iter().map(|&x| x as f64 * x as f64).sum();
        prop_assert!(close(norm_sq(&a), n2, n2));
        prop_assert!(close(norm(&a), n2.sqrt(), n2.sqrt()));
        let d2: f64 = a.iter().zip(&b).map(|(&x, &y)| (x as f64 - y as f64).powi(2)).sum();
        prop_assert!(close(l2_sq(&a, &b), d2, d2));
        let nb: f64 = b.iter().map(|&x| x as f64 * x as f64).sum();
        match cosine(&a, &b) {
            Ok(c) => {
                let want = dot64(&a, &b) / (n2.sqrt() * nb.sqrt());
                prop_assert!((c as f64 - want).abs() < 1e-4, "{} vs {}", c, want);
                prop_assert!(c.is_finite());
            }
            Err(_) => prop_assert!(n2 == 0.0 || nb == 0.0),
        }
        if let Ok(u) = normalize(&a) {
            prop_assert!((norm(&u) - 1.0).abs() < 1e-5);
        }
    }
}

#[test]
fn random_vectors_are_standard_normal_and_reproducible() {
    let v = towel_vectors::random::gaussian(1000, 101, 7).unwrap();
    assert_eq!((v.len(), v.dim()), (1000, 101));
    let n = v.as_slice().len() as f64;
    let mean = v.as_slice().iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v
        .as_slice()
        .iter()
        .map(|&x| (x as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!(
        mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
        "{mean} {var}"
    );
    assert_eq!(v, towel_vectors::random::gaussian(1000, 101, 7).unwrap());
    assert_ne!(v, towel_vectors::random::gaussian(1000, 101, 8).unwrap());
    assert!(towel_vectors::random::gaussian(usize::MAX, 2, 0).is_err());
    assert!(towel_vectors::random::gaussian(3, 0, 0).is_err());
}
