//! Elementwise math for f32 that the compiler vectorizes, and the loops
//! that run it with the widest SIMD the CPU has.
//!
//! The functions below have no calls and no branches, only multiply-adds,
//! a rounding trick and an exponent built from bits (the C library's
//! `expf` is one call per element). [`map`], [`zip`] and [`zip3`] run them
//! over contiguous slices inside `pulp`'s run-time dispatch, which compiles
//! the loop once per instruction set (AVX-512, AVX2+FMA, baseline SSE2) and
//! picks the best one the CPU supports: the workspace is built for
//! baseline x86-64, where the compiler may only use 128-bit SSE2.
//!
//! Checked in the release binary (`objdump -d` of `bench_tensor`, and
//! `perf annotate` of the loops): the loops live in `pulp`'s
//! `V4::vectorize` instantiations and run 16 lanes per instruction
//! (`vfmadd213ps %zmm..`), about 25 instructions per 16 exps. A loop body
//! must be reached only through `#[inline(always)]` functions: a closure
//! passed to `Arch::dispatch`, or `Vec::extend` from an iterator, stays a
//! separate function compiled for baseline x86-64 (and then calls `fmaf`
//! for every `mul_add`), which the first version of this module found out
//! at 100x the cost. [`map`] works on the two halves of each block in one
//! loop, so that the vectorized body holds two independent vectors whose
//! long dependency chains (a division, a polynomial, an exponential)
//! overlap.
//!
//! Maximum relative errors against f64, measured on [−20, 20] in steps of
//! 7.3e-5 and asserted by the test `documented_error_bounds` below: exp
//! and exp_flush 8.0e-8, tanh 3.4e-7, sigmoid 1.5e-7, GELU 5.7e-7 (where
//! |GELU| > 1e-36).
//!
//! **exp** (Cephes `expf`): write x = n·ln 2 + r with n = round(x·log₂e)
//! (rounded by adding and subtracting 1.5·2²³, which needs no rounding
//! instruction) and |r| ≤ ln 2 / 2, where r is computed with ln 2 split
//! into a short high part and a low part so that n·ln2_hi is exact. Then
//! eʳ ≈ 1 + r + r²·P(r), Cephes' form with P refitted at degree 4 (one
//! multiply-add fewer than Cephes' degree 5; `scripts/fit_fastmath.py`),
//! and 2ⁿ is the float whose exponent field is n + 127 (as two factors
//! 2^⌊n/2⌋·2^⌈n/2⌉, so that every n from −150 to 128 is exact). Below
//! −87.3 the results are denormals, as PyTorch's (0 below −103.9); above
//! 88.72 the product overflows to +∞. [`exp_flush`], for sigmoid and
//! softmax, adds 127 to the rounding constant instead, so that t's bits
//! shifted left by 23 are 2ⁿ itself: eight instructions fewer, results
//! below f32's normal range flushed to 0 and +∞ from x = 88.38 (n = 128).
//!
//! **tanh**: Eigen's `generic_fast_tanh_float` (Eigen 3.3,
//! `MathFunctionsImpl.h`): x·P(x²)/Q(x²), P of degree 6 and Q of degree 3,
//! on x clamped to [−9, 9], the result clamped to [−1, 1], and x itself
//! for |x| < 4e-4 (where the rational function is an ulp off x). Ten
//! multiply-adds and a division, where the previous form (Cephes'
//! polynomial below 0.625, 1 − 2/(e^{2|x|} + 1) above, both computed and
//! one selected) spent an exponential too: 0.42 ms → 0.15 ms on 1M
//! elements. PyTorch computes tanhf with Sleef (1 ulp) or MKL's VML.
//!
//! **GELU** x·Φ(x) with Φ(x) = ½·erfc(−x/√2), through erfc(z) of z =
//! a/√2, a = |x| (never 1 − erf, which would lose the tail for negative x,
//! where GELU is tiny, to cancellation): GELU = max(x, 0) − a·½·erfc(z),
//! erfc(z) = e^(−z²)·erfcx(z), and erfcx(z) = t·q(t) with t = 1/(1 +
//! 0.45·z) and q a degree-7 polynomial fitted for relative error on z ≤
//! 9.34 (`scripts/fit_fastmath.py`: 2.9e-7 exact). The division gives u =
//! a·t = a/(a + U₀) (U₀ = √2/0.45) and t = 1 − u/U₀, with U₀ folded into
//! q's coefficients, so the product a·t costs no multiplication and t no
//! multiply-add. The exponent a²/2 is reduced as r₂ = a² − 2n·ln 2 with
//! a² exact inside a fused multiply-add (a² + 2n·ln2_hi, whose sum is
//! below 0.7 in size) and n = round(a²/2·log₂e), so that it loses nothing
//! of a² (whose rounding alone would cost 1e-5 near |x| = 13); eʳ comes
//! from 1 + r₂·W(r₂), the degree-5 polynomial of `exp_poly`'s form
//! refitted to 1.9e-7 with its coefficients scaled by (−½)ᵏ, and 2ⁿ⁻¹
//! (the ½ of Φ) from the rounding constant's mantissa as in
//! [`exp_flush`]. For |x| ≥ 13.2, e^(−z²)/2 is below f32's normal range
//! and GELU is +0 or x. With AVX-512, [`gelu_slice`] runs this as a
//! hand-written kernel: `vrangeps` takes min(|x|, 13.2) in one
//! instruction, max(x, 0) − g is one `vmaxps` and one `vfnmadd`: 27
//! vector instructions per 16 elements, 20 of them multiplies and
//! multiply-adds (`perf annotate`), against 32-34 and 23-24 for the
//! previous form, vectorized by the compiler or by hand. Its results equal
//! [`gelu`]'s bit for bit (tested). The loop is bound by instruction
//! throughput (dropping 6 of q's multiply-adds, as an experiment, took a
//! quarter off): 0.27-0.29 ms → 0.22-0.24 ms on 1M elements (medians of
//! 200 calls in alternating processes, load average 5-8), and the maximum
//! relative error fell from 6.8e-7 to 5.6e-7 (fewer roundings: a·t and
//! the final subtraction are exact or fused). The previous forms, for the
//! record: Numerical Recipes' `erfcc`, t·exp(−z² + c(t)) with c of degree
//! 9 and an exact two-sum (still used for Φ and φ in [`normal_cdf_pdf`]
//! for GELU's gradient), 65 instructions per 16 elements and 0.95 ms; the
//! form above with t = 1/(1 + p·z), x·h and a select, 0.28 ms. PyTorch's
//! CPU GELU (oneDNN's JIT kernel here: `ONEDNN_VERBOSE=1` shows `eltwise,
//! jit:avx512_core_bf16, alg:eltwise_gelu_erf`) uses Abramowitz-Stegun
//! 7.1.26 for erf, 1.5e-7 absolute: cheaper, but 1 − erf cancels in the
//! negative tail.
//!
//! All are checked against the f64 functions on sweeps below and in a
//! property test (`tests/fastmath.rs`).

