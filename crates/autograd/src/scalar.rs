//! The scalar engine: micrograd's `Value`, on a flat tape.
//!
//! Every operation appends one node to a [`Tape`]: its value, its gradient,
//! which operation made it and the indices of its (at most two) inputs. A
//! [`Value`] is a copyable handle, the tape plus an index, so expressions
//! read as in micrograd:
//!
//! ```
//! use towel_autograd::scalar::Tape;
//! let tape = Tape::new();
//! let x = tape.var(-4.0);
//! let z = 2.0 * x + 2.0 + x;
//! let q = z.relu() + z * x;
//! let h = (z * z).relu();
//! let y = h + q + q * x;
//! y.backward();
//! assert_eq!(y.data(), -20.0);
//! assert_eq!(x.grad(), 46.0); // the numbers of micrograd's test_sanity_check
//! ```
//!
//! # Semantics (micrograd's)
//!
//! - `backward` sets the root's gradient to 1 and adds each node's
//!   `local derivative × gradient` into its inputs, in reverse topological
//!   order; gradients **accumulate** across calls until [`Value::zero_grad`]
//!   (micrograd's `Module.zero_grad`) or [`Tape::zero_grad`].
//! - Only nodes reachable from the root take part, so a second `backward`
//!   from another root does not push stale gradients of the first.
//! - A number mixed with a value becomes a leaf node, as `Value(other)` does.
//! - `relu`'s derivative at 0 is 0 (`out.data > 0`); `pow` takes a constant
//!   exponent, as micrograd's does ([`Value::powv`] takes a value).
//! - Where micrograd composes (`a - b` is `a + (-b)`, `-a` is `a * -1`,
//!   `a / b` is `a * b**-1`), towel has one node with the direct formula,
//!   as PyTorch has: the same values up to the last bit of a division, and
//!   PyTorch's exactly (tested against fixtures written by PyTorch).
//!
//! | op | value | ∂/∂a | ∂/∂b |
//! | --- | --- | --- | --- |
//! | `a + b` | a + b | 1 | 1 |
//! | `a - b` | a − b | 1 | −1 |
//! | `a * b` | a·b | b | a |
//! | `a / b` | a / b | 1/b | −a/b² |
//! | `a.pow(k)` | aᵏ | k·aᵏ⁻¹ (0 if k = 0) | |
//! | `a.powv(b)` | aᵇ | b·aᵇ⁻¹ (0 if b = 0) | aᵇ·ln a (0 if a = 0, b ≥ 0) |
//! | `-a` | −a | −1 | |
//! | `exp` | eᵃ | eᵃ (the output) | |
//! | `log` | ln a | 1/a | |
//! | `sin` | sin a | cos a | |
//! | `cos` | cos a | −sin a | |
//! | `tanh` | tanh a | 1 − out² | |
//! | `sigmoid` | 1/(1+e⁻ᵃ) | out·(1 − out) | |
//! | `relu` | max(a, 0) | 1 if out > 0 else 0 | |
//!
//! [`local_derivatives`] is that table as code; `backward`, the trace and
//! the DOT output all read it.
//!
//! # Why a flat tape, not reference-counted nodes
//!
//! micrograd's graph is objects pointing at their children; the direct Rust
//! translation is `Rc<RefCell<Node>>` with a closure per node. The tape
//! instead stores nodes by value in one `Vec` (32 bytes each, no closure):
//!
//! - **the topological order is free**: a node's inputs exist before it, so
//!   creation order is already topological and `backward` is one reverse
//!   loop over indices (plus a reachability bit per node), with no
//!   recursive DFS, no visited hash set and no sort;
//! - **one allocation for the whole graph**, amortised by `Vec`'s growth,
//!   instead of one (plus a closure box) per node; freeing a graph is
//!   [`Tape::truncate`], one call, instead of a cascade of `Rc` drops;
//! - **cache-friendly**: the reverse loop walks memory backwards in order.
//!
//! Measured on micrograd's MLP(2, [16, 16, 1]) over 100 points (forward +
//! backward of the demo's loss, `examples/bench_scalar.rs`): see the crate
//! docs for the figures against the `Rc` translation in
//! `tests/naive_scalar.rs`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The operation that produced a node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// A leaf: a variable or a constant.
    Leaf,
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `a ** k` with a constant `k`.
    Pow(f64),
    /// `a ** b` with a value `b`.
    PowV,
    /// `-a`.
    Neg,
    /// `exp(a)`.
    Exp,
    /// `ln(a)`.
    Log,
    /// `sin(a)`.
    Sin,
    /// `cos(a)`.
    Cos,
    /// `tanh(a)`.
    Tanh,
    /// `1 / (1 + exp(-a))`.
    Sigmoid,
    /// `max(a, 0)`.
    Relu,
}

