//! micrograd's `nn.py` on the scalar engine: [`Neuron`], [`Layer`], [`Mlp`],
//! plus the two-moons data set and the demo's max-margin loss.
//!
//! ```
//! use towel_autograd::{nn::{make_moons, Mlp}, rng::Rng, scalar::Tape};
//! let tape = Tape::new();
//! let mut rng = Rng::new(1337);
//! let model = Mlp::new(&tape, 2, &[16, 16, 1], &mut rng);
//! assert_eq!(model.parameters().len(), 337); // as micrograd's demo prints
//! let (x, y) = make_moons(100, 0.1, &mut rng);
//! let (loss, accuracy) = towel_autograd::nn::svm_loss(&model, &x, &y);
//! loss.backward();
//! assert!(accuracy > 0.0 && loss.data() > 0.0);
//! ```
//!
//! Semantics follow micrograd exactly: weights uniform in [-1, 1), bias 0,
//! a neuron's activation is `b + w₀x₀ + w₁x₁ + …` summed in that order,
//! ReLU on every layer but the last, and a layer of one neuron returns a
//! single value.

use crate::rng::Rng;
use crate::scalar::{Tape, Value};

/// One neuron: `relu(b + Σ wᵢ xᵢ)`, or linear.
pub struct Neuron<'t> {
    /// Weights, one per input.
    pub w: Vec<Value<'t>>,
    /// Bias.
    pub b: Value<'t>,
    /// Whether a ReLU follows.
    pub nonlin: bool,
}

impl<'t> Neuron<'t> {
    /// `nin` weights uniform in [-1, 1), bias 0.
    pub fn new(tape: &'t Tape, nin: usize, nonlin: bool, rng: &mut Rng) -> Self {
        let w = (0..nin).map(|_| tape.var(rng.uniform(-1.0, 1.0))).collect();
        Neuron {
            w,
            b: tape.var(0.0),
            nonlin,
        }
    }

    /// The neuron's output for inputs `x`.
    pub fn call(&self, x: &[Value<'t>]) -> Value<'t> {
        let act = self
            .w
            .iter()
            .zip(x)
            .fold(self.b, |acc, (&wi, &xi)| acc + wi * xi);
        if self.nonlin {
            act.relu()
        } else {
            act
        }
    }

    /// Weights then bias.
    pub fn parameters(&self) -> Vec<Value<'t>> {
        let mut p = self.w.clone();
        p.push(self.b);
        p
    }
}

/// A layer of neurons that all see the same inputs.
pub struct Layer<'t> {
    /// The neurons.
    pub neurons: Vec<Neuron<'t>>,
}

impl<'t> Layer<'t> {
    /// `nout` neurons of `nin` inputs each.
    pub fn new(tape: &'t Tape, nin: usize, nout: usize, nonlin: bool, rng: &mut Rng) -> Self {
        Layer {
            neurons: (0..nout)
                .map(|_| Neuron::new(tape, nin, nonlin, rng))
                .collect(),
        }
    }

    /// One output per neuron.
    pub fn call(&self, x: &[Value<'t>]) -> Vec<Value<'t>> {
        self.neurons.iter().map(|n| n.call(x)).collect()
    }

    /// Every neuron's parameters, in order.
    pub fn parameters(&self) -> Vec<Value<'t>> {
        self.neurons.iter().flat_map(|n| n.parameters()).collect()
    }
}

/// A multi-layer perceptron: micrograd's `MLP(nin, nouts)`.
pub struct Mlp<'t> {
    /// The layers; all but the last apply ReLU.
    pub layers: Vec<Layer<'t>>,
}

impl<'t> Mlp<'t> {
    /// Layers of sizes `nouts` after `nin` inputs.
    pub fn new(tape: &'t Tape, nin: usize, nouts: &[usize], rng: &mut Rng) -> Self {
        let mut sizes = vec![nin];
        sizes.extend_from_slice(nouts);
        let layers = (0..nouts.len())
            .map(|i| Layer::new(tape, sizes[i], sizes[i + 1], i + 1 != nouts.len(), rng))
            .collect();
        Mlp { layers }
    }

