//! The two real trainings, whose defaults are the benchmark's settings
//! (`bench/train.py` runs them beside PyTorch with the same settings).

pub mod charlm;
pub mod digits;

/// The per-step histories (losses, step times) reserve room for at most
/// this many steps up front and grow after that: reserved for the whole
/// run, `--steps 10000000000000` asked for 40 TB before the first step
/// (and `--steps 18446744073709551615` overflowed the capacity).
pub(crate) const PREALLOCATED_STEPS: usize = 1 << 16;

/// Where training data came from, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// A short name (`"digits.csv"`, `"embedded"`).
    pub name: String,
    /// A sentence for the output: path or embedded default and licence.
    pub detail: String,
}
