//! `Dropout`: in train mode each element is zeroed with probability `p`
//! and the rest scaled by `1/(1 − p)`; in eval mode the identity
//! (PyTorch's `nn.Dropout`). Masks come from the layer's own seeded
//! generator, so a seeded run is reproducible.

use std::cell::{Cell, RefCell};

use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;

use crate::error::{invalid, Result};
use crate::module::Module;
use crate::param::Parameter;

/// Inverted dropout with probability `p`.
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    training: Cell<bool>,
    rng: RefCell<Rng>,
}

impl Dropout {
    /// Dropout with probability `p` in `[0, 1)`, masks seeded by `seed`.
    pub fn new(p: f64, seed: u64) -> Result<Dropout> {
        if !(0.0..1.0).contains(&p) {
            return Err(invalid(format!("Dropout: p = {p} must be in [0, 1)")));
        }
        Ok(Dropout {
            p,
            training: Cell::new(true),
            rng: RefCell::new(Rng::new(seed)),
        })
    }
}

impl Module for Dropout {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !self.training.get() || self.p == 0.0 {
            return Ok(x.clone());
        }
        Ok(x.dropout(self.p, &mut self.rng.borrow_mut())?)
    }

    fn visit_parameters(&self, _prefix: &str, _f: &mut dyn FnMut(String, &Parameter)) {}

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn describe(&self) -> String {
        format!("Dropout(p={})", self.p)
    }
}