    /// The outputs of the last layer (one value when it has one neuron).
    pub fn call(&self, x: &[Value<'t>]) -> Vec<Value<'t>> {
        let mut x = x.to_vec();
        for layer in &self.layers {
            x = layer.call(&x);
        }
        x
    }

    /// Every parameter, layer by layer.
    pub fn parameters(&self) -> Vec<Value<'t>> {
        self.layers.iter().flat_map(|l| l.parameters()).collect()
    }

    /// Set every parameter's gradient to 0.
    pub fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }
}

/// scikit-learn's `make_moons(n, noise=noise, shuffle=True)`: two
/// interleaving half circles, labels 0 (upper) and 1 (lower), returned as
/// points and labels ±1 (the demo's `y*2 - 1`). The noise and shuffle come
/// from `rng`, so the points are not scikit-learn's, but the shape is.
pub fn make_moons(n: usize, noise: f64, rng: &mut Rng) -> (Vec<[f64; 2]>, Vec<f64>) {
    let n_out = n / 2;
    let n_in = n - n_out;
    let lin = |i: usize, m: usize| {
        if m <= 1 {
            0.0
        } else {
            std::f64::consts::PI * i as f64 / (m - 1) as f64
        }
    };
    let mut pts: Vec<([f64; 2], f64)> = Vec::with_capacity(n);
    for i in 0..n_out {
        let t = lin(i, n_out);
        pts.push(([t.cos(), t.sin()], -1.0));
    }
    for i in 0..n_in {
        let t = lin(i, n_in);
        pts.push(([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1.0));
    }
    for (p, _) in pts.iter_mut() {
        p[0] += noise * rng.normal();
        p[1] += noise * rng.normal();
    }
    for i in (1..pts.len()).rev() {
        let j = rng.below(i + 1);
        pts.swap(i, j);
    }
    pts.into_iter().unzip()
}

/// The demo's loss on the whole set: mean SVM max-margin loss
/// `relu(1 - yᵢ·scoreᵢ)` plus `1e-4 · Σ p²`, and the accuracy
/// (fraction of points with `(yᵢ > 0) == (scoreᵢ > 0)`).
pub fn svm_loss<'t>(model: &Mlp<'t>, x: &[[f64; 2]], y: &[f64]) -> (Value<'t>, f64) {
    let tape = model.layers[0].neurons[0].b.tape();
    let mut losses = Vec::with_capacity(x.len());
    let mut correct = 0usize;
    for (xi, &yi) in x.iter().zip(y) {
        let input = [tape.var(xi[0]), tape.var(xi[1])];
        let score = model.call(&input)[0];
        losses.push((1.0 + -yi * score).relu());
        correct += usize::from((yi > 0.0) == (score.data() > 0.0));
    }
    let data_loss = sum(tape, &losses) * (1.0 / losses.len() as f64);
    let squares: Vec<_> = model.parameters().iter().map(|&p| p * p).collect();
    let reg_loss = 1e-4 * sum(tape, &squares);
    (data_loss + reg_loss, correct as f64 / x.len() as f64)
}

/// Python's `sum(values)`: `0 + v₀ + v₁ + …`.
pub fn sum<'t>(tape: &'t Tape, values: &[Value<'t>]) -> Value<'t> {
    values.iter().fold(tape.var(0.0), |acc, &v| acc + v)
}

/// The demo's training loop: `steps` steps of full-batch SGD with learning
/// rate `1 - 0.9·k/100`, freeing each step's graph; returns the loss and
/// accuracy of each step (before its update).
pub fn train_moons(model: &Mlp<'_>, x: &[[f64; 2]], y: &[f64], steps: usize) -> Vec<(f64, f64)> {
    let tape = model.layers[0].neurons[0].b.tape();
    let params = model.parameters();
    let mark = tape.len();
    let mut history = Vec::with_capacity(steps);
    for k in 0..steps {
        let (loss, acc) = svm_loss(model, x, y);
        model.zero_grad();
        loss.backward();
        let lr = 1.0 - 0.9 * k as f64 / 100.0;
        for p in &params {
            p.set_data(p.data() - lr * p.grad());
        }
        history.push((loss.data(), acc));
        tape.truncate(mark);
    }
    history
}