// The coefficients are written as Cephes, Numerical Recipes, Eigen and
// scripts/fit_fastmath.py give them.
#![allow(clippy::excessive_precision)]

use pulp::{Arch, Simd, WithSimd};

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Inputs are clamped to [EXP_LO, EXP_HI]: far enough that the result
/// overflows to +∞ above (eˣ > f32::MAX from 88.73) and rounds to 0 below
/// (e⁻¹⁰⁴ is under half the smallest denormal), so no select is needed.
const EXP_HI: f32 = 89.0;
const EXP_LO: f32 = -104.0;

/// eʳ for |r| ≤ ln 2 / 2 (and a little beyond): 1 + r + r²·P(r) with P
/// of degree 4 (Cephes' form, with a degree-5 P), refitted on |r| ≤ 0.354
/// by `scripts/fit_fastmath.py`: the fit is within 3.5e-9 of eʳ and the
/// f32 evaluation within 7.1e-8, the rounding of the result; one
/// multiply-add fewer.
#[inline(always)]
fn exp_poly(r: f32) -> f32 {
    let mut p: f32 = 1.381_237_3e-3;
    p = p.mul_add(r, 8.370_15e-3);
    p = p.mul_add(r, 4.166_851_6e-2);
    p = p.mul_add(r, 1.666_650_9e-1);
    p = p.mul_add(r, 4.999_999_4e-1);
    (p * r).mul_add(r, r) + 1.0
}

/// eˣ, vectorizable; within 2 ulp of `f32::exp` on its normal range.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let xc = x.clamp(EXP_LO, EXP_HI);
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23
    let t = xc.mul_add(LOG2E, ROUND);
    let n = t - ROUND;
    // n as an integer, read from t's mantissa (no float-to-int conversion).
    let ni = t.to_bits() as i32 - 0x4B40_0000;
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, xc));
    let e = exp_poly(r);
    // 2ⁿ as two factors: n runs from −150 to 128, and each half (−75 to
    // 64) is a normal float, so the product overflows or goes denormal
    // exactly as eˣ does.
    let pow2 = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
    e * pow2(ni >> 1) * pow2(ni - (ni >> 1))
}

/// Eigen's clamp of tanh's argument: the rational function below is
/// evaluated on [−9, 9], outside of which tanh(x) rounds to ±1.
const TANH_CLAMP: f32 = 9.0;

/// tanh(x), vectorizable: Eigen's 13/6 rational function (see the module
/// docs), clamped to [−1, 1] (it comes out 2 ulp above 1 near 9), and x
/// itself below 4e-4, where tanh(x) rounds to x.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let xc = x.clamp(-TANH_CLAMP, TANH_CLAMP);
    let z = xc * xc;
    let mut p: f32 = -2.760_768_5e-16;
    p = p.mul_add(z, 2.000_187_9e-13);
    p = p.mul_add(z, -8.604_671_5e-11);
    p = p.mul_add(z, 5.122_297e-8);
    p = p.mul_add(z, 1.485_722_4e-5);
    p = p.mul_add(z, 6.372_619_3e-4);
    p = p.mul_add(z, 4.893_524_6e-3);
    let mut q: f32 = 1.198_258_4e-6;
    q = q.mul_add(z, 1.185_347_1e-4);
    q = q.mul_add(z, 2.268_434_6e-3);
    q = q.mul_add(z, 4.893_525_2e-3);
    let r = (xc * p / q).clamp(-1.0, 1.0);
    if x.abs() < 4e-4 {
        x
    } else {
        r
    }
}

/// 1 / (1 + e⁻ˣ), vectorizable, through [`exp_flush`]: 0 below −88.38
/// (the true value is under 4e-39 there), as PyTorch's 1/(1 + ∞).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_flush(-x))
}

