//! The one error type of this crate.
//!
//! A variant that wraps an underlying error keeps it as its `source()` and
//! does not repeat it in its own message: the CLI prints the chain as
//! `error: cannot read base.npy: No such file or directory`.

use std::path::PathBuf;

/// Everything that can go wrong reading, writing, building or searching
/// vectors. Each variant's doc says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VectorError {
    /// Reading or writing a file failed (`op` is `read` or `write`). Check
    /// the path, its permissions and the free space.
    #[error("cannot {op} {}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Bytes that are not what their format says: a malformed `.npy`
    /// header, a dtype other than float32, a size that does not match the
    /// shape. `origin` is the file (or a label for in-memory bytes) and
    /// `offset` the byte where the problem was found, if known. Convert the
    /// data to 2-D float32 (`np.asarray(x, dtype=np.float32)`) and save it
    /// again with `np.save`.
    #[error("{origin}{}: {reason}", .offset.map(|o| format!(" (byte {o})")).unwrap_or_default())]
    Format {
        origin: String,
        offset: Option<u64>,
        reason: String,
    },

    /// Vectors of the wrong dimension: a query of another length than the
    /// index's vectors, a file of another width than the one it is combined
    /// with, or a raw file whose size is not a multiple of the dimension.
    /// Check that both sides come from the same embedding model.
    #[error("{origin}: dimension {found}, expected {expected}")]
    Dimension {
        origin: String,
        expected: usize,
        found: usize,
    },

    /// A zero (or non-finite) vector where a direction is needed:
    /// normalizing it, its cosine, or adding it to a cosine index. `row` is
    /// its position in a batch, if it came from one. Remove such rows, or use
    /// the inner-product metric, which accepts them. A norm of `inf` from
    /// finite values means the squared norm overflowed float32: scale the
    /// vectors down.
    #[error("{origin}: {} {}", .row.map(|r| format!("row {r}")).unwrap_or_else(|| "the vector".into()), zero_vector_reason(*.norm))]
    ZeroVector {
        origin: String,
        row: Option<usize>,
        norm: f32,
    },

    /// A vector holding NaN or an infinite value, given to an index or as a
    /// query (any metric): no score of it can be ranked (every comparison
    /// with NaN is false, so it would silently match nothing, or everything
    /// at the same score). `row` is its position in its batch, `column` the
    /// first bad value's. Fix or drop such rows (`np.isfinite(x).all(axis=1)`
    /// finds the good ones).
    #[error(
        "{origin}: row {row} has {value} at column {column}; vectors must be finite to be compared"
    )]
    NonFinite {
        origin: String,
        row: usize,
        column: usize,
        value: f32,
    },

    /// A vector so long that its scores would overflow float32 (inner
    /// product and L2; see [`crate::flat::MAX_NORM_SQ`]): infinite scores
    /// cannot be ranked. Scale the vectors down (or normalize them and use
    /// the cosine metric).
    #[error("{origin}: row {row} has norm {norm:.3e}, and scores of vectors longer than {max:.3e} overflow float32; scale the vectors down")]
    TooLong {
        origin: String,
        row: usize,
        norm: f64,
        max: f64,
    },

    /// Writing a file was refused before anything was written (a read-only
    /// file or folder, a path through a file, ...); the message says which
    /// and what to do.
    #[error(transparent)]
    Write(towel_data::DataError),

    /// A parameter out of its range (a dimension of 0, for one). The
    /// message names the parameter and the accepted values.
    #[error("invalid {what}: {reason}")]
    Config { what: &'static str, reason: String },
}

impl VectorError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VectorError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(
        origin: impl Into<String>,
        offset: Option<u64>,
        reason: impl Into<String>,
    ) -> Self {
        VectorError::Format {
            origin: origin.into(),
            offset,
            reason: reason.into(),
        }
    }
}

/// towel-data is only used here to write files atomically: its I/O errors
/// are write errors, and its refusals keep their own message.
impl From<towel_data::DataError> for VectorError {
    fn from(e: towel_data::DataError) -> Self {
        match e {
            towel_data::DataError::Io { path, source } => VectorError::io("write", path, source),
            other => VectorError::Write(other),
        }
    }
}

/// Why a vector of norm `norm` has no direction, for [`VectorError::ZeroVector`].
fn zero_vector_reason(norm: f32) -> String {
    if norm == f32::INFINITY {
        "is too long for float32 (its squared norm overflows); scale the vectors down to normalize or compare them by cosine".into()
    } else {
        format!("has norm {norm}; it has no direction to normalize or compare by cosine")
    }
}
