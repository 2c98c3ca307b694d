//! `Embedding`: a lookup table of `V` rows of size `D`, PyTorch's
//! `nn.Embedding`, initialized from N(0, 1) as there.
//!
//! The input is a tensor of ids stored as f32 (exact up to 2²⁴), so an
//! embedding can open a [`Sequential`](crate::layers::Sequential) like any
//! other layer; ids that are not whole numbers in `0..V` are an error.

use towel_autograd::array::Array;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;

use crate::error::{invalid, Result};
use crate::module::Module;
use crate::param::Parameter;

/// A table of `num_embeddings` vectors of size `embedding_dim`.
#[derive(Debug, Clone)]
pub struct Embedding {
    /// `[num_embeddings, embedding_dim]`.
    pub weight: Parameter,
}

impl Embedding {
    /// A table with rows drawn from N(0, 1).
    pub fn new(num_embeddings: usize, embedding_dim: usize, rng: &mut Rng) -> Embedding {
        let w: Vec<f32> = (0..num_embeddings * embedding_dim)
            .map(|_| rng.normal() as f32)
            .collect();
        Embedding {
            weight: Parameter::new(
                Array::from_vec(w, &[num_embeddings, embedding_dim]).expect("size matches"),
            ),
        }
    }

    /// The rows for `ids` (shape `ids_shape`), giving `ids_shape + [D]`.
    pub fn lookup(&self, ids: &[usize], ids_shape: &[usize]) -> Result<Tensor> {
        Ok(self.weight.tensor().embedding(ids, ids_shape)?)
    }
}

/// Ids stored as f32 back to indices, or an error naming the first bad one.
pub fn ids_of(x: &Tensor) -> Result<Vec<usize>> {
    let v = x.to_vec();
    v.iter()
        .map(|&f| {
            if f >= 0.0 && f.fract() == 0.0 && f < 16_777_216.0 {
                Ok(f as usize)
            } else {
                Err(invalid(format!(
                    "embedding: input {f} is not an id (a whole number from 0)"
                )))
            }
        })
        .collect()
}

impl Module for Embedding {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let ids = ids_of(x)?;
        self.lookup(&ids, x.shape())
    }

    fn visit_parameters(&self, prefix: &str, f: &mut dyn FnMut(String, &Parameter)) {
        f(format!("{prefix}weight"), &self.weight);
    }

    fn describe(&self) -> String {
        let s = self.weight.shape();
        format!("Embedding({}, {})", s[0], s[1])
    }
}