impl Op {
    /// How many inputs the operation takes (0, 1 or 2).
    pub fn arity(self) -> usize {
        match self {
            Op::Leaf => 0,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::PowV => 2,
            _ => 1,
        }
    }

    /// A short label: `+`, `*`, `**3`, `exp`, ...
    pub fn label(self) -> String {
        match self {
            Op::Leaf => String::new(),
            Op::Add => "+".into(),
            Op::Sub => "-".into(),
            Op::Mul => "*".into(),
            Op::Div => "/".into(),
            Op::Pow(k) => format!("**{k}"),
            Op::PowV => "**".into(),
            Op::Neg => "neg".into(),
            Op::Exp => "exp".into(),
            Op::Log => "log".into(),
            Op::Sin => "sin".into(),
            Op::Cos => "cos".into(),
            Op::Tanh => "tanh".into(),
            Op::Sigmoid => "sigmoid".into(),
            Op::Relu => "relu".into(),
        }
    }
}

/// The value of `op` applied to `a` (and `b` for binary operations).
pub fn forward(op: Op, a: f64, b: f64) -> f64 {
    match op {
        Op::Leaf => a,
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
        Op::Pow(k) => a.powf(k),
        Op::PowV => a.powf(b),
        Op::Neg => -a,
        Op::Exp => a.exp(),
        Op::Log => a.ln(),
        Op::Sin => a.sin(),
        Op::Cos => a.cos(),
        Op::Tanh => a.tanh(),
        Op::Sigmoid => 1.0 / (1.0 + (-a).exp()),
        Op::Relu => {
            if a < 0.0 {
                0.0
            } else {
                a
            }
        }
    }
}

/// `(∂out/∂a, ∂out/∂b)` for `out = op(a, b)`: the table in the module docs.
/// The second is 0 for operations of one input.
pub fn local_derivatives(op: Op, a: f64, b: f64, out: f64) -> (f64, f64) {
    match op {
        Op::Leaf => (0.0, 0.0),
        Op::Add => (1.0, 1.0),
        Op::Sub => (1.0, -1.0),
        Op::Mul => (b, a),
        Op::Div => (1.0 / b, -a / (b * b)),
        Op::Pow(k) => (pow_base_derivative(a, k), 0.0),
        Op::PowV => (
            pow_base_derivative(a, b),
            pow_exponent_derivative(a, b, out),
        ),
        Op::Neg => (-1.0, 0.0),
        Op::Exp => (out, 0.0),
        Op::Log => (1.0 / a, 0.0),
        Op::Sin => (a.cos(), 0.0),
        Op::Cos => (-a.sin(), 0.0),
        Op::Tanh => (1.0 - out * out, 0.0),
        Op::Sigmoid => (out * (1.0 - out), 0.0),
        Op::Relu => (if out > 0.0 { 1.0 } else { 0.0 }, 0.0),
    }
}

/// ∂aᵇ/∂a = b·aᵇ⁻¹, and 0 where b = 0 (PyTorch's `pow_backward`: aᵇ is
/// then the constant 1, even at a = 0 where the formula gives 0·∞).
fn pow_base_derivative(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        b * a.powf(b - 1.0)
    }
}

/// ∂aᵇ/∂b = aᵇ·ln a, and 0 where a = 0 and b ≥ 0 (PyTorch's
/// `pow_backward_exponent`, where the formula gives 0·(−∞)).
fn pow_exponent_derivative(a: f64, b: f64, out: f64) -> f64 {
    if a == 0.0 && b >= 0.0 {
        0.0
    } else {
        out * a.ln()
    }
}

/// One node of the tape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// The value computed in the forward pass.
    pub data: f64,
    /// The gradient accumulated by `backward`.
    pub grad: f64,
    /// The operation that produced it.
    pub op: Op,
    /// Index of the first input (meaningful when `op.arity() >= 1`).
    pub a: u32,
    /// Index of the second input (meaningful when `op.arity() == 2`).
    pub b: u32,
}

