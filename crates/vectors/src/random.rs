//! Reproducible random vectors: standard normal float32, from a seed.
//!
//! The generator is xoshiro256++ seeded through SplitMix64 (their authors'
//! recommended seeding), and normals come from the Box-Muller transform in
//! float64, rounded to float32. The same seed gives the same vectors on
//! every machine and towel version that keeps this module; the stream is
//! not numpy's.

use crate::error::VectorError;
use crate::matrix::Vectors;

/// xoshiro256++ (Blackman & Vigna), 256 bits of state.
struct Xoshiro256pp([u64; 4]);

impl Xoshiro256pp {
    fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut splitmix = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Xoshiro256pp([splitmix(), splitmix(), splitmix(), splitmix()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in (0, 1]: never 0, so its logarithm is finite.
    fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// `n` vectors of dimension `dim` with independent standard normal values.
///
/// ```
/// let v = towel_vectors::random::gaussian(3, 4, 42)?;
/// assert_eq!((v.len(), v.dim()), (3, 4));
/// assert_eq!(v, towel_vectors::random::gaussian(3, 4, 42)?);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn gaussian(n: usize, dim: usize, seed: u64) -> Result<Vectors, VectorError> {
    let len = n.checked_mul(dim).ok_or(VectorError::Config {
        what: "size",
        reason: format!("{n} × {dim} values do not fit in memory"),
    })?;
    let mut rng = Xoshiro256pp::new(seed);
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        let (u, v) = (rng.open01(), rng.open01());
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        data.push((r * t.cos()) as f32);
        if data.len() < len {
            data.push((r * t.sin()) as f32);
        }
    }
    Vectors::new(data, dim)
}
