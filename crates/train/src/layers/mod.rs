//! Layers, one per file, each a [`Module`] with PyTorch's parameter
//! names, shapes and default initialization.

mod activation;
mod dropout;
mod embedding;
mod layernorm;
mod linear;

pub use activation::{Activation, Flatten};
pub use dropout::Dropout;
pub use embedding::{ids_of, Embedding};
pub use layernorm::LayerNorm;
pub use linear::{uniform, Linear};

use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;

use crate::error::Result;
use crate::module::Module;
use crate::param::Parameter;

/// Layers applied in order (`nn.Sequential`); the i-th layer's parameters
/// are named `"{i}.{name}"`.
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty sequence (the identity).
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Append a layer.
    pub fn push(mut self, layer: impl Module + 'static) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    /// The layers.
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for l in &self.layers {
            h = l.forward(&h)?;
        }
        Ok(h)
    }

    fn visit_parameters(&self, prefix: &str, f: &mut dyn FnMut(String, &Parameter)) {
        for (i, l) in self.layers.iter().enumerate() {
            l.visit_parameters(&format!("{prefix}{i}."), f);
        }
    }

    fn set_training(&self, training: bool) {
        for l in &self.layers {
            l.set_training(training);
        }
    }

    fn describe(&self) -> String {
        let inner: Vec<String> = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| format!("({i}): {}", l.describe()))
            .collect();
        format!("Sequential({})", inner.join(", "))
    }
}

/// A multilayer perceptron `sizes[0] → sizes[1] → … → sizes[n]`:
/// `Linear` layers with `act` between them (none after the last), as
/// `nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))`.
pub fn mlp(sizes: &[usize], act: Activation, rng: &mut Rng) -> Sequential {
    let mut s = Sequential::new();
    for (i, w) in sizes.windows(2).enumerate() {
        s = s.push(Linear::new(w[0], w[1], true, rng));
        if i + 2 < sizes.len() {
            s = s.push(act);
        }
    }
    s
}