/// The graph: every node ever created, in creation (= topological) order.
#[derive(Default)]
pub struct Tape {
    nodes: RefCell<Vec<Node>>,
    /// For each node, the truncation generation it was created in, so that
    /// a handle to a node freed by [`Tape::truncate`] is caught even after
    /// its index is reused.
    gens: RefCell<Vec<u32>>,
    /// Number of truncations that freed nodes so far.
    generation: Cell<u32>,
    /// The length of the last truncation, for the error message.
    last_cut: Cell<usize>,
}

/// A scalar in a [`Tape`]: micrograd's `Value`. Copy it freely.
///
/// A value whose node was freed by [`Tape::truncate`] is stale: using it
/// (its data, gradient, or an operation on it) panics with a message
/// saying so, instead of silently reading whichever node took its place.
#[derive(Clone, Copy)]
pub struct Value<'t> {
    tape: &'t Tape,
    id: u32,
    gen: u32,
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new leaf with value `data` (micrograd's `Value(data)`).
    pub fn var(&self, data: f64) -> Value<'_> {
        self.push(data, Op::Leaf, 0, 0)
    }

    fn push(&self, data: f64, op: Op, a: u32, b: u32) -> Value<'_> {
        let mut nodes = self.nodes.borrow_mut();
        let id = u32::try_from(nodes.len()).expect("a tape holds at most 2^32 nodes");
        nodes.push(Node {
            data,
            grad: 0.0,
            op,
            a,
            b,
        });
        let gen = self.generation.get();
        self.gens.borrow_mut().push(gen);
        Value {
            tape: self,
            id,
            gen,
        }
    }

    fn apply(&self, op: Op, a: u32, b: u32) -> Value<'_> {
        let data = {
            let nodes = self.nodes.borrow();
            let bv = if op.arity() == 2 {
                nodes[b as usize].data
            } else {
                0.0
            };
            forward(op, nodes[a as usize].data, bv)
        };
        self.push(data, op, a, b)
    }

    /// Number of nodes on the tape.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether the tape has no node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop every node created after the first `len`: frees the graph of a
    /// training step while keeping the parameters created before it.
    /// Values that pointed past `len` are stale afterwards: using one
    /// panics with a message naming the truncation (see [`Value`]).
    pub fn truncate(&self, len: usize) {
        let mut nodes = self.nodes.borrow_mut();
        if len < nodes.len() {
            nodes.truncate(len);
            self.gens.borrow_mut().truncate(len);
            self.generation.set(self.generation.get() + 1);
            self.last_cut.set(len);
        }
    }

    /// Panic with a clear message when `v` points at a freed node.
    #[inline]
    fn check(&self, v: Value<'_>) {
        let gens = self.gens.borrow();
        if gens.get(v.id as usize) != Some(&v.gen) {
            drop(gens);
            self.stale(v.id);
        }
    }

    #[cold]
    #[inline(never)]
    fn stale(&self, id: u32) -> ! {
        panic!(
            "stale scalar::Value: node {id} was freed by Tape::truncate({}); only values \
             created before the truncation mark, or after the truncate, may be used",
            self.last_cut.get()
        )
    }

    /// Set every gradient on the tape to 0.
    pub fn zero_grad(&self) {
        for n in self.nodes.borrow_mut().iter_mut() {
            n.grad = 0.0;
        }
    }

    /// A copy of node `id`.
    pub fn node(&self, id: u32) -> Node {
        self.nodes.borrow()[id as usize]
    }

    /// The value of node `id` as a handle.
    pub fn value(&self, id: u32) -> Value<'_> {
        assert!((id as usize) < self.len(), "node {id} is not on the tape");
        let gen = self.gens.borrow()[id as usize];
        Value {
            tape: self,
            id,
            gen,
        }
    }

    /// Which nodes the node `root` depends on (itself included), indexed by node id.
    pub fn reachable(&self, root: u32) -> Vec<bool> {
        let nodes = self.nodes.borrow();
        let r = root as usize;
        let mut seen = vec![false; r + 1];
        seen[r] = true;
        for i in (0..=r).rev() {
            if !seen[i] {
                continue;
            }
            let n = &nodes[i];
            let arity = n.op.arity();
            if arity >= 1 {
                seen[n.a as usize] = true;
            }
            if arity == 2 {
                seen[n.b as usize] = true;
            }
        }
        seen
    }

    /// Backpropagate from `root`, calling `step` once per node that passes
    /// a gradient on, in reverse topological order, with the node's id and
    /// the node as it is then (its gradient complete) and its local derivatives.
    fn backward_with(&self, root: u32, mut step: impl FnMut(u32, &Node, (f64, f64))) {
        let seen = self.reachable(root);
        let mut nodes = self.nodes.borrow_mut();
        nodes[root as usize].grad = 1.0;
        for i in (0..=root as usize).rev() {
            if !seen[i] {
                continue;
            }
            let n = nodes[i];
            let arity = n.op.arity();
            if arity == 0 {
                step(i as u32, &n, (0.0, 0.0));
                continue;
            }
            let a = nodes[n.a as usize].data;
            let b = if arity == 2 {
                nodes[n.b as usize].data
            } else {
                0.0
            };
            let (da, db) = local_derivatives(n.op, a, b, n.data);
            step(i as u32, &n, (da, db));
            nodes[n.a as usize].grad += da * n.grad;
            if arity == 2 {
                nodes[n.b as usize].grad += db * n.grad;
            }
        }
    }

    /// [`Value::backward`], recording each step: the node, its gradient, and
    /// for each input its local derivative and the chain-rule product added
    /// to the input's gradient.
    pub fn backward_trace(&self, root: Value<'_>) -> Vec<TraceStep> {
        let mut steps = Vec::new();
        self.backward_with(root.id, |id, n, (da, db)| {
            let inputs = [(n.a, da), (n.b, db)][..n.op.arity()]
                .iter()
                .map(|&(input, local)| TraceInput {
                    input,
                    local,
                    product: local * n.grad,
                })
                .collect();
            steps.push(TraceStep {
                id,
                node: *n,
                inputs,
            });
        });
        steps
    }
}

