//! The matrix product behind batch search, behind a safe signature.

/// `c[i·n + j] = Σₜ a[i·d + t] · b[j·d + t]`: `C = A Bᵀ` for row-major
/// `A` (`m × d`) and `B` (`n × d`), with `m = a.len() / d`, `n = b.len() / d`.
///
/// Panics unless `d > 0`, `a` and `b` hold whole rows and `c.len() == m·n`.
#[allow(unsafe_code)]
pub(crate) fn gemm_abt(a: &[f32], b: &[f32], d: usize, c: &mut [f32]) {
    assert!(d > 0 && a.len().is_multiple_of(d) && b.len().is_multiple_of(d));
    let (m, n) = (a.len() / d, b.len() / d);
    assert_eq!(c.len(), m * n);
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: gemm reads A at a + i·d + t (i < m, t < d) and B at
    // b + j·d + t (j < n, t < d), all inside the slices by the asserts above,
    // and writes C at c + i·n + j, inside `c`, which is borrowed mutably so
    // nothing else aliases it. With read_dst = false, C's old values are not
    // read (gemm computes dst = beta · lhs · rhs; alpha is ignored).
    unsafe {
        gemm::gemm(
            m,
            n,
            d,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            d as isize,
            b.as_ptr(),
            d as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