/// The pieces of erfc(|x|/√2) = t·e^(c(t))·e^(−x²/2): t, c and x² as an
/// exact sum hi + lo.
#[inline(always)]
fn erfc_parts(x: f32) -> (f32, f32, f32, f32) {
    let a = x.abs();
    let z = a * std::f32::consts::FRAC_1_SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let mut c: f32 = 0.170_872_77;
    c = c.mul_add(t, -0.822_152_23);
    c = c.mul_add(t, 1.488_515_87);
    c = c.mul_add(t, -1.135_203_98);
    c = c.mul_add(t, 0.278_868_07);
    c = c.mul_add(t, -0.186_288_06);
    c = c.mul_add(t, 0.096_784_18);
    c = c.mul_add(t, 0.374_091_96);
    c = c.mul_add(t, 1.000_023_68);
    c = c.mul_add(t, -1.265_512_23);
    let hi = a * a;
    let lo = a.mul_add(a, -hi);
    (t, c, hi, lo)
}

/// Φ(x) from erfc(|x|/√2).
#[inline(always)]
fn cdf_from_erfc(x: f32, erfc: f32) -> f32 {
    if x < 0.0 {
        0.5 * erfc
    } else {
        1.0 - 0.5 * erfc
    }
}

/// Φ(x), the standard normal CDF, and φ(x), its density, vectorizable
/// (see the module docs for the method and its accuracy).
#[inline(always)]
pub fn normal_cdf_pdf(x: f32) -> (f32, f32) {
    let (t, c, hi, lo) = erfc_parts(x);
    // e^(−x²/2) = e^(−hi/2)·e^(−lo/2) ≈ e^(−hi/2)·(1 − lo/2).
    let gauss = exp(-0.5 * hi) * (1.0 - 0.5 * lo);
    let erfc = t * gauss * exp(c);
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    (cdf_from_erfc(x, erfc), gauss * INV_SQRT_2PI)
}

/// |x| is clamped here in [`gelu`]: from |x| = 13.2 on, e^(−x²/2)/2 is
/// below f32's normal range (and flushed to 0), and GELU is +0 (x < 0;
/// NaN at −∞, as PyTorch's) or x (x > 0).
const GELU_CLAMP: f32 = 13.2;
/// U₀ of erfc's variable t = U₀/(a + U₀) = 1/(1 + p·z), z = a/√2, with
/// p = √2/U₀ ≈ 0.45 (U₀ is 1/0.318198 rounded to f32).
const GELU_U0: f32 = 3.142_696_9;

/// U₀·erfcx(z)/t for t = 1/(1 + p·z) in [0.19, 1], highest degree first
/// (`scripts/fit_fastmath.py`), so that u·q(t) = a·erfcx(z).
const GELU_Q: [f32; 8] = [
    0.207_803_04,
    -0.744_940_76,
    0.638_068_5,
    0.144_151_92,
    0.583_203_67,
    0.719_820_9,
    0.796_597_8,
    0.797_992_65,
];
/// W of GELU's eʳ = 1 + r₂·W(r₂) for r₂ = −2r, highest degree first: the
/// coefficients of 1 + r + r²·P(r) (P of degree 3 fitted as exp_poly's,
/// 1.9e-7; one multiply-add fewer than exp_poly, which the error budget
/// allows) times (−½)ᵏ, which is exact.
const GELU_EXP_W: [f32; 5] = [
    -8.311_097_5e-3 / 32.0,
    4.190_34e-2 / 16.0,
    -1.666_717_2e-1 / 8.0,
    4.999_913_9e-1 / 4.0,
    -0.5,
];
/// The rounding constant of GELU's exponent, 1.5·2²³ + 126: t₂ = y +
/// GELU_ROUND rounds y to an integer n and holds n + 126, the biased
/// exponent of 2ⁿ⁻¹, in its low mantissa bits (as [`ROUND_EXP`]).
const GELU_ROUND: f32 = ROUND_EXP - 1.0;

/// GELU, x·Φ(x) (PyTorch's exact, erf form), vectorizable, with one
/// division and one exponential (see the module docs for the method).
/// [`gelu_slice`]'s AVX-512 kernel does the same operations in the same
/// order, so it gives the same bits.
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    let ax = x.abs();
    let a = if ax < GELU_CLAMP { ax } else { GELU_CLAMP };
    // u = a·t and t = U₀/(a + U₀) = 1 − u/U₀: the product a·t costs no
    // multiplication, and U₀ (1/p) is folded into q's coefficients.
    let u = a / (a + GELU_U0);
    let t = 1.0 - u;
    let mut q = GELU_Q[0];
    for &c in &GELU_Q[1..] {
        q = q.mul_add(t, c);
    }
    // ½·e^(−z²) = e^(−r₂/2)·2ⁿ⁻¹ with n = round(−a²/2·log₂e) and r₂ = a² +
    // 2n·ln 2: a² + 2n·ln2_hi is one rounding of a value below 0.7 in size
    // (a² itself, up to 174, is exact inside the multiply-add), so the
    // reduction loses nothing of a². For a = 13.2, n − 1 = −127: 0.
    let t2 = (a * a).mul_add(-0.5 * LOG2E, GELU_ROUND);
    let n = t2 - GELU_ROUND;
    let r2 = n.mul_add(2.0 * LN2_LO, a.mul_add(a, n * (2.0 * LN2_HI)));
    let mut v = GELU_EXP_W[0];
    for &c in &GELU_EXP_W[1..] {
        v = v.mul_add(r2, c);
    }
    // eʳ·q = (1 + r₂·W(r₂))·q.
    let eq = (v * r2).mul_add(q, q);
    // GELU = max(0, x) − a·½·erfc(z), and a·½·erfc(z) = eʳ·q·2ⁿ⁻¹·u.
    // max(0, x) as x − min(x, 0): −∞ − (−∞) makes GELU(−∞) NaN, as
    // PyTorch's −∞·Φ(−∞) = −∞·0 (a plain max would give 0).
    let m = x - if x < 0.0 { x } else { 0.0 };
    (-(eq * f32::from_bits(t2.to_bits() << 23))).mul_add(u, m)
}

