//! Tensors with reverse-mode gradients over a dynamic graph.
//!
//! A [`Tensor`] is an [`Array`] plus, when it was computed from tensors
//! that require gradients, a *node*: its inputs and a function from the
//! output's gradient to theirs. `backward` visits the nodes in reverse
//! topological order, adds each input's share and **frees each node as it
//! goes** (PyTorch's default `retain_graph=False`), so memory stays flat
//! across training steps; [`live_nodes`] counts the nodes alive on this
//! thread. Inside a [`no_grad`] scope no node is made at all.
//!
//! A second `backward` that reaches a freed node is
//! [`AutogradError::GraphFreed`], checked before any gradient is added
//! (PyTorch raises it for ops that saved tensors, such as `exp` or `mul`;
//! for those that saved none, such as `add`, PyTorch runs the second pass,
//! towel refuses it as well). A graph that reads a leaf replaced since
//! ([`Tensor::mark_replaced`]) is [`AutogradError::LeafReplaced`].
//!
//! ```
//! use towel_autograd::tensor::{Tensor, no_grad, live_nodes};
//! let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap().requires_grad();
//! let x = Tensor::from_vec(vec![1.0, -1.0], &[2, 1]).unwrap();
//! let loss = w.matmul(&x).unwrap().tanh().sum();
//! assert!(live_nodes() > 0);
//! loss.backward().unwrap();
//! assert_eq!(live_nodes(), 0);                  // the graph is freed
//! assert_eq!(w.grad().unwrap().shape(), &[2, 2]);
//! {
//!     let _guard = no_grad();
//!     let y = w.matmul(&x).unwrap().tanh();
//!     assert_eq!(live_nodes(), 0);              // no graph at all
//!     assert!(!y.requires_grad_flag());
//! }
//! ```
//!
//! Gradient formulas (`g` is the output's gradient; broadcast inputs get
//! theirs summed back to their shape):
//!
//! | op | ∂ wrt a | ∂ wrt b |
//! | --- | --- | --- |
//! | `a + b`, `a - b` | g | g, −g |
//! | `a * b` | g·b | g·a |
//! | `a / b` | g/b | −g·a/b² |
//! | `a.powf(p)` | g·p·aᵖ⁻¹ (0 if p = 0, as PyTorch: not 0·∞ at a = 0) | |
//! | `exp`, `log`, `sqrt` | g·out, g/a, g/(2·out) | |
//! | `tanh`, `sigmoid` | g·(1−out²), g·out·(1−out) | |
//! | `relu` | g where out is not ≤ 0 (NaN passes g), else 0 | |
//! | `gelu` (erf form) | g·(Φ(a) + a·φ(a)) | |
//! | `a @ b` | g @ bᵀ | aᵀ @ g |
//! | `sum`, `mean` over dims | g broadcast back (÷ n for mean) | |
//! | `max` over a dim | g at the first maximum, 0 elsewhere | |
//! | `softmax` | out·(g − Σ g·out) | |
//! | `log_softmax` | g − softmax·Σ g | |
//! | `embedding`, `index_select`, `gather` | g added into the rows/elements read | |
//! | `cat`, `stack` | the slice of g each input filled | |
//! | `masked_fill` | g where the mask is 0, else 0 | |
//! | `dropout` | g·mask/(1 − p), the forward's mask | |
//! | `diagonal` | g on the diagonal, 0 elsewhere | |
//! | views (`reshape`, `transpose`, `permute`) | g through the inverse view | |

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::array::{dim_index, insert_dim_index, Array};
use crate::error::{invalid, AutogradError, Result};
use crate::fastmath;
use crate::profile::{self, Phase};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static LIVE_NODES: Cell<usize> = const { Cell::new(0) };
}

/// Number of graph nodes alive on this thread.
pub fn live_nodes() -> usize {
    LIVE_NODES.with(Cell::get)
}

/// Whether operations record a graph on this thread now.
pub fn grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Until the guard is dropped, operations build no graph (PyTorch's
/// `torch.no_grad()`): results do not require gradients and hold no node.
pub fn no_grad() -> NoGradGuard {
    let prev = GRAD_ENABLED.with(|g| g.replace(false));
    NoGradGuard { prev }
}

/// Restores gradient recording when dropped; see [`no_grad`].
pub struct NoGradGuard {
    prev: bool,
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.prev));
    }
}

type BackwardFn = Box<dyn Fn(&Array) -> Result<Vec<Option<Array>>>>;

struct Node {
    name: &'static str,
    inputs: Vec<Tensor>,
    backward: BackwardFn,
}

impl Node {
    fn new(name: &'static str, inputs: Vec<Tensor>, backward: BackwardFn) -> Node {
        LIVE_NODES.with(|n| n.set(n.get() + 1));
        Node {
            name,
            inputs,
            backward,
        }
    }
}

impl Drop for Node {
    /// Frees the graph behind this node with a work list instead of a
    /// recursion through `Rc<Inner>`, node and inputs (a chain of a million
    /// ops, dropped without `backward`, overflowed the stack): an input of
    /// which this is the last handle gives its own inputs to the list.
    fn drop(&mut self) {
        LIVE_NODES.with(|n| n.set(n.get() - 1));
        let mut pending = std::mem::take(&mut self.inputs);
        while let Some(t) = pending.pop() {
            if let Ok(inner) = Rc::try_unwrap(t.0) {
                if let Some(mut node) = inner.node.into_inner() {
                    pending.append(&mut node.inputs);
                }
            }
        }
    }
}

