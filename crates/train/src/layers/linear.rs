//! `Linear`: `y = x Wᵀ + b`, PyTorch's `nn.Linear`, with its default
//! initialization.
//!
//! PyTorch initializes the weight with `kaiming_uniform_(a = √5)` and the
//! bias uniformly in `±1/√fan_in`. Kaiming's bound is
//! `gain · √(3 / fan_in)` with `gain = √(2 / (1 + a²)) = √(1/3)`, so both
//! bounds are `1/√fan_in`: every parameter is uniform in
//! `[−1/√in, 1/√in)`.

use towel_autograd::array::Array;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;

use crate::error::Result;
use crate::module::Module;
use crate::param::Parameter;

/// A fully connected layer: weight `[out, in]`, bias `[out]`.
#[derive(Debug, Clone)]
pub struct Linear {
    /// `[out_features, in_features]`, PyTorch's layout.
    pub weight: Parameter,
    /// `[out_features]`, absent when built with `bias = false`.
    pub bias: Option<Parameter>,
}

/// `n` values uniform in `[-bound, bound)`.
pub fn uniform(n: usize, bound: f64, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect()
}

impl Linear {
    /// A layer from `in_features` to `out_features` with PyTorch's default
    /// initialization drawn from `rng`.
    pub fn new(in_features: usize, out_features: usize, bias: bool, rng: &mut Rng) -> Linear {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        let w = uniform(in_features * out_features, bound, rng);
        let weight =
            Parameter::new(Array::from_vec(w, &[out_features, in_features]).expect("size matches"));
        let bias = bias.then(|| {
            Parameter::new(
                Array::from_vec(uniform(out_features, bound, rng), &[out_features])
                    .expect("size matches"),
            )
        });
        Linear { weight, bias }
    }

    /// `(in_features, out_features)`.
    pub fn features(&self) -> (usize, usize) {
        let s = self.weight.shape();
        (s[1], s[0])
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.matmul(&self.weight.tensor().transpose(0, 1)?)?;
        Ok(match &self.bias {
            Some(b) => y.add(&b.tensor())?,
            None => y,
        })
    }

    fn visit_parameters(&self, prefix: &str, f: &mut dyn FnMut(String, &Parameter)) {
        f(format!("{prefix}weight"), &self.weight);
        if let Some(b) = &self.bias {
            f(format!("{prefix}bias"), b);
        }
    }

    fn describe(&self) -> String {
        let (i, o) = self.features();
        format!(
            "Linear(in_features={i}, out_features={o}, bias={})",
            if self.bias.is_some() { "True" } else { "False" }
        )
    }
}
