//! `LayerNorm` over the last dimension, PyTorch's `nn.LayerNorm(d)`:
//! `(x − mean) / √(var + ε) · weight + bias` with the biased variance,
//! ε = 1e-5, weight initialized to ones and bias to zeros.

use towel_autograd::array::Array;
use towel_autograd::tensor::Tensor;

use crate::error::{invalid, Result};
use crate::module::Module;
use crate::param::Parameter;

/// Layer normalization over the last dimension of size `d`.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    /// `[d]`, ones at start.
    pub weight: Parameter,
    /// `[d]`, zeros at start.
    pub bias: Parameter,
    /// Added to the variance (1e-5, PyTorch's default).
    pub eps: f32,
}

impl LayerNorm {
    /// Normalization over a last dimension of size `d`.
    pub fn new(d: usize) -> LayerNorm {
        LayerNorm {
            weight: Parameter::new(Array::full(&[d], 1.0)),
            bias: Parameter::new(Array::full(&[d], 0.0)),
            eps: 1e-5,
        }
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let d = self.weight.shape()[0];
        if x.shape().last() != Some(&d) {
            return Err(invalid(format!(
                "LayerNorm({d}): input of shape {:?} does not end in {d}",
                x.shape()
            )));
        }
        let mean = x.mean_dims(&[-1], true)?;
        let xc = x.sub(&mean)?;
        let var = xc.mul(&xc)?.mean_dims(&[-1], true)?;
        let std = var.add(&Tensor::scalar(self.eps))?.sqrt();
        Ok(xc
            .div(&std)?
            .mul(&self.weight.tensor())?
            .add(&self.bias.tensor())?)
    }

    fn visit_parameters(&self, prefix: &str, f: &mut dyn FnMut(String, &Parameter)) {
        f(format!("{prefix}weight"), &self.weight);
        f(format!("{prefix}bias"), &self.bias);
    }

    fn describe(&self) -> String {
        format!(
            "LayerNorm(({},), eps={:e})",
            self.weight.shape()[0],
            self.eps
        )
    }
}