struct Inner {
    data: Array,
    requires_grad: bool,
    leaf: bool,
    /// Set by [`Tensor::mark_replaced`]: a graph reading this leaf is stale.
    replaced: Cell<bool>,
    grad: RefCell<Option<Array>>,
    node: RefCell<Option<Node>>,
}

/// An f32 tensor that may take part in automatic differentiation.
/// Cloning is cheap (a reference count) and shares everything.
#[derive(Clone)]
pub struct Tensor(Rc<Inner>);

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tensor")
            .field("shape", &self.shape())
            .field("requires_grad", &self.0.requires_grad)
            .field("op", &self.0.node.borrow().as_ref().map(|n| n.name))
            .finish()
    }
}

fn leaf(data: Array, requires_grad: bool) -> Tensor {
    Tensor(Rc::new(Inner {
        data,
        requires_grad,
        leaf: true,
        replaced: Cell::new(false),
        grad: RefCell::new(None),
        node: RefCell::new(None),
    }))
}

/// The result of an operation: with a node when recording and some input
/// requires gradients, else a plain tensor (and `backward` is dropped).
fn from_op(
    data: Array,
    name: &'static str,
    inputs: Vec<Tensor>,
    backward: impl Fn(&Array) -> Result<Vec<Option<Array>>> + 'static,
) -> Tensor {
    profile::produced(data.numel());
    if !grad_enabled() || !inputs.iter().any(|t| t.0.requires_grad) {
        return leaf(data, false);
    }
    Tensor(Rc::new(Inner {
        data,
        requires_grad: true,
        leaf: false,
        replaced: Cell::new(false),
        grad: RefCell::new(None),
        node: RefCell::new(Some(Node::new(name, inputs, Box::new(backward)))),
    }))
}

fn add_arrays(a: &Array, b: &Array) -> Result<Array> {
    a.zip_map(b, "add", |x, y| x + y)
}

impl Tensor {
    /// A tensor that does not require gradients.
    pub fn new(data: Array) -> Tensor {
        leaf(data, false)
    }

