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

/// Room for `n × dim` float32 values, or a [`VectorError::Config`] saying
/// how many bytes they take. Sizes past what a `Vec` can address
/// (`isize::MAX` bytes) or what the allocator grants are refused here:
/// `Vec::with_capacity` would panic ("capacity overflow") on the first and
/// abort the process on the second.
pub(crate) fn allocate(n: usize, dim: usize) -> Result<Vec<f32>, VectorError> {
    let bytes = n as u128 * dim as u128 * std::mem::size_of::<f32>() as u128;
    let too_big = || {
        VectorError::Config {
        what: "size",
        reason: format!(
            "{n} vectors of dimension {dim} take {bytes} bytes ({}) as float32, more than can be allocated here; ask for fewer or shorter vectors",
            decimal_size(bytes)
        ),
    }
    };
    if bytes > isize::MAX as u128 {
        return Err(too_big());
    }
    let len = n * dim;
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| too_big())?;
    Ok(data)
}

/// `bytes` in the largest decimal unit (KB to EB) that keeps it at least 1,
/// to one decimal: `4.0 TB`.
fn decimal_size(bytes: u128) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
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
///
/// Sizes that cannot be allocated are an error saying how many bytes they
/// would take, before any work:
///
/// ```
/// let e = towel_vectors::random::gaussian(1 << 40, 1 << 30, 0).unwrap_err();
/// assert!(e.to_string().contains("4722366482869645213696 bytes"), "{e}");
/// ```
pub fn gaussian(n: usize, dim: usize, seed: u64) -> Result<Vectors, VectorError> {
    let mut data = allocate(n, dim)?;
    let len = n * dim; // no overflow: `allocate` checked it
    let mut rng = Xoshiro256pp::new(seed);
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

#[cfg(test)]
mod tests {
    use super::gaussian;

    #[test]
    fn sizes_that_cannot_be_allocated_are_errors() {
        // n × dim fits in a usize, n × dim × 4 bytes does not: this
        // panicked with "capacity overflow".
        let e = gaussian(100_000_000_000, 100_000_000, 1).unwrap_err();
        assert!(
            e.to_string()
                .contains("take 40000000000000000000 bytes (40.0 EB)"),
            "{e}"
        );
        // 4 TB: addressable, but no allocator grants it (unless the kernel
        // is told to overcommit anything, where the request would succeed
        // and filling it would exhaust memory): this aborted the process.
        let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory");
        if overcommit.is_ok_and(|s| s.trim() != "1") {
            let e = gaussian(1_000_000_000, 1000, 1).unwrap_err();
            assert!(
                e.to_string().contains("take 4000000000000 bytes (4.0 TB)"),
                "{e}"
            );
        }
        assert_eq!(gaussian(0, 3, 1).unwrap().len(), 0);
    }
}
