//! Adam (Kingma and Ba 2015) with bias correction, and AdamW
//! (Loshchilov and Hutter 2019) with decoupled weight decay: PyTorch's
//! `torch.optim.Adam` and `torch.optim.AdamW`.

use towel_autograd::profile::{self, Phase};

use crate::error::Result;
use crate::optim::{install, values, Optimizer};
use crate::param::Parameter;

/// `torch.optim.Adam` / `torch.optim.AdamW` (non-AMSGrad).
#[derive(Debug)]
pub struct Adam {
    params: Vec<Parameter>,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
    state: Vec<Option<State>>,
}

#[derive(Debug, Clone)]
struct State {
    step: u64,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    /// `torch.optim.Adam(params, lr)`: betas (0.9, 0.999), eps 1e-8, no
    /// weight decay.
    pub fn new(params: Vec<Parameter>, lr: f64) -> Adam {
        let n = params.len();
        Adam {
            params,
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            state: vec![None; n],
        }
    }

    /// `torch.optim.AdamW(params, lr)`: as Adam, with decoupled weight
    /// decay 0.01 (PyTorch's default).
    pub fn adamw(params: Vec<Parameter>, lr: f64) -> Adam {
        Adam {
            weight_decay: 0.01,
            decoupled: true,
            ..Adam::new(params, lr)
        }
    }

    /// (β₁, β₂).
    pub fn betas(mut self, b1: f64, b2: f64) -> Adam {
        self.betas = (b1, b2);
        self
    }

    /// ε added to the denominator.
    pub fn eps(mut self, eps: f64) -> Adam {
        self.eps = eps;
        self
    }

    /// Weight decay λ (added to the gradient for Adam, decoupled for AdamW).
    pub fn weight_decay(mut self, weight_decay: f64) -> Adam {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Adam {
    fn step(&mut self) -> Result<()> {
        let _scope = profile::scope(
            if self.decoupled {
                "AdamW.step"
            } else {
                "Adam.step"
            },
            Phase::Forward,
        );
        let (b1, b2) = self.betas;
        for (p, slot) in self.params.iter().zip(&mut self.state) {
            let Some((mut w, mut g)) = values(p) else {
                continue;
            };
            let st = slot.get_or_insert_with(|| State {
                step: 0,
                m: vec![0.0; w.len()],
                v: vec![0.0; w.len()],
            });
            st.step += 1;
            if self.weight_decay != 0.0 {
                if self.decoupled {
                    let f = (1.0 - self.lr * self.weight_decay) as f32;
                    w.iter_mut().for_each(|w| *w *= f);
                } else {
                    let wd = self.weight_decay as f32;
                    for (g, &w) in g.iter_mut().zip(&w) {
                        *g += wd * w;
                    }
                }
            }
            let t = st.step as f64;
            let bc1 = 1.0 - b1.powf(t);
            let bc2 = 1.0 - b2.powf(t);
            let step_size = (self.lr / bc1) as f32;
            let bc2_sqrt = bc2.sqrt() as f32;
            let (one_b1, b2f, one_b2, eps) = (
                (1.0 - b1) as f32,
                b2 as f32,
                (1.0 - b2) as f32,
                self.eps as f32,
            );
            profile::kernel(|| {
                for (((w, &g), m), v) in w.iter_mut().zip(&g).zip(&mut st.m).zip(&mut st.v) {
                    *m += one_b1 * (g - *m);
                    *v = *v * b2f + one_b2 * g * g;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    *w += -step_size * (*m / denom);
                }
            });
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