/// [`gelu`] over a slice: with AVX-512, a hand-written kernel (see
/// `gelu_v4`) that gives [`gelu`]'s results bit for bit; elsewhere
/// [`map`] of [`gelu`].
pub fn gelu_slice(src: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = pulp::x86::V4::try_new() {
        // A struct, not a closure, so that the body is compiled inside
        // the AVX-512 function (see the module docs).
        struct Op<'a>(pulp::x86::V4, &'a [f32]);
        impl pulp::NullaryFnOnce for Op<'_> {
            type Output = Vec<f32>;
            #[inline(always)]
            fn call(self) -> Vec<f32> {
                let Op(simd, src) = self;
                filled(
                    src.len(),
                    #[inline(always)]
                    |out| gelu_v4(simd, out, src),
                )
            }
        }
        return simd.vectorize(Op(simd, src));
    }
    map(src, gelu)
}

/// [`gelu`]'s operations on 16 lanes, in the same order (so with the same
/// roundings), written with AVX-512 intrinsics through `pulp`'s V4 token.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn gelu16(simd: pulp::x86::V4, x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    let f = simd.avx512f;
    // Macros, not closures: a closure may be compiled apart from the
    // AVX-512 context and then call each intrinsic.
    macro_rules! c {
        ($v:expr) => {
            f._mm512_set1_ps($v)
        };
    }
    macro_rules! fma {
        ($a:expr, $b:expr, $c:expr) => {
            f._mm512_fmadd_ps($a, $b, $c)
        };
    }
    // min(|x|, 13.2) in one instruction: the smaller in magnitude, sign
    // cleared (NaN stays NaN, where gelu's comparison gives 13.2; both
    // end in NaN).
    let a = simd.avx512dq._mm512_range_ps::<0b1010>(x, c!(GELU_CLAMP));
    let u = f._mm512_div_ps(a, f._mm512_add_ps(a, c!(GELU_U0)));
    let t = f._mm512_sub_ps(c!(1.0), u);
    let mut q = c!(GELU_Q[0]);
    for &k in &GELU_Q[1..] {
        q = fma!(q, t, c!(k));
    }
    let t2 = fma!(f._mm512_mul_ps(a, a), c!(-0.5 * LOG2E), c!(GELU_ROUND));
    let n = f._mm512_sub_ps(t2, c!(GELU_ROUND));
    let r2 = fma!(
        n,
        c!(2.0 * LN2_LO),
        fma!(a, a, f._mm512_mul_ps(n, c!(2.0 * LN2_HI)))
    );
    let mut v = c!(GELU_EXP_W[0]);
    for &k in &GELU_EXP_W[1..] {
        v = fma!(v, r2, c!(k));
    }
    let eq = fma!(f._mm512_mul_ps(v, r2), q, q);
    let pow = f._mm512_castsi512_ps(f._mm512_slli_epi32::<23>(f._mm512_castps_si512(t2)));
    // x − min(x, 0), as in gelu: min is 0 when x is NaN or either zero
    // (the second operand), so NaN stays NaN, −0 stays −0 and −∞ gives NaN.
    let m = f._mm512_sub_ps(x, f._mm512_min_ps(x, c!(0.0)));
    f._mm512_fnmadd_ps(f._mm512_mul_ps(eq, pow), u, m)
}

/// Writes [`gelu`] of `src` into `out` (of the same length), 32 elements
/// per loop iteration (two independent vectors), then 16, then the last
/// few through a padded vector.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn gelu_v4(simd: pulp::x86::V4, out: &mut [std::mem::MaybeUninit<f32>], src: &[f32]) {
    use std::arch::x86_64::__m512;
    let load = |s: &[f32]| -> __m512 { pulp::cast(<[f32; 16]>::try_from(s).unwrap()) };
    let store = |o: &mut [std::mem::MaybeUninit<f32>], v: __m512| {
        let v: [f32; 16] = pulp::cast(v);
        for (o, v) in o.iter_mut().zip(v) {
            o.write(v);
        }
    };
    let mut o2 = out.chunks_exact_mut(32);
    let mut s2 = src.chunks_exact(32);
    for (o, s) in (&mut o2).zip(&mut s2) {
        let (x0, x1) = (load(&s[..16]), load(&s[16..]));
        let (y0, y1) = (gelu16(simd, x0), gelu16(simd, x1));
        store(&mut o[..16], y0);
        store(&mut o[16..], y1);
    }
    let (o, s) = (o2.into_remainder(), s2.remainder());
    let mut o1 = o.chunks_exact_mut(16);
    let mut s1 = s.chunks_exact(16);
    for (o, s) in (&mut o1).zip(&mut s1) {
        store(o, gelu16(simd, load(s)));
    }
    let (o, s) = (o1.into_remainder(), s1.remainder());
    if !s.is_empty() {
        let mut buf = [0f32; 16];
        buf[..s.len()].copy_from_slice(s);
        let y: [f32; 16] = pulp::cast(gelu16(simd, pulp::cast(buf)));
        for (o, &y) in o.iter_mut().zip(&y) {
            o.write(y);
        }
    }
}

