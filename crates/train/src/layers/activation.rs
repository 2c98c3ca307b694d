//! Parameter-free layers: activations and `Flatten`.

use towel_autograd::tensor::Tensor;

use crate::error::{invalid, Result};
use crate::module::Module;
use crate::param::Parameter;

/// An elementwise nonlinearity as a layer (`nn.ReLU`, `nn.Tanh`,
/// `nn.GELU`, `nn.Sigmoid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `x·Φ(x)` (the exact, erf form: PyTorch's default).
    Gelu,
    /// `1/(1 + e⁻ˣ)`.
    Sigmoid,
}

impl Module for Activation {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Gelu => x.gelu(),
            Activation::Sigmoid => x.sigmoid(),
        })
    }

    fn visit_parameters(&self, _prefix: &str, _f: &mut dyn FnMut(String, &Parameter)) {}

    fn describe(&self) -> String {
        match self {
            Activation::Relu => "ReLU()",
            Activation::Tanh => "Tanh()",
            Activation::Gelu => "GELU(approximate='none')",
            Activation::Sigmoid => "Sigmoid()",
        }
        .into()
    }
}

/// Flatten every dimension after the first (`nn.Flatten()`): `[N, a, b]`
/// becomes `[N, a·b]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flatten;

impl Module for Flatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let s = x.shape();
        if s.is_empty() {
            return Err(invalid("Flatten: the input needs a batch dimension"));
        }
        let rest: usize = s[1..].iter().product();
        Ok(x.reshape(&[s[0], rest])?)
    }

    fn visit_parameters(&self, _prefix: &str, _f: &mut dyn FnMut(String, &Parameter)) {}

    fn describe(&self) -> String {
        "Flatten(start_dim=1, end_dim=-1)".into()
    }
}