/// One step of [`Tape::backward_trace`].
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStep {
    /// The node's id.
    pub id: u32,
    /// The node, with its complete gradient.
    pub node: Node,
    /// What it passes to each input.
    pub inputs: Vec<TraceInput>,
}

/// What a node passes to one input in [`TraceStep`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceInput {
    /// The input's id.
    pub input: u32,
    /// ∂node/∂input.
    pub local: f64,
    /// `local × node.grad`, added to the input's gradient.
    pub product: f64,
}

impl<'t> Value<'t> {
    /// The node's index on its tape.
    pub fn id(self) -> u32 {
        self.id
    }

    /// The tape this value lives on.
    pub fn tape(self) -> &'t Tape {
        self.tape
    }

    /// The value (micrograd's `.data`).
    pub fn data(self) -> f64 {
        self.tape.check(self);
        self.tape.nodes.borrow()[self.id as usize].data
    }

    /// The accumulated gradient (micrograd's `.grad`).
    pub fn grad(self) -> f64 {
        self.tape.check(self);
        self.tape.nodes.borrow()[self.id as usize].grad
    }

    /// Overwrite the value, as an optimizer step does (`p.data -= lr * p.grad`).
    pub fn set_data(self, data: f64) {
        self.tape.check(self);
        self.tape.nodes.borrow_mut()[self.id as usize].data = data;
    }

    /// Set this value's gradient to 0.
    pub fn zero_grad(self) {
        self.tape.check(self);
        self.tape.nodes.borrow_mut()[self.id as usize].grad = 0.0;
    }

    /// Backpropagate: this value's gradient becomes 1, and every value it
    /// depends on adds its share (accumulating, as in micrograd).
    pub fn backward(self) {
        self.tape.check(self);
        self.tape.backward_with(self.id, |_, _, _| {});
    }

    fn unary(self, op: Op) -> Self {
        self.tape.check(self);
        self.tape.apply(op, self.id, 0)
    }

    fn binary(self, op: Op, other: Value<'t>) -> Self {
        debug_assert!(std::ptr::eq(self.tape, other.tape), "values from two tapes");
        self.tape.check(self);
        self.tape.check(other);
        self.tape.apply(op, self.id, other.id)
    }

    /// `self ** k` for a constant `k`.
    pub fn pow(self, k: f64) -> Self {
        self.unary(Op::Pow(k))
    }

    /// `self ** b` for a value `b`.
    pub fn powv(self, b: Value<'t>) -> Self {
        self.binary(Op::PowV, b)
    }

    /// `e ** self`.
    pub fn exp(self) -> Self {
        self.unary(Op::Exp)
    }

    /// Natural logarithm.
    pub fn log(self) -> Self {
        self.unary(Op::Log)
    }

    /// Sine.
    pub fn sin(self) -> Self {
        self.unary(Op::Sin)
    }

    /// Cosine.
    pub fn cos(self) -> Self {
        self.unary(Op::Cos)
    }

    /// Hyperbolic tangent.
    pub fn tanh(self) -> Self {
        self.unary(Op::Tanh)
    }

    /// Logistic sigmoid.
    pub fn sigmoid(self) -> Self {
        self.unary(Op::Sigmoid)
    }

    /// `max(self, 0)`.
    pub fn relu(self) -> Self {
        self.unary(Op::Relu)
    }

    fn constant(self, c: f64) -> Self {
        self.tape.var(c)
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value(data={}, grad={})", self.data(), self.grad())
    }
}