/// The rounding constant of [`exp_reduce`]: 1.5·2²³ + 127, so that t =
/// x·log₂e + ROUND_EXP rounds x·log₂e to an integer n and holds n + 127,
/// the biased exponent of 2ⁿ, in its low mantissa bits.
const ROUND_EXP: f32 = 12_583_039.0;

/// The argument reduction of eˣ for x in [−87.4, 88.8] (the callers
/// clamp it), with `round` = [`ROUND_EXP`] + (bias − 127): t = x·log₂e +
/// round, whose low mantissa bits hold n + bias, and r = x − n·ln 2.
/// [`exp_finish`] then gives e^(r)·2^(n + bias − 127).
#[inline(always)]
fn exp_reduce(x: f32, round: f32) -> (f32, f32) {
    let t = x.mul_add(LOG2E, round);
    let n = t - round;
    (t, n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, x)))
}

/// eʳ·2ⁿ⁺ᵇⁱᵃˢ⁻¹²⁷ from [`exp_reduce`]'s t and r: the factor is read
/// straight from t's mantissa (t's bits shifted left by 23 keep only n +
/// bias, as the exponent field). That is one instruction where [`exp`]
/// spends eight on a two-factor 2ⁿ and its integer n, at the price of
/// flushing results below f32's normal range (n + bias = 0) to 0 instead
/// of rounding them to denormals; n + bias = 255 is +∞.
#[inline(always)]
fn exp_finish(r: f32, t: f32) -> f32 {
    exp_poly(r) * f32::from_bits(t.to_bits() << 23)
}

/// eˣ with results below f32's normal range (x < −87.34) flushed to 0 and
/// +∞ from x = 88.38 on (n = 128, where [`exp`] still has a finite result
/// up to 88.72), within 8e-8 elsewhere; for softmax (x ≤ 0) and sigmoid,
/// where such values vanish beside 1 anyway.
#[inline(always)]
pub fn exp_flush(x: f32) -> f32 {
    // −88 gives n = −127, 2ⁿ = 0; 88.8 gives n = 128, 2ⁿ = +∞.
    let (t, r) = exp_reduce(x.clamp(-88.0, 88.8), ROUND_EXP);
    exp_finish(r, t)
}

/// The derivative of GELU, Φ(x) + x·φ(x), vectorizable.
#[inline(always)]
pub fn gelu_grad(x: f32) -> f32 {
    let (cdf, pdf) = normal_cdf_pdf(x);
    cdf + x * pdf
}

/// Elements per block: [`map`] works block by block (two halves of a block
/// per loop iteration), and [`map_sum`] fills a stack buffer of this many
/// results (in L1) and sums it. (128 was faster than 32, 64, 256, 512 and
/// 2048 for exp on 1M elements: 0.28-0.33 ms against 0.33-0.43.)
const BLOCK: usize = 128;

/// A vector of `n` values that `fill` writes in place, every one of them
/// (see [`extend_filled`]).
#[inline(always)]
fn filled(n: usize, fill: impl FnOnce(&mut [std::mem::MaybeUninit<f32>])) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    extend_filled(&mut out, n, fill);
    out
}

/// Appends `n` values to `out` that `fill` writes in place, every one of
/// them (the callers zip the `n` slots with inputs of length `n`).
///
/// This is the one `unsafe` of the elementwise loops: writing the results
/// straight into the vector's uninitialised capacity, instead of appending
/// them from a stack buffer, saves a copy per block. It made add and mul
/// on 1M elements about a quarter faster (0.146 -> 0.106 ms, medians of
/// 100 runs in six alternating processes at load 10), where the copy was
/// a third of the memory traffic of an operation with one add per element.
#[inline(always)]
fn extend_filled(
    out: &mut Vec<f32>,
    n: usize,
    fill: impl FnOnce(&mut [std::mem::MaybeUninit<f32>]),
) {
    out.reserve(n);
    let len = out.len();
    fill(&mut out.spare_capacity_mut()[..n]);
    #[allow(unsafe_code)]
    // SAFETY: `fill` initialised the `n` slots after `len` (see the
    // callers: each zips the `n` slots with `n` inputs and writes each).
    unsafe {
        out.set_len(len + n)
    };
}

/// `f(x)` for every `x` of `src`, vectorized for this CPU.
#[inline(always)]
pub fn map(src: &[f32], f: impl Fn(f32) -> f32) -> Vec<f32> {
    struct Op<'a, F>(&'a [f32], F);
    impl<F: Fn(f32) -> f32> WithSimd for Op<'_, F> {
        type Output = Vec<f32>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> Vec<f32> {
            let Op(src, f) = self;
            filled(src.len(), |out| map_into(out, src, f))
        }
    }
    Arch::new().dispatch(Op(src, f))
}

