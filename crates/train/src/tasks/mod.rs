//! The two real trainings, whose defaults are the benchmark's settings
//! (`bench/train.py` runs them beside PyTorch with the same settings).

pub mod charlm;
pub mod digits;

/// Where training data came from, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// A short name (`"digits.csv"`, `"embedded"`).
    pub name: String,
    /// A sentence for the output: path or embedded default and licence.
    pub detail: String,
}
