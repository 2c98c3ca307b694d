//! The crate's one `unsafe` call: `gemm::gemm` (with its AVX-512 kernels,
//! chosen at run time), which takes raw pointers and strides. Every index
//! it can touch is checked against the slices first, so a wrong shape
//! panics here instead of reading out of bounds.
#![allow(unsafe_code)]

/// `c = a · b` for an `m×k` matrix `a` and a `k×n` matrix `b`, each given as
/// (storage, offset of element [0, 0], row stride, column stride); `c` is
/// `m×n`, row-major.
pub(crate) fn sgemm(
    (m, k, n): (usize, usize, usize),
    (a, a_off, a_rs, a_cs): (&[f32], usize, usize, usize),
    (b, b_off, b_rs, b_cs): (&[f32], usize, usize, usize),
    c: &mut [f32],
) {
    assert_eq!(c.len(), m * n, "output size");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(0.0);
        return;
    }
    assert!(
        a_off + (m - 1) * a_rs + (k - 1) * a_cs < a.len(),
        "lhs in bounds"
    );
    assert!(
        b_off + (k - 1) * b_rs + (n - 1) * b_cs < b.len(),
        "rhs in bounds"
    );
    let (a, b) = (&a[a_off..], &b[b_off..]);
    // SAFETY: the asserts above keep every element gemm reads, a[i·rs + j·cs]
    // for i < m (k), j < k (n), inside `a` and `b`; `c` holds m·n elements
    // written at i·n + j (column stride 1, row stride n); strides fit in
    // isize because the indices fit in the slices; read_dst = false, so `c`
    // is only written (alpha is ignored then), and beta = 1 scales a·b.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
