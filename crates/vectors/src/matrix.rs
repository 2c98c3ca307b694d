//! [`Vectors`]: `n` vectors of one dimension, stored row-major in one `Vec<f32>`.

use crate::error::VectorError;

/// `n` vectors of dimension `dim`, row-major float32 (row `i` is
/// `data[i * dim..(i + 1) * dim]`), the layout of a C-order `(n, dim)` numpy array.
///
/// ```
/// let v = towel_vectors::Vectors::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3)?;
/// assert_eq!((v.len(), v.dim()), (2, 3));
/// assert_eq!(v.row(1), &[4.0, 5.0, 6.0]);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Vectors {
    data: Vec<f32>,
    dim: usize,
}

impl Vectors {
    /// Wrap row-major `data` of vectors of dimension `dim`. Fails when `dim`
    /// is 0 or `data.len()` is not a multiple of it.
    pub fn new(data: Vec<f32>, dim: usize) -> Result<Self, VectorError> {
        if dim == 0 {
            return Err(VectorError::Config {
                what: "dimension",
                reason: "must be at least 1".into(),
            });
        }
        if !data.len().is_multiple_of(dim) {
            return Err(VectorError::Config {
                what: "vectors",
                reason: format!(
                    "{} values are not a whole number of vectors of dimension {dim}",
                    data.len()
                ),
            });
        }
        Ok(Vectors { data, dim })
    }

    /// No vectors yet, of dimension `dim` (≥ 1).
    pub fn empty(dim: usize) -> Result<Self, VectorError> {
        Self::new(Vec::new(), dim)
    }

    /// The dimension of every vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of vectors.
    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    /// True when there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Vector `i`. Panics when `i >= len()`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The vectors one by one.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f32> {
        self.data.chunks_exact(self.dim)
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, row-major, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The row-major values.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Append vectors of the same dimension.
    pub fn extend(&mut self, other: &Vectors) -> Result<(), VectorError> {
        if other.dim != self.dim {
            return Err(VectorError::Dimension {
                origin: "vectors to append".into(),
                expected: self.dim,
                found: other.dim,
            });
        }
        self.data.extend_from_slice(&other.data);
        Ok(())
    }
}
