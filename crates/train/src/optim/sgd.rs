//! Stochastic gradient descent with momentum, dampening, Nesterov momentum
//! and (coupled) weight decay: PyTorch's `torch.optim.SGD`.

use towel_autograd::profile::{self, Phase};

use crate::error::{invalid, Result};
use crate::optim::{install, values, Optimizer};
use crate::param::Parameter;

/// `torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)`.
#[derive(Debug)]
pub struct Sgd {
    params: Vec<Parameter>,
    lr: f64,
    momentum: f32,
    dampening: f32,
    weight_decay: f32,
    nesterov: bool,
    buffers: Vec<Option<Vec<f32>>>,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`; add momentum etc. with the
    /// builder methods.
    pub fn new(params: Vec<Parameter>, lr: f64) -> Sgd {
        let n = params.len();
        Sgd {
            params,
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            buffers: vec![None; n],
        }
    }

    /// Momentum factor μ.
    pub fn momentum(mut self, momentum: f32) -> Sgd {
        self.momentum = momentum;
        self
    }

    /// Dampening τ of the momentum.
    pub fn dampening(mut self, dampening: f32) -> Sgd {
        self.dampening = dampening;
        self
    }

    /// L2 penalty λ added to the gradient.
    pub fn weight_decay(mut self, weight_decay: f32) -> Sgd {
        self.weight_decay = weight_decay;
        self
    }

    /// Nesterov momentum (needs momentum > 0 and dampening 0, as PyTorch).
    pub fn nesterov(mut self, nesterov: bool) -> Result<Sgd> {
        if nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(invalid(
                "SGD: Nesterov momentum requires a momentum and zero dampening",
            ));
        }
        self.nesterov = nesterov;
        Ok(self)
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) -> Result<()> {
        let _scope = profile::scope("SGD.step", Phase::Forward);
        let lr = self.lr as f32;
        for (p, buf) in self.params.iter().zip(&mut self.buffers) {
            let Some((mut w, mut g)) = values(p) else {
                continue;
            };
            if self.weight_decay != 0.0 {
                for (g, &w) in g.iter_mut().zip(&w) {
                    *g += self.weight_decay * w;
                }
            }
            if self.momentum != 0.0 {
                match buf {
                    None => *buf = Some(g.clone()),
                    Some(b) => {
                        for (b, &g) in b.iter_mut().zip(&g) {
                            *b = *b * self.momentum + g * (1.0 - self.dampening);
                        }
                    }
                }
                let b = buf.as_ref().expect("just set");
                if self.nesterov {
                    for (g, &b) in g.iter_mut().zip(b) {
                        *g += self.momentum * b;
                    }
                } else {
                    g.copy_from_slice(b);
                }
            }
            for (w, &g) in w.iter_mut().zip(&g) {
                *w += -lr * g;
            }
            install(p, w)?;
        }
        Ok(())
    }

    fn params(&self) -> &[Parameter] {
        &self.params
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}