    /// A tensor of `shape` from row-major values.
    pub fn from_vec(data: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::new(Array::from_vec(data, shape)?))
    }

    /// A 0-dimensional tensor.
    pub fn scalar(v: f32) -> Tensor {
        Tensor::new(Array::scalar(v))
    }

    /// This tensor's data as a leaf that requires gradients (PyTorch's
    /// `requires_grad_()` on a fresh tensor).
    pub fn requires_grad(self) -> Tensor {
        leaf(self.0.data.clone(), true)
    }

    /// Whether gradients flow to or through this tensor.
    pub fn requires_grad_flag(&self) -> bool {
        self.0.requires_grad
    }

    /// The same data, cut from the graph (shares storage).
    pub fn detach(&self) -> Tensor {
        leaf(self.0.data.clone(), false)
    }

    /// The data.
    pub fn data(&self) -> &Array {
        &self.0.data
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.0.data.shape()
    }

    /// The values in row-major order.
    pub fn to_vec(&self) -> Vec<f32> {
        self.0.data.to_vec()
    }

    /// The accumulated gradient of a leaf, if any.
    pub fn grad(&self) -> Option<Array> {
        self.0.grad.borrow().clone()
    }

    /// Forget the accumulated gradient.
    pub fn zero_grad(&self) {
        *self.0.grad.borrow_mut() = None;
    }

    /// Mark this leaf as replaced by new values (what PyTorch's in-place
    /// update of a parameter is): a later `backward` through a graph that
    /// reads it is [`AutogradError::LeafReplaced`], not a gradient added to
    /// values that are no longer in use. `towel_train`'s `Parameter::set`
    /// calls it on the leaf it replaces.
    pub fn mark_replaced(&self) {
        self.0.replaced.set(true);
    }

    /// The name of the operation that made this tensor, while its graph lives.
    pub fn op_name(&self) -> Option<&'static str> {
        self.0.node.borrow().as_ref().map(|n| n.name)
    }

    /// Backpropagate from a one-element tensor (gradient 1).
    pub fn backward(&self) -> Result<()> {
        if self.0.data.numel() != 1 {
            return Err(invalid(
                "backward",
                format!(
                    "shape {:?} is not a single value; reduce it (sum, mean) or pass an upstream gradient with backward_with",
                    self.shape()
                ),
            ));
        }
        self.backward_with(Array::full(self.shape(), 1.0))
    }

    /// Backpropagate with an explicit upstream gradient of this tensor's
    /// shape. Gradients are added into the leaves' `grad`; the graph is
    /// freed.
    pub fn backward_with(&self, upstream: Array) -> Result<()> {
        if upstream.shape() != self.shape() {
            return Err(AutogradError::Shape {
                op: "backward",
                lhs: self.shape().to_vec(),
                rhs: upstream.shape().to_vec(),
                detail: "differ: the upstream gradient must have the tensor's shape".into(),
            });
        }
        if !self.0.requires_grad {
            return Err(invalid("backward", "this tensor does not require gradients: no input was made with requires_grad(), or it was computed under no_grad"));
        }
        let _engine = profile::engine_scope();
        let order = self.topological_order();
        check_graph(&order)?;
        let key = |t: &Tensor| Rc::as_ptr(&t.0);
        let mut grads: HashMap<*const Inner, Array> = HashMap::new();
        grads.insert(key(self), upstream);
        for t in order.iter().rev() {
            let Some(g) = grads.remove(&key(t)) else {
                continue;
            };
            let node = t.0.node.borrow_mut().take();
            match node {
                Some(node) => {
                    let input_grads = {
                        let _prof = profile::scope(node.name, Phase::Backward);
                        (node.backward)(&g)?
                    };
                    for (input, ig) in node.inputs.iter().zip(input_grads) {
                        let Some(ig) = ig else { continue };
                        if !input.0.requires_grad {
                            continue;
                        }
                        let slot = grads.remove(&key(input));
                        let sum = match slot {
                            Some(prev) => add_arrays(&prev, &ig)?,
                            None => ig,
                        };
                        grads.insert(key(input), sum);
                    }
                }
                None if t.0.leaf => {
                    let mut slot = t.0.grad.borrow_mut();
                    *slot = Some(match slot.take() {
                        Some(prev) => add_arrays(&prev, &g)?,
                        None => g.contiguous(),
                    });
                }
                // Ruled out by check_graph; never drop a gradient silently.
                None => return Err(AutogradError::GraphFreed),
            }
        }
        Ok(())
    }

    /// Tensors reachable from `self` through nodes, inputs before users.
    fn topological_order(&self) -> Vec<Tensor> {
        let mut order = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // Iterative post-order DFS: (tensor, children pushed yet).
        let mut stack = vec![(self.clone(), false)];
        while let Some((t, expanded)) = stack.pop() {
            if expanded {
                order.push(t);
                continue;
            }
            if !seen.insert(Rc::as_ptr(&t.0)) {
                continue;
            }
            stack.push((t.clone(), true));
            if let Some(node) = &*t.0.node.borrow() {
                for input in &node.inputs {
                    if input.0.requires_grad && !seen.contains(&Rc::as_ptr(&input.0)) {
                        stack.push((input.clone(), false));
                    }
                }
            }
        }
        order
    }

    // ---- elementwise, broadcasting ----

    fn binary(
        &self,
        other: &Tensor,
        name: &'static str,
        f: impl Fn(f32, f32) -> f32,
        grads: fn(&Array, &Array, &Array) -> Result<(Array, Array)>,
    ) -> Result<Tensor> {
        let _prof = profile::scope(name, Phase::Forward);
        let out = self.0.data.zip_map(&other.0.data, name, f)?;
        let (a, b) = (self.0.data.clone(), other.0.data.clone());
        Ok(from_op(
            out,
            name,
            vec![self.clone(), other.clone()],
            move |g| {
                let (ga, gb) = grads(g, &a, &b)?;
                Ok(vec![
                    Some(ga.sum_to(a.shape())?),
                    Some(gb.sum_to(b.shape())?),
                ])
            },
        ))
    }

    /// `self + other`, broadcasting.
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "add",
            |x, y| x + y,
            |g, _, _| Ok((g.clone(), g.clone())),
        )
    }

    /// `self - other`, broadcasting.
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "sub",
            |x, y| x - y,
            |g, _, _| Ok((g.clone(), g.map(|v| -v))),
        )
    }

    /// `self * other`, broadcasting.
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "mul",
            |x, y| x * y,
            |g, a, b| {
                Ok((
                    g.zip_map(b, "mul", |g, b| g * b)?,
                    g.zip_map(a, "mul", |g, a| g * a)?,
                ))
            },
        )
    }

    /// `self / other`, broadcasting.
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "div",
            |x, y| x / y,
            |g, a, b| {
                let ga = g.zip_map(b, "div", |g, b| g / b)?;
                let gb = ga
                    .zip_map(a, "div", |gb, a| gb * a)?
                    .zip_map(b, "div", |v, b| -v / b)?;
                Ok((ga, gb))
            },
        )
    }

    fn unary(
        &self,
        name: &'static str,
        f: impl Fn(f32) -> f32,
        grad: impl Fn(f32, f32, f32) -> f32 + 'static,
    ) -> Tensor {
        self.unary_with(name, |a| a.map(f), grad)
    }

    /// [`Tensor::unary`] with the forward pass given as a function of the
    /// whole array (for a hand-written slice kernel).
    fn unary_with(
        &self,
        name: &'static str,
        forward: impl FnOnce(&Array) -> Array,
        grad: impl Fn(f32, f32, f32) -> f32 + 'static,
    ) -> Tensor {
        let _prof = profile::scope(name, Phase::Forward);
        let out = forward(&self.0.data);
        let (a, o) = (self.0.data.clone(), out.clone());
        from_op(out, name, vec![self.clone()], move |g| {
            let (g, a, o) = (dense(g), dense(&a), dense(&o));
            let go = profile::kernel(|| fastmath::zip3(slice(&g), slice(&a), slice(&o), &grad));
            Ok(vec![Some(Array::from_vec(go, a.shape())?)])
        })
    }

    /// `-self`.
    pub fn neg(&self) -> Tensor {
        self.unary("neg", |v| -v, |g, _, _| -g)
    }

    /// `self ** p` for a constant `p`.
    pub fn powf(&self, p: f32) -> Tensor {
        let _prof = profile::scope("pow", Phase::Forward);
        let out = self.0.data.map(|v| v.powf(p));
        let a = self.0.data.clone();
        from_op(out, "pow", vec![self.clone()], move |g| {
            if p == 0.0 {
                // PyTorch's pow_backward: a constant 1 has gradient 0.
                return Ok(vec![Some(Array::full(a.shape(), 0.0))]);
            }
            Ok(vec![Some(
                g.zip_map(&a, "pow", |g, a| g * p * a.powf(p - 1.0))?,
            )])
        })
    }

    /// `e ** self`.
    pub fn exp(&self) -> Tensor {
        self.unary("exp", fastmath::exp, |g, _, o| g * o)
    }

    /// Natural logarithm.
    pub fn log(&self) -> Tensor {
        self.unary("log", f32::ln, |g, a, _| g / a)
    }

    /// Square root.
    pub fn sqrt(&self) -> Tensor {
        self.unary("sqrt", f32::sqrt, |g, _, o| g / (2.0 * o))
    }

    /// Hyperbolic tangent.
    pub fn tanh(&self) -> Tensor {
        self.unary("tanh", fastmath::tanh, |g, _, o| g * (1.0 - o * o))
    }

    /// Logistic sigmoid.
    pub fn sigmoid(&self) -> Tensor {
        self.unary("sigmoid", fastmath::sigmoid, |g, _, o| g * o * (1.0 - o))
    }

    /// `max(self, 0)`, with NaN kept NaN and its gradient passed through,
    /// as PyTorch's (`clamp_min` and `threshold_backward`: 0 where the
    /// output is ≤ 0).
    pub fn relu(&self) -> Tensor {
        self.unary(
            "relu",
            |v| if v < 0.0 { 0.0 } else { v },
            |g, _, o| if o <= 0.0 { 0.0 } else { g },
        )
    }

    /// GELU, PyTorch's default (exact) form `x·Φ(x)` with `Φ` the normal CDF.
    /// Computed with f32 polynomial kernels ([`fastmath::gelu`]) within a
    /// relative 2e-6 of the exact value.
    pub fn gelu(&self) -> Tensor {
        self.unary_with(
            "gelu",
            |a| a.map_slice(fastmath::gelu_slice),
            |g, a, _| g * fastmath::gelu_grad(a),
        )
    }

    // ---- matmul ----

    /// Matrix product (PyTorch's `matmul`: 2-D, batched with broadcast batch
    /// dimensions, and 1-D operands as vectors), through a GEMM kernel.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        if self.shape().len() == 1 && other.shape().len() >= 2 {
            let n = self.shape()[0];
            let out = self.reshape(&[1, n])?.matmul(other)?;
            let mut shape = out.shape().to_vec();
            shape.remove(shape.len() - 2);
            return out.reshape(&shape);
        }
        if other.shape().len() == 1 && self.shape().len() >= 2 {
            let n = other.shape()[0];
            let out = self.matmul(&other.reshape(&[n, 1])?)?;
            let shape = &out.shape()[..out.shape().len() - 1];
            return out.reshape(shape);
        }
        let _prof = profile::scope("matmul", Phase::Forward);
        let out = self.0.data.matmul(&other.0.data)?;
        let (a, b) = (self.0.data.clone(), other.0.data.clone());
        Ok(from_op(
            out,
            "matmul",
            vec![self.clone(), other.clone()],
            move |g| {
                if a.ndim() < 2 {
                    // 1-D · 1-D: a dot product, g is a scalar.
                    let g = g.item()?;
                    return Ok(vec![Some(b.map(|v| v * g)), Some(a.map(|v| v * g))]);
                }
                let ga = g.matmul(&b.transpose(-1, -2)?)?.sum_to(a.shape())?;
                let gb = a.transpose(-1, -2)?.matmul(g)?.sum_to(b.shape())?;
                Ok(vec![Some(ga), Some(gb)])
            },
        ))
    }

    // ---- reductions ----

    /// Sum of every element (a 0-dimensional tensor).
    pub fn sum(&self) -> Tensor {
        let dims: Vec<isize> = (0..self.shape().len() as isize).collect();
        self.sum_dims(&dims, false)
            .expect("every dimension is valid")
    }

    /// Sum over `dims`, keeping them as size 1 when `keepdim`.
    pub fn sum_dims(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        let _prof = profile::scope("sum", Phase::Forward);
        let nd = self.shape().len();
        let dims = reduced_dims("sum", dims, nd)?;
        let dims: Vec<usize> = if nd == 0 { vec![] } else { dims };
        let out = if nd == 0 {
            self.0.data.clone()
        } else {
            self.0.data.sum_dims(&dims, keepdim)?
        };
        let shape = self.shape().to_vec();
        let kept = kept_shape(&shape, &dims);
        Ok(from_op(out, "sum", vec![self.clone()], move |g| {
            Ok(vec![Some(g.reshape(&kept)?.expand(&shape)?.contiguous())])
        }))
    }

    /// Mean over `dims`, keeping them as size 1 when `keepdim`.
    pub fn mean_dims(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        let _prof = profile::scope("mean", Phase::Forward);
        let nd = self.shape().len();
        if dims.is_empty() {
            let n = self.0.data.numel();
            return self
                .sum_dims(dims, keepdim)?
                .mul(&Tensor::scalar(1.0 / n as f32));
        }
        let count: usize = reduced_dims("mean", dims, nd)?
            .iter()
            .map(|&d| if nd == 0 { 1 } else { self.shape()[d] })
            .product();
        let s = self.sum_dims(dims, keepdim)?;
        s.mul(&Tensor::scalar(1.0 / count as f32))
    }

    /// Mean of every element.
    pub fn mean(&self) -> Tensor {
        let dims: Vec<isize> = (0..self.shape().len() as isize).collect();
        self.mean_dims(&dims, false)
            .expect("every dimension is valid")
    }

    /// Maximum over `dim` (the gradient goes to the first maximum).
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let _prof = profile::scope("max", Phase::Forward);
        let (moved, perm, d) = self.move_last("max", dim)?;
        let len = moved.shape().last().copied().unwrap_or(1);
        if len == 0 {
            return Err(invalid("max", "the dimension is empty"));
        }
        let rows = moved.as_slice().expect("contiguous");
        let arg: Vec<usize> = profile::kernel(|| {
            rows.chunks(len)
                .map(|r| {
                    r.iter().enumerate().fold(0, |best, (i, &v)| {
                        if v > r[best] || (v.is_nan() && !r[best].is_nan()) {
                            i
                        } else {
                            best
                        }
                    })
                })
                .collect()
        });
        let vals: Vec<f32> = rows.chunks(len).zip(&arg).map(|(r, &i)| r[i]).collect();
        let shape = self.shape().to_vec();
        // A 0-d input gives a 0-d result, with or without keepdim (PyTorch).
        let mut out_shape = shape.clone();
        if !shape.is_empty() {
            out_shape[d] = 1;
            if !keepdim {
                out_shape.remove(d);
            }
        }
        let out = Array::from_vec(vals, &out_shape)?;
        let moved_shape = moved.shape().to_vec();
        Ok(from_op(out, "max", vec![self.clone()], move |g| {
            let g = g.to_vec();
            let mut full = vec![0f32; g.len() * len];
            for (r, (&i, gv)) in arg.iter().zip(g).enumerate() {
                full[r * len + i] = gv;
            }
            let moved = Array::from_vec(full, &moved_shape)?;
            let gx = moved.permute(&inverse(&perm))?.contiguous();
            Ok(vec![Some(gx.reshape(&shape)?)])
        }))
    }

    /// The data with `dim` moved last and made contiguous; the permutation;
    /// the resolved dim. A 0-d tensor is taken as a `[1]` (its dims 0 and
    /// -1 name that one element, [`dim_index`]'s rule), so the result has
    /// one dimension and the permutation is `[0]`; the caller gives its
    /// result the 0-d shape back.
    fn move_last(&self, op: &'static str, dim: isize) -> Result<(Array, Vec<usize>, usize)> {
        let nd = self.shape().len();
        let d = dim_index(op, dim, nd)?;
        let data = at_least_1d(&self.0.data)?;
        let mut perm: Vec<usize> = (0..nd.max(1)).filter(|&i| i != d).collect();
        perm.push(d);
        Ok((contiguous(data.permute(&perm)?), perm, d))
    }

    /// Softmax over `dim`, computed as `exp(x − max) / Σ exp(x − max)` so
    /// that large inputs do not overflow.
    pub fn softmax(&self, dim: isize) -> Result<Tensor> {
        self.softmax_impl(dim, false)
    }

    /// `log(softmax(x))` over `dim`, computed as `x − max − log Σ exp(x − max)`.
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor> {
        self.softmax_impl(dim, true)
    }

    fn softmax_impl(&self, dim: isize, log: bool) -> Result<Tensor> {
        let name = if log { "log_softmax" } else { "softmax" };
        let _prof = profile::scope(name, Phase::Forward);
        let (moved, perm, _) = self.move_last(name, dim)?;
        let len = *moved.shape().last().expect("one dimension");
        let data = profile::kernel(|| fastmath::softmax_rows(slice(&moved), len, log));
        let inv = inverse(&perm);
        let moved_shape = moved.shape().to_vec();
        let out_moved = Array::from_vec(data, &moved_shape)?;
        let shape = self.shape().to_vec();
        let out = contiguous(out_moved.permute(&inv)?).reshape(&shape)?;
        Ok(from_op(out, name, vec![self.clone()], move |g| {
            let gm = dense(&at_least_1d(g)?.permute(&perm)?);
            let o = slice(&out_moved);
            let gi = profile::kernel(|| fastmath::softmax_backward_rows(slice(&gm), o, len, log));
            let gi = Array::from_vec(gi, &moved_shape)?;
            Ok(vec![Some(contiguous(gi.permute(&inv)?).reshape(&shape)?)])
        }))
    }

    /// Mean cross-entropy of logits `[N, C]` against class indices
    /// `targets` (length N), skipping targets equal to `ignore_index`
    /// (PyTorch's `F.cross_entropy(logits, targets, ignore_index=...)`;
    /// NaN when every target is ignored, as there).
    pub fn cross_entropy(&self, targets: &[i64], ignore_index: Option<i64>) -> Result<Tensor> {
        let _prof = profile::scope("cross_entropy", Phase::Forward);
        let shape = self.shape().to_vec();
        if shape.len() != 2 || targets.len() != shape[0] {
            return Err(AutogradError::Shape {
                op: "cross_entropy",
                lhs: shape,
                rhs: vec![targets.len()],
                detail: "do not fit: logits must be [N, C] and targets [N]".into(),
            });
        }
        let c = shape[1];
        for &t in targets {
            if Some(t) != ignore_index && (t < 0 || t as usize >= c) {
                return Err(invalid(
                    "cross_entropy",
                    format!("target {t} is not a class index in 0..{c}"),
                ));
            }
        }
        let logp = self.log_softmax(1)?;
        let lp = logp.0.data.to_vec();
        let kept: Vec<(usize, usize)> = targets
            .iter()
            .enumerate()
            .filter(|(_, &t)| Some(t) != ignore_index)
            .map(|(i, &t)| (i, t as usize))
            .collect();
        let n = kept.len() as f32;
        let loss = profile::kernel(|| -kept.iter().map(|&(i, t)| lp[i * c + t]).sum::<f32>() / n);
        Ok(from_op(
            Array::scalar(loss),
            "cross_entropy",
            vec![logp],
            move |g| {
                let g = g.item()?;
                let mut gi = vec![0f32; shape[0] * c];
                for &(i, t) in &kept {
                    gi[i * c + t] = -g / n;
                }
                Ok(vec![Some(Array::from_vec(gi, &shape)?)])
            },
        ))
    }

    /// Rows of a `[V, D]` weight for each id; the result has shape
    /// `ids_shape + [D]` (PyTorch's `F.embedding`).
    pub fn embedding(&self, ids: &[usize], ids_shape: &[usize]) -> Result<Tensor> {
        let _prof = profile::scope("embedding", Phase::Forward);
        let shape = self.shape().to_vec();
        if shape.len() != 2 || ids_shape.iter().product::<usize>() != ids.len() {
            return Err(AutogradError::Shape {
                op: "embedding",
                lhs: shape,
                rhs: ids_shape.to_vec(),
                detail: format!(
                    "do not fit: the weight must be [V, D] and the {} ids fill the id shape",
                    ids.len()
                ),
            });
        }
        let (v, d) = (shape[0], shape[1]);
        if let Some(&bad) = ids.iter().find(|&&i| i >= v) {
            return Err(invalid("embedding", format!("id {bad} is not in 0..{v}")));
        }
        let w = self.0.data.contiguous();
        let ws = w.as_slice().expect("contiguous");
        let mut out = Vec::with_capacity(ids.len() * d);
        profile::kernel(|| {
            for &i in ids {
                out.extend_from_slice(&ws[i * d..(i + 1) * d]);
            }
        });
        let mut out_shape = ids_shape.to_vec();
        out_shape.push(d);
        let ids = ids.to_vec();
        Ok(from_op(
            Array::from_vec(out, &out_shape)?,
            "embedding",
            vec![self.clone()],
            move |g| {
                let g = g.to_vec();
                let mut gw = vec![0f32; v * d];
                profile::kernel(|| {
                    for (row, &i) in g.chunks(d.max(1)).zip(&ids) {
                        for (acc, &x) in gw[i * d..(i + 1) * d].iter_mut().zip(row) {
                            *acc += x;
                        }
                    }
                });
                Ok(vec![Some(Array::from_vec(gw, &[v, d])?)])
            },
        ))
    }

    // ---- joining, indexing, masking ----

    /// Concatenate along `dim`; all other sizes must agree (PyTorch's `cat`).
    pub fn cat(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let _prof = profile::scope("cat", Phase::Forward);
        let first = tensors
            .first()
            .ok_or_else(|| invalid("cat", "needs at least one tensor"))?;
        if let Some(k) = tensors.iter().position(|t| t.shape().is_empty()) {
            return Err(invalid(
                "cat",
                format!("zero-dimensional tensor (at position {k}) cannot be concatenated; give it a dimension with reshape(&[1]), or use stack"),
            ));
        }
        let nd = first.shape().len();
        let d = dim_index("cat", dim, nd)?;
        for t in &tensors[1..] {
            let fits = t.shape().len() == nd
                && (0..nd).all(|i| i == d || t.shape()[i] == first.shape()[i]);
            if !fits {
                return Err(AutogradError::Shape {
                    op: "cat",
                    lhs: first.shape().to_vec(),
                    rhs: t.shape().to_vec(),
                    detail: format!("differ outside dimension {d}, the one being joined"),
                });
            }
        }
        let outer: usize = first.shape()[..d].iter().product();
        let inner: usize = first.shape()[d + 1..].iter().product();
        let lens: Vec<usize> = tensors.iter().map(|t| t.shape()[d]).collect();
        let parts: Vec<Vec<f32>> = tensors.iter().map(|t| t.to_vec()).collect();
        let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        profile::kernel(|| {
            for o in 0..outer {
                for (p, &len) in parts.iter().zip(&lens) {
                    out.extend_from_slice(&p[o * len * inner..(o + 1) * len * inner]);
                }
            }
        });
        let mut shape = first.shape().to_vec();
        shape[d] = lens.iter().sum();
        let inputs: Vec<Tensor> = tensors.iter().map(|t| (*t).clone()).collect();
        Ok(from_op(
            Array::from_vec(out, &shape)?,
            "cat",
            inputs,
            move |g| {
                let mut start = 0;
                let mut grads = Vec::with_capacity(lens.len());
                for &len in &lens {
                    grads.push(Some(g.narrow(d as isize, start, len)?.contiguous()));
                    start += len;
                }
                Ok(grads)
            },
        ))
    }

    /// Stack equal-shaped tensors along a new dimension `dim` (PyTorch's
    /// `stack`); `dim` may be negative (`-1` appends the new dimension).
    pub fn stack(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| invalid("stack", "needs at least one tensor"))?;
        let dim = insert_dim_index("stack", dim, first.shape().len())?;
        let mut expanded = Vec::with_capacity(tensors.len());
        for t in tensors {
            if t.shape() != first.shape() {
                return Err(AutogradError::Shape {
                    op: "stack",
                    lhs: first.shape().to_vec(),
                    rhs: t.shape().to_vec(),
                    detail: "differ; stack needs equal shapes".into(),
                });
            }
            let mut shape = t.shape().to_vec();
            shape.insert(dim, 1);
            expanded.push(t.reshape(&shape)?);
        }
        let refs: Vec<&Tensor> = expanded.iter().collect();
        Tensor::cat(&refs, dim as isize)
    }

    /// The entries `ids` of dimension `dim` (PyTorch's `index_select`).
    pub fn index_select(&self, dim: isize, ids: &[usize]) -> Result<Tensor> {
        let _prof = profile::scope("index_select", Phase::Forward);
        let shape = self.shape().to_vec();
        let d = dim_index("index_select", dim, shape.len())?;
        if shape.is_empty() {
            // PyTorch's rule for a 0-d tensor: one index, 0, and a 0-d result.
            if ids.len() != 1 {
                return Err(invalid(
                    "index_select",
                    format!(
                        "a 0-dimensional tensor takes exactly one index, got {}",
                        ids.len()
                    ),
                ));
            }
            return self.reshape(&[1])?.index_select(0, ids)?.reshape(&[]);
        }
        let n = shape[d];
        if let Some(&bad) = ids.iter().find(|&&i| i >= n) {
            return Err(invalid(
                "index_select",
                format!("index {bad} is out of range for dimension {d} of size {n}"),
            ));
        }
        let outer: usize = shape[..d].iter().product();
        let inner: usize = shape[d + 1..].iter().product();
        let x = self.to_vec();
        let mut out = Vec::with_capacity(outer * ids.len() * inner);
        profile::kernel(|| {
            for o in 0..outer {
                for &i in ids {
                    let at = (o * n + i) * inner;
                    out.extend_from_slice(&x[at..at + inner]);
                }
            }
        });
        let mut out_shape = shape.clone();
        out_shape[d] = ids.len();
        let ids = ids.to_vec();
        Ok(from_op(
            Array::from_vec(out, &out_shape)?,
            "index_select",
            vec![self.clone()],
            move |g| {
                let g = g.to_vec();
                let mut gx = vec![0f32; outer * n * inner];
                profile::kernel(|| {
                    for o in 0..outer {
                        for (k, &i) in ids.iter().enumerate() {
                            let src = (o * ids.len() + k) * inner;
                            let dst = (o * n + i) * inner;
                            for j in 0..inner {
                                gx[dst + j] += g[src + j];
                            }
                        }
                    }
                });
                Ok(vec![Some(Array::from_vec(gx, &shape)?)])
            },
        ))
    }

    /// `out[..., k, ...] = self[..., index[..., k, ...], ...]` along `dim`
    /// (PyTorch's `gather`): `index` has the rank of `self` and, outside
    /// `dim`, sizes no larger than its.
    pub fn gather(&self, dim: isize, index: &[usize], index_shape: &[usize]) -> Result<Tensor> {
        let _prof = profile::scope("gather", Phase::Forward);
        let shape = self.shape().to_vec();
        let d = dim_index("gather", dim, shape.len())?;
        let fits = index_shape.len() == shape.len()
            && index_shape.iter().product::<usize>() == index.len()
            && (0..shape.len()).all(|i| i == d || index_shape[i] <= shape[i]);
        if !fits {
            return Err(AutogradError::Shape {
                op: "gather",
                lhs: shape,
                rhs: index_shape.to_vec(),
                detail: format!("do not fit: the index needs the same rank and no larger sizes outside dimension {d} (and {} values)", index.len()),
            });
        }
        if shape.is_empty() {
            // A 0-d tensor and a 0-d index: the one element, when the index is 0.
            return self.reshape(&[1])?.gather(0, index, &[1])?.reshape(&[]);
        }
        if let Some(&bad) = index.iter().find(|&&i| i >= shape[d]) {
            return Err(invalid(
                "gather",
                format!(
                    "index {bad} is out of range for dimension {d} of size {}",
                    shape[d]
                ),
            ));
        }
        let strides = crate::array::contiguous_strides(&shape);
        let idx_strides = crate::array::contiguous_strides(index_shape);
        let src: Vec<usize> = (0..index.len())
            .map(|flat| {
                let mut off = 0;
                for k in 0..shape.len() {
                    let coord = flat / idx_strides[k] % index_shape[k];
                    off += if k == d { index[flat] } else { coord } * strides[k];
                }
                off
            })
            .collect();
        let x = self.to_vec();
        let out: Vec<f32> = profile::kernel(|| src.iter().map(|&o| x[o]).collect());
        let n = x.len();
        Ok(from_op(
            Array::from_vec(out, index_shape)?,
            "gather",
            vec![self.clone()],
            move |g| {
                let mut gx = vec![0f32; n];
                profile::kernel(|| {
                    for (&o, gv) in src.iter().zip(g.to_vec()) {
                        gx[o] += gv;
                    }
                });
                Ok(vec![Some(Array::from_vec(gx, &shape)?)])
            },
        ))
    }

    /// `value` where `mask` is non-zero, `self` elsewhere; `mask`
    /// broadcasts to `self`'s shape (PyTorch's `masked_fill`).
    pub fn masked_fill(&self, mask: &Array, value: f32) -> Result<Tensor> {
        let _prof = profile::scope("masked_fill", Phase::Forward);
        let m = mask
            .expand(self.shape())
            .map_err(|_| AutogradError::Shape {
                op: "masked_fill",
                lhs: self.shape().to_vec(),
                rhs: mask.shape().to_vec(),
                detail: "do not fit: the mask must broadcast to the tensor's shape".into(),
            })?;
        let out =
            self.0
                .data
                .zip_map(&m, "masked_fill", |x, m| if m != 0.0 { value } else { x })?;
        Ok(from_op(out, "masked_fill", vec![self.clone()], move |g| {
            Ok(vec![Some(g.zip_map(&m, "masked_fill", |g, m| {
                if m != 0.0 {
                    0.0
                } else {
                    g
                }
            })?)])
        }))
    }

    /// Inverted dropout: each element is zeroed with probability `p` and
    /// the rest scaled by `1 / (1 - p)`, with a mask drawn from `rng` (so a
    /// seed gives the same mask on every run). The identity when `p` is 0.
    pub fn dropout(&self, p: f64, rng: &mut crate::rng::Rng) -> Result<Tensor> {
        let _prof = profile::scope("dropout", Phase::Forward);
        if !(0.0..1.0).contains(&p) {
            return Err(invalid("dropout", format!("p = {p} must be in [0, 1)")));
        }
        let scale = (1.0 / (1.0 - p)) as f32;
        let keep: Vec<f32> = (0..self.0.data.numel())
            .map(|_| if rng.next_f64() >= p { scale } else { 0.0 })
            .collect();
        let mask = Tensor::new(Array::from_vec(keep, self.shape())?);
        self.mul(&mask)
    }

    // ---- views ----

    /// Another shape with the same elements (a view when the layout allows).
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let _prof = profile::scope("reshape", Phase::Forward);
        let out = self.0.data.reshape(shape)?;
        let old = self.shape().to_vec();
        Ok(from_op(out, "reshape", vec![self.clone()], move |g| {
            Ok(vec![Some(g.reshape(&old)?)])
        }))
    }

    /// The diagonal of dimensions `d0` and `d1`, appended as the last
    /// dimension (a view; PyTorch's `diagonal(0, d0, d1)`).
    pub fn diagonal(&self, d0: usize, d1: usize) -> Result<Tensor> {
        let _prof = profile::scope("diagonal", Phase::Forward);
        let out = self.0.data.diagonal(d0, d1)?;
        let shape = self.shape().to_vec();
        Ok(from_op(out, "diagonal", vec![self.clone()], move |g| {
            Ok(vec![Some(
                g.scatter_into_view(&shape, |z| z.diagonal(d0, d1))?,
            )])
        }))
    }

    /// Swap two dimensions (a view).
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Tensor> {
        let _prof = profile::scope("transpose", Phase::Forward);
        let out = self.0.data.transpose(d0, d1)?;
        Ok(from_op(out, "transpose", vec![self.clone()], move |g| {
            Ok(vec![Some(g.transpose(d0, d1)?)])
        }))
    }

    /// Reorder the dimensions (a view).
    pub fn permute(&self, dims: &[usize]) -> Result<Tensor> {
        let _prof = profile::scope("permute", Phase::Forward);
        let out = self.0.data.permute(dims)?;
        let inv = inverse(dims);
        Ok(from_op(out, "permute", vec![self.clone()], move |g| {
            Ok(vec![Some(g.permute(&inv)?)])
        }))
    }
}