/// Writes `f(x)` for every `x` of `src` into `out` (of the same length),
/// block by block (the body of [`map`]).
#[inline(always)]
fn map_into(out: &mut [std::mem::MaybeUninit<f32>], src: &[f32], f: impl Fn(f32) -> f32) {
    for (o, chunk) in out.chunks_mut(BLOCK).zip(src.chunks(BLOCK)) {
        // Two independent halves per loop iteration: the vectorized body
        // then works on two vectors at once, whose long dependency chains
        // (a division, then a polynomial, then an exponential) overlap.
        let half = chunk.len() / 2;
        let (o1, o2) = o.split_at_mut(half);
        let (c1, c2) = chunk.split_at(half);
        for ((o1, o2), (&x1, &x2)) in o1.iter_mut().zip(o2.iter_mut()).zip(c1.iter().zip(c2)) {
            o1.write(f(x1));
            o2.write(f(x2));
        }
        if chunk.len() % 2 == 1 {
            o[chunk.len() - 1].write(f(chunk[chunk.len() - 1]));
        }
    }
}

/// `f(a, b)` elementwise over two equal-length slices, vectorized.
#[inline(always)]
pub fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(a.len());
    zip_extend(&mut out, a, b, f);
    out
}

/// Appends `f(a, b)` elementwise over two equal-length slices to `out`,
/// vectorized (one row of a broadcasting operation).
#[inline(always)]
pub fn zip_extend(out: &mut Vec<f32>, a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) {
    assert_eq!(a.len(), b.len(), "zip: equal lengths");
    struct Op<'a, F>(&'a mut Vec<f32>, &'a [f32], &'a [f32], F);
    impl<F: Fn(f32, f32) -> f32> WithSimd for Op<'_, F> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) {
            let Op(out, a, b, f) = self;
            extend_filled(out, a.len(), |out| {
                for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                    o.write(f(x, y));
                }
            })
        }
    }
    Arch::new().dispatch(Op(out, a, b, f))
}

/// `f(a, b, c)` elementwise over three equal-length slices, vectorized.
#[inline(always)]
pub fn zip3(a: &[f32], b: &[f32], c: &[f32], f: impl Fn(f32, f32, f32) -> f32) -> Vec<f32> {
    assert!(
        a.len() == b.len() && b.len() == c.len(),
        "zip3: equal lengths"
    );
    struct Op<'a, F>(&'a [f32], &'a [f32], &'a [f32], F);
    impl<F: Fn(f32, f32, f32) -> f32> WithSimd for Op<'_, F> {
        type Output = Vec<f32>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> Vec<f32> {
            let Op(a, b, c, f) = self;
            filled(a.len(), |out| {
                for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
                    o.write(f(x, y, z));
                }
            })
        }
    }
    Arch::new().dispatch(Op(a, b, c, f))
}

/// Fold `xs` with `f` in 16 independent lanes, then fold the lanes: the
/// lanes live in one vector register, so a row's max or sum is not one
/// long chain of dependent operations (the order of a pairwise sum, not
/// of a left fold; both are within float rounding of the exact sum).
#[inline(always)]
pub fn lanes(xs: &[f32], init: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [init; 16];
    let mut chunks = xs.chunks_exact(16);
    for c in &mut chunks {
        for k in 0..16 {
            acc[k] = f(acc[k], c[k]);
        }
    }
    let tail = chunks.remainder().iter().fold(init, |a, &v| f(a, v));
    acc.into_iter().fold(tail, f)
}

/// The maximum of `xs` (of the numbers, when some are NaN, as far as the
/// vector max goes: a row with a NaN comes out NaN from softmax anyway),
/// in four vector accumulators written with `pulp`'s vector type: the
/// same fold through [`lanes`] kept its 16-lane array on the stack,
/// a store and a reload per element block.
#[inline(always)]
fn row_max<S: Simd>(simd: S, xs: &[f32]) -> f32 {
    let (vs, tail) = S::as_simd_f32s(xs);
    let mut acc = [simd.splat_f32s(f32::NEG_INFINITY); 4];
    let mut chunks = vs.chunks_exact(4);
    for c in &mut chunks {
        for k in 0..4 {
            acc[k] = simd.max_f32s(acc[k], c[k]);
        }
    }
    for &v in chunks.remainder() {
        acc[0] = simd.max_f32s(acc[0], v);
    }
    let m = simd.max_f32s(simd.max_f32s(acc[0], acc[1]), simd.max_f32s(acc[2], acc[3]));
    tail.iter().fold(simd.reduce_max_f32s(m), |a, &b| a.max(b))
}

/// Σ f(x) over `src`; with `out`, f(x) is also appended to it. f runs on
/// blocks of [`BLOCK`] in a stack buffer (as in [`map`]) and the sum is
/// taken from the buffer in four vector accumulators.
#[inline(always)]
fn map_sum<S: Simd>(
    simd: S,
    src: &[f32],
    f: impl Fn(f32) -> f32,
    mut out: Option<&mut Vec<f32>>,
) -> f32 {
    let mut acc = [simd.splat_f32s(0.0); 4];
    let mut tail = 0f32;
    let mut buf = [0f32; BLOCK];
    for chunk in src.chunks(BLOCK) {
        let b = &mut buf[..chunk.len()];
        for (o, &x) in b.iter_mut().zip(chunk) {
            *o = f(x);
        }
        let (vs, rest) = S::as_simd_f32s(b);
        let mut quads = vs.chunks_exact(4);
        for c in &mut quads {
            for k in 0..4 {
                acc[k] = simd.add_f32s(acc[k], c[k]);
            }
        }
        for &v in quads.remainder() {
            acc[0] = simd.add_f32s(acc[0], v);
        }
        tail += rest.iter().sum::<f32>();
        if let Some(out) = out.as_deref_mut() {
            out.extend_from_slice(b);
        }
    }
    let s = simd.add_f32s(simd.add_f32s(acc[0], acc[1]), simd.add_f32s(acc[2], acc[3]));
    simd.reduce_sum_f32s(s) + tail
}