impl<'t> Neg for Value<'t> {
    type Output = Value<'t>;
    fn neg(self) -> Self {
        self.unary(Op::Neg)
    }
}

macro_rules! binary_ops {
    ($($trait:ident $method:ident $op:expr;)*) => {$(
        impl<'t> $trait for Value<'t> {
            type Output = Value<'t>;
            fn $method(self, rhs: Value<'t>) -> Value<'t> {
                self.binary($op, rhs)
            }
        }
        impl<'t> $trait<f64> for Value<'t> {
            type Output = Value<'t>;
            fn $method(self, rhs: f64) -> Value<'t> {
                self.binary($op, self.constant(rhs))
            }
        }
        impl<'t> $trait<Value<'t>> for f64 {
            type Output = Value<'t>;
            fn $method(self, rhs: Value<'t>) -> Value<'t> {
                rhs.constant(self).binary($op, rhs)
            }
        }
    )*};
}

binary_ops! {
    Add add Op::Add;
    Sub sub Op::Sub;
    Mul mul Op::Mul;
    Div div Op::Div;
}

impl<'t> std::iter::Sum<Value<'t>> for Option<Value<'t>> {
    fn sum<I: Iterator<Item = Value<'t>>>(iter: I) -> Self {
        iter.reduce(|a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_accumulate_and_zero() {
        let tape = Tape::new();
        let x = tape.var(3.0);
        let y = x * x;
        y.backward();
        assert_eq!(x.grad(), 6.0);
        y.backward();
        assert_eq!(x.grad(), 12.0);
        tape.zero_grad();
        assert_eq!(x.grad(), 0.0);
    }

    #[test]
    fn a_second_root_does_not_replay_the_first() {
        let tape = Tape::new();
        let x = tape.var(2.0);
        let first = x * 3.0;
        first.backward();
        let second = x * 5.0;
        second.backward();
        assert_eq!(x.grad(), 8.0);
    }

    #[test]
    fn same_input_twice() {
        let tape = Tape::new();
        let a = tape.var(-3.0);
        let b = a + a;
        b.backward();
        assert_eq!(a.grad(), 2.0);
    }

    #[test]
    fn relu_derivative_at_zero_is_zero() {
        let tape = Tape::new();
        let x = tape.var(0.0);
        x.relu().backward();
        assert_eq!(x.grad(), 0.0);
    }

    #[test]
    fn truncate_frees_a_step() {
        let tape = Tape::new();
        let w = tape.var(0.5);
        let mark = tape.len();
        (w * 2.0).tanh().backward();
        assert!(tape.len() > mark);
        tape.truncate(mark);
        assert_eq!(tape.len(), mark);
        assert!(w.grad() != 0.0);
    }

    #[test]
    fn a_value_freed_by_truncate_is_a_clear_panic() {
        let tape = Tape::new();
        let w = tape.var(0.5);
        let mark = tape.len();
        let y = (w * 2.0).tanh();
        tape.truncate(mark);
        let z = w * 3.0; // reuses y's index range
        assert_eq!(z.data(), 1.5);
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| y.data()))
            .expect_err("a stale value must not read the node now at its index");
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("stale") && msg.contains("Tape::truncate(1)"),
            "{msg}"
        );
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (y + w).data()));
        assert!(err.is_err());
        // Values made before the mark, and after the truncate, stay valid.
        assert_eq!((w + z).data(), 2.0);
    }
}