/// Whether `backward` can run through `order` (every tensor that gradients
/// flow to), checked before any gradient is added: each non-leaf still has
/// its node (an earlier backward frees them; PyTorch's "backward through
/// the graph a second time"), and no leaf was replaced since the graph read
/// it (PyTorch's in-place modification error).
fn check_graph(order: &[Tensor]) -> Result<()> {
    for t in order {
        if t.0.leaf && t.0.replaced.get() {
            return Err(AutogradError::LeafReplaced);
        }
        if !t.0.leaf && t.0.node.borrow().is_none() {
            return Err(AutogradError::GraphFreed);
        }
    }
    Ok(())
}

/// The dimensions a reduction over `dims` (negative ones from the end) of
/// an `nd`-dimensional tensor covers, each at most once (PyTorch: "dim 1
/// appears multiple times in the list of dims").
fn reduced_dims(op: &'static str, dims: &[isize], nd: usize) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = Vec::with_capacity(dims.len());
    for &dim in dims {
        let d = dim_index(op, dim, nd)?;
        if out.contains(&d) {
            return Err(invalid(
                op,
                format!("dim {d} appears multiple times in the list of dims {dims:?}; give each dimension once"),
            ));
        }
        out.push(d);
    }
    Ok(out)
}

/// `a` seen as a `[1]` when 0-dimensional (a view), else `a` itself.
fn at_least_1d(a: &Array) -> Result<Array> {
    if a.ndim() == 0 {
        a.reshape(&[1])
    } else {
        Ok(a.clone())
    }
}

/// `shape` with each of `dims` set to 1.
fn kept_shape(shape: &[usize], dims: &[usize]) -> Vec<usize> {
    let mut kept = shape.to_vec();
    if dims.is_empty() && !shape.is_empty() {
        return vec![1; shape.len()];
    }
    for &d in dims {
        kept[d] = 1;
    }
    kept
}

/// The elements of a contiguous array.
fn slice(a: &Array) -> &[f32] {
    a.as_slice().expect("contiguous")
}

/// `a` (shared) when contiguous, else a contiguous copy.
fn dense(a: &Array) -> Array {
    if a.is_contiguous() {
        a.clone()
    } else {
        a.contiguous()
    }
}

/// `a` itself when contiguous, else a contiguous copy.
fn contiguous(a: Array) -> Array {
    if a.is_contiguous() {
        a
    } else {
        a.contiguous()
    }
}

/// The inverse of a permutation.
fn inverse(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}