/// Softmax (or log-softmax, when `log`) of each row of `len` elements of
/// `src`: `exp(x − max) / Σ exp(x − max)`, or `x − max − ln Σ exp(x − max)`.
/// Each row is copied to the output once and then worked on in place
/// while it is in L1, so memory sees one read and one write per element.
pub fn softmax_rows(src: &[f32], len: usize, log: bool) -> Vec<f32> {
    struct Op<'a>(&'a [f32], usize, bool);
    impl WithSimd for Op<'_> {
        type Output = Vec<f32>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> Vec<f32> {
            softmax_rows_body(simd, self.0, self.1, self.2)
        }
    }
    Arch::new().dispatch(Op(src, len, log))
}

#[inline(always)]
fn softmax_rows_body<S: Simd>(simd: S, src: &[f32], len: usize, log: bool) -> Vec<f32> {
    let mut out = Vec::with_capacity(src.len());
    if len == 0 {
        return out;
    }
    for row in src.chunks(len) {
        let m = row_max(simd, row);
        // A row of −∞ only is shifted by 0 (and ends NaN, 0/0, as in
        // PyTorch); a +∞ shifts itself to ∞ − ∞ = NaN, which the sum
        // spreads over the row, as PyTorch's x − max does.
        let m = if m == f32::NEG_INFINITY { 0.0 } else { m };
        if log {
            let ls = map_sum(simd, row, |v| exp_flush(v - m), None).ln();
            extend_filled(&mut out, row.len(), |o| map_into(o, row, |v| v - m - ls));
        } else {
            let start = out.len();
            let inv = 1.0 / map_sum(simd, row, |v| exp_flush(v - m), Some(&mut out));
            out[start..].iter_mut().for_each(|v| *v *= inv);
        }
    }
    out
}

/// The input gradient of [`softmax_rows`] from the output gradient `g` and
/// the output `o`: `o·(g − Σ g·o)` per row, or for log-softmax
/// `g − exp(o)·Σ g`.
pub fn softmax_backward_rows(g: &[f32], o: &[f32], len: usize, log: bool) -> Vec<f32> {
    assert_eq!(g.len(), o.len(), "softmax backward: equal lengths");
    struct Op<'a>(&'a [f32], &'a [f32], usize, bool);
    impl WithSimd for Op<'_> {
        type Output = Vec<f32>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> Vec<f32> {
            softmax_backward_body(self.0, self.1, self.2, self.3)
        }
    }
    Arch::new().dispatch(Op(g, o, len, log))
}

#[inline(always)]
fn softmax_backward_body(g: &[f32], o: &[f32], len: usize, log: bool) -> Vec<f32> {
    {
        let mut out = Vec::with_capacity(g.len());
        if len == 0 {
            return out;
        }
        for (gr, or) in g.chunks(len).zip(o.chunks(len)) {
            let start = out.len();
            out.extend_from_slice(gr);
            let r = &mut out[start..];
            if log {
                let s = lanes(gr, 0.0, |a, b| a + b);
                for (i, &o) in r.iter_mut().zip(or) {
                    *i -= exp(o) * s;
                }
            } else {
                let s = dot(gr, or);
                for (i, &o) in r.iter_mut().zip(or) {
                    *i = o * (*i - s);
                }
            }
        }
        out
    }
}

/// Σ a·b in 16 lanes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..16 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.into_iter().fold(tail, |a, b| a + b)
}

