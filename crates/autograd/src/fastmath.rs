//! `exp` and `tanh` for f32 that the compiler can vectorize: no calls, no
//! branches, only multiply-adds, a rounding trick and an exponent built from
//! bits (the C library's `expf` is one call per element).
//!
//! **exp** (Cephes `expf`): write x = n·ln 2 + r with n = round(x·log₂e)
//! (rounded by adding and subtracting 1.5·2²³, which needs no rounding
//! instruction) and |r| ≤ ln 2 / 2, where r is computed with ln 2 split
//! into a short high part and a low part so that n·ln2_hi is exact. Then
//! eʳ ≈ 1 + r + r²·P(r), P of degree 5, and 2ⁿ is the float whose exponent
//! field is n + 127 (as two factors 2^⌊n/2⌋·2^⌈n/2⌉, so that n = 128 does not overflow). Below −87.3 the result is 0 (PyTorch gives denormals
//! down to −103.9; the difference is below 1.2e-38), above 88.7 it is +∞.
//!
//! **tanh**: for |x| < 0.625, Cephes' odd polynomial x + x³·Q(x²); above,
//! 1 − 2 / (e^{2|x|} + 1) with the sign of x, which has no cancellation there.
//!
//! Both are within a few ulp of the correctly rounded value
//! (`tests` below compare with the standard library on a sweep).

// The coefficients are written as Cephes publishes them.
#![allow(clippy::excessive_precision)]

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const EXP_HI: f32 = 88.722_83;
const EXP_LO: f32 = -87.336_55;

/// eˣ, vectorizable; within 2 ulp of `f32::exp` on its normal range.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let xc = x.clamp(EXP_LO, EXP_HI);
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    // n as an integer, read from t's mantissa (no float-to-int conversion).
    let ni = t.to_bits() as i32 - 0x4B40_0000;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let e = p * r * r + r + 1.0;
    // 2ⁿ as two factors, so that n = 128 (x near 88.7) and n = −126 both
    // have representable halves.
    let pow2 = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
    let y = e * pow2(ni >> 1) * pow2(ni - (ni >> 1));
    let y = if x < EXP_LO { 0.0 } else { y };
    if x > EXP_HI {
        f32::INFINITY
    } else {
        y
    }
}

/// tanh(x), vectorizable.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let ax = x.abs();
    let z = x * x;
    let mut p = -5.704_988_7e-3;
    p = p * z + 2.063_908_9e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 1.333_144_2e-1;
    p = p * z - 3.333_328_2e-1;
    let small = p * z * x + x;
    let large = (1.0 - 2.0 / (exp(2.0 * ax) + 1.0)).copysign(x);
    if ax < 0.625 {
        small
    } else {
        large
    }
}

/// 1 / (1 + e⁻ˣ), vectorizable.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
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
        assert_eq!(super::exp(100.0), f32::INFINITY);
        assert!(super::exp(f32::NAN).is_nan());
        assert_eq!(super::exp(0.0), 1.0);
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
