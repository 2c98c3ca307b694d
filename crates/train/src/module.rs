//! Modules: layers with named parameters, nested like PyTorch's
//! `nn.Module`.
//!
//! A module computes `forward(x)` and lists its parameters with names;
//! submodules prefix their names with their own (`"0.weight"` is the
//! weight of a [`Sequential`](crate::layers::Sequential)'s first layer,
//! exactly PyTorch's `state_dict` key). Train/eval mode switches layers
//! such as [`Dropout`](crate::layers::Dropout).
//!
//! ```
//! use towel_autograd::{rng::Rng, tensor::Tensor};
//! use towel_train::{layers::mlp, layers::Activation, module::Module};
//! let mut rng = Rng::new(0);
//! let model = mlp(&[4, 8, 3], Activation::Relu, &mut rng);
//! let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
//! let x = Tensor::from_vec(vec![0.5; 8], &[2, 4]).unwrap();
//! assert_eq!(model.forward(&x).unwrap().shape(), &[2, 3]);
//! assert_eq!(model.num_parameters(), 4 * 8 + 8 + 8 * 3 + 3);
//! ```

use towel_autograd::array::Array;
use towel_autograd::tensor::Tensor;

use crate::error::{Result, TrainError};
use crate::param::Parameter;

/// A layer or a model: a forward function and named parameters.
pub trait Module {
    /// The output for input `x`.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// Call `f` with each parameter's full name (`prefix` + own name) in a
    /// fixed order (registration order, as PyTorch).
    fn visit_parameters(&self, prefix: &str, f: &mut dyn FnMut(String, &Parameter));

    /// Switch train (`true`) or eval mode, here and in submodules.
    fn set_training(&self, _training: bool) {}

    /// A one-line description (`Linear(in_features=64, out_features=128)`).
    fn describe(&self) -> String;

    /// Every parameter with its PyTorch-style name.
    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        let mut out = Vec::new();
        self.visit_parameters("", &mut |n, p| out.push((n, p.clone())));
        out
    }

    /// Every parameter.
    fn parameters(&self) -> Vec<Parameter> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// Total number of scalars in the parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Parameter::numel).sum()
    }

    /// Train mode (dropout active).
    fn train(&self) {
        self.set_training(true)
    }

    /// Eval mode (dropout is the identity).
    fn eval(&self) {
        self.set_training(false)
    }

    /// Forget every parameter's gradient.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// The parameters' current values by name (PyTorch's `state_dict`).
    fn state_dict(&self) -> Vec<(String, Array)> {
        self.named_parameters()
            .into_iter()
            .map(|(n, p)| (n, p.data()))
            .collect()
    }

    /// Set every parameter from `state` (by name). Missing, unexpected
    /// and mis-shaped tensors are all reported in one error, and nothing
    /// is changed unless everything fits.
    fn load_state_dict(&self, state: &[(String, Array)]) -> Result<()> {
        let params = self.named_parameters();
        let mut missing = Vec::new();
        let mut mismatched = Vec::new();
        let mut plan = Vec::new();
        for (name, p) in &params {
            match state.iter().find(|(n, _)| n == name) {
                None => missing.push(name.clone()),
                Some((_, a)) if a.shape() != p.shape().as_slice() => {
                    mismatched.push((name.clone(), p.shape(), a.shape().to_vec()))
                }
                Some((_, a)) => plan.push((p, a)),
            }
        }
        let unexpected: Vec<String> = state
            .iter()
            .filter(|(n, _)| !params.iter().any(|(m, _)| m == n))
            .map(|(n, _)| n.clone())
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() || !mismatched.is_empty() {
            return Err(TrainError::CheckpointMismatch {
                missing,
                unexpected,
                mismatched,
            });
        }
        for (p, a) in plan {
            p.set(a.contiguous())?;
        }
        Ok(())
    }
}