#[cfg(test)]
mod tests {
    fn ulps(a: f32, b: f32) -> u32 {
        if a == b {
            return 0;
        }
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn exp_within_2_ulp_of_std() {
        let mut worst = 0;
        let mut x = -87.0f32;
        while x < 88.5 {
            worst = worst.max(ulps(super::exp(x), x.exp()));
            x += 0.000_731;
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(super::exp(-200.0), 0.0);
        assert_eq!(super::exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(super::exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(super::exp(88.8), f32::INFINITY);
        assert!(super::exp(88.7).is_finite());
        // Denormal results, as PyTorch's: a few denormal steps from std.
        for x in [-88.0f32, -95.5, -100.0, -103.0] {
            let (got, want) = (super::exp(x), x.exp());
            assert!(
                got > 0.0 && (got - want).abs() <= 4.0 * 1.4e-45,
                "{x}: {got} {want}"
            );
        }
        assert_eq!(super::exp(100.0), f32::INFINITY);
        assert!(super::exp(f32::NAN).is_nan());
        assert_eq!(super::exp(0.0), 1.0);
    }

    #[test]
    fn gelu_close_to_f64() {
        let mut worst = 0f64;
        let mut x = -13.0f32;
        while x < 10.0 {
            let want = {
                let x = x as f64;
                x * 0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
            };
            let got = super::gelu(x) as f64;
            let (cdf, _) = super::normal_cdf_pdf(x);
            if want.abs() > 1e-30 {
                worst = worst.max((got - want).abs() / want.abs());
                worst = worst.max((x as f64 * cdf as f64 - want).abs() / want.abs());
            }
            x += 0.000_613;
        }
        assert!(worst < 2e-6, "relative error {worst}");
    }

    #[test]
    fn dispatched_loops_equal_scalar_ones() {
        let xs: Vec<f32> = (0..1237).map(|i| (i as f32 - 600.0) / 37.0).collect();
        let ys: Vec<f32> = xs.iter().map(|x| x * 0.5 + 1.0).collect();
        let want: Vec<f32> = xs.iter().map(|&x| super::exp(x)).collect();
        assert_eq!(super::map(&xs, super::exp), want);
        let want: Vec<f32> = xs.iter().zip(&ys).map(|(x, y)| x * y).collect();
        assert_eq!(super::zip(&xs, &ys, |x, y| x * y), want);
        let want: Vec<f32> = xs.iter().zip(&ys).map(|(x, y)| x * y + x).collect();
        assert_eq!(super::zip3(&xs, &ys, &xs, |x, y, z| x * y + z), want);
        assert!(super::map(&[], super::exp).is_empty());
    }

    /// [`gelu_slice`] (the AVX-512 kernel where the CPU has it) gives
    /// [`gelu`]'s bits, on every length's tail too.
    #[test]
    fn gelu_slice_equals_scalar_gelu() {
        let mut xs: Vec<f32> = (0..200_003)
            .map(|i| (i as f32 - 100_000.0) * 1.37e-4)
            .collect();
        xs.extend([
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            1e-40,
            -1e-40,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            13.2,
            -13.2,
            12.9,
            -12.9,
            f32::MAX,
            f32::MIN,
        ]);
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 47, xs.len()] {
            let start = xs.len() - len;
            let got = super::gelu_slice(&xs[start..]);
            assert_eq!(got.len(), len);
            for (&x, &g) in xs[start..].iter().zip(&got) {
                let want = super::gelu(x);
                assert!(
                    g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                    "gelu({x:e}): slice {g:e}, scalar {want:e}"
                );
            }
        }
        assert!(super::gelu(-1e-40).is_sign_negative());
        // PyTorch's −∞·Φ(−∞) = −∞·0.
        assert!(super::gelu(f32::NEG_INFINITY).is_nan());
        assert_eq!(super::gelu(f32::INFINITY), f32::INFINITY);
    }

    /// The maximum relative errors the module docs state, on the sweep
    /// they state.
    #[test]
    fn documented_error_bounds() {
        let rel = |got: f32, want: f64| ((got as f64) - want).abs() / want.abs();
        let mut worst = [0f64; 5];
        let mut x = -20.0f32;
        while x < 20.0 {
            let xd = x as f64;
            worst[0] = worst[0].max(rel(super::exp(x), xd.exp()));
            worst[1] = worst[1].max(rel(super::exp_flush(x), xd.exp()));
            if x != 0.0 {
                worst[2] = worst[2].max(rel(super::tanh(x), xd.tanh()));
            }
            worst[3] = worst[3].max(rel(super::sigmoid(x), 1.0 / (1.0 + (-xd).exp())));
            let want = xd * 0.5 * libm::erfc(-xd * std::f64::consts::FRAC_1_SQRT_2);
            if want.abs() > 1e-36 {
                worst[4] = worst[4].max(rel(super::gelu(x), want));
            }
            x += 0.000_073_1;
        }
        let stated = [8.0e-8, 8.0e-8, 3.4e-7, 1.5e-7, 5.7e-7];
        for (name, (w, s)) in ["exp", "exp_flush", "tanh", "sigmoid", "gelu"]
            .iter()
            .zip(worst.iter().zip(stated))
        {
            assert!(*w <= s, "{name}: {w:e} above the stated {s:e}");
        }
        // Below the normal range exp_flush and GELU give 0, not denormals.
        assert_eq!(super::exp_flush(-88.0), 0.0);
        assert_eq!(super::exp_flush(-1000.0), 0.0);
        assert_eq!(super::exp_flush(88.8), f32::INFINITY);
        assert!(super::exp_flush(88.3).is_finite());
        assert_eq!(super::exp_flush(88.4), f32::INFINITY);
        assert!(super::exp_flush(-87.3) > 0.0);
        assert_eq!(super::gelu(-13.2), 0.0);
        assert_eq!(super::gelu(-30.0), 0.0);
        assert_eq!(super::gelu(30.0), 30.0);
        assert_eq!(super::gelu(f32::INFINITY), f32::INFINITY);
        assert!(super::gelu(f32::NAN).is_nan());
        assert!(super::tanh(f32::NAN).is_nan());
        assert_eq!(super::sigmoid(-200.0), 0.0);
        assert_eq!(super::sigmoid(200.0), 1.0);
    }

    #[test]
    fn tanh_close_to_std() {
        let mut x = -12.0f32;
        while x < 12.0 {
            let (got, want) = (super::tanh(x), x.tanh());
            assert!(
                (got - want).abs() <= 4.0 * f32::EPSILON * want.abs().max(f32::MIN_POSITIVE),
                "tanh({x}) = {got}, std {want}"
            );
            x += 0.000_377;
        }
        assert_eq!(super::tanh(1e-30), 1e-30);
        assert_eq!(super::tanh(50.0), 1.0);
        assert_eq!(super::tanh(-50.0), -1.0);
    }
}
