//! A trainable parameter: a leaf tensor that an optimizer can replace.
//!
//! `towel_autograd`'s tensors are immutable handles (an `Rc` of the data
//! and its graph node), so PyTorch's in-place `p.data.add_(...)` becomes:
//! the forward pass reads the current leaf ([`Parameter::tensor`]), the
//! optimizer computes the new values and installs them as a fresh leaf
//! ([`Parameter::set`]). A [`Parameter`] is a shared handle (cloning it
//! shares the same slot), so a module and an optimizer see the same values.
//!
//! Gradients follow PyTorch's rules: `backward` *adds* into them until
//! [`Parameter::zero_grad`]; replacing the leaf keeps the accumulated
//! gradient ([`Parameter::grad`] is the gradient kept across replacements
//! plus what the current leaf has gathered), and [`Parameter::set_grad`]
//! overwrites it (what `clip_grad_norm` does). A graph built before
//! [`Parameter::set`] reads the old leaf, so its `backward` is an error
//! ([`towel_autograd::AutogradError::LeafReplaced`], PyTorch's in-place
//! modification error): call `backward` before the optimizer step.
//!
//! ```
//! use towel_autograd::{array::Array, tensor::Tensor};
//! use towel_train::param::Parameter;
//! let p = Parameter::new(Array::from_vec(vec![1.0, 2.0], &[2]).unwrap());
//! let loss = p.tensor().mul(&p.tensor()).unwrap().sum(); // Σ p²
//! loss.backward().unwrap();
//! assert_eq!(p.grad().unwrap().to_vec(), [2.0, 4.0]);
//! p.set(Array::from_vec(vec![0.0, 0.0], &[2]).unwrap()).unwrap();
//! assert_eq!(p.grad().unwrap().to_vec(), [2.0, 4.0]); // still there
//! p.zero_grad();
//! assert!(p.grad().is_none());
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use towel_autograd::array::Array;
use towel_autograd::tensor::Tensor;

use crate::error::{invalid, Result};

struct Slot {
    leaf: Tensor,
    /// Gradient accumulated before the leaf was last replaced, or set by
    /// `set_grad` (then the leaf's own gradient is empty).
    kept: Option<Array>,
}

/// A shared, replaceable trainable tensor.
#[derive(Clone)]
pub struct Parameter(Rc<RefCell<Slot>>);

impl std::fmt::Debug for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parameter")
            .field("shape", &self.shape())
            .finish()
    }
}

fn add(a: &Array, b: &Array) -> Array {
    let (x, y) = (a.to_vec(), b.to_vec());
    let v: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    Array::from_vec(v, a.shape()).expect("same shape")
}

impl Parameter {
    /// A parameter holding `data` (it requires gradients).
    pub fn new(data: Array) -> Parameter {
        Parameter(Rc::new(RefCell::new(Slot {
            leaf: Tensor::new(data).requires_grad(),
            kept: None,
        })))
    }

    /// The current leaf, for a forward pass (cheap: a reference count).
    pub fn tensor(&self) -> Tensor {
        self.0.borrow().leaf.clone()
    }

    /// The current values.
    pub fn data(&self) -> Array {
        self.0.borrow().leaf.data().clone()
    }

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        self.0.borrow().leaf.shape().to_vec()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.0.borrow().leaf.data().numel()
    }

    /// Replace the values (same shape), keeping the accumulated gradient.
    pub fn set(&self, data: Array) -> Result<()> {
        let mut slot = self.0.borrow_mut();
        if data.shape() != slot.leaf.shape() {
            return Err(invalid(format!(
                "parameter of shape {:?} cannot take values of shape {:?}",
                slot.leaf.shape(),
                data.shape()
            )));
        }
        let grad = Self::combined(&slot);
        slot.kept = grad;
        // A graph built on the old values can no longer add to this
        // parameter's gradient: its backward is an error, not a loss.
        slot.leaf.mark_replaced();
        slot.leaf = Tensor::new(data).requires_grad();
        Ok(())
    }

    fn combined(slot: &Slot) -> Option<Array> {
        match (&slot.kept, slot.leaf.grad()) {
            (None, g) => g,
            (Some(k), None) => Some(k.clone()),
            (Some(k), Some(g)) => Some(add(k, &g)),
        }
    }

    /// The accumulated gradient (None before any backward or after
    /// `zero_grad`, as PyTorch's `set_to_none=True`).
    pub fn grad(&self) -> Option<Array> {
        Self::combined(&self.0.borrow())
    }

    /// Overwrite the gradient (same shape).
    pub fn set_grad(&self, grad: Array) -> Result<()> {
        let mut slot = self.0.borrow_mut();
        if grad.shape() != slot.leaf.shape() {
            return Err(invalid(format!(
                "gradient of shape {:?} does not fit a parameter of shape {:?}",
                grad.shape(),
                slot.leaf.shape()
            )));
        }
        slot.leaf.zero_grad();
        slot.kept = Some(grad);
        Ok(())
    }

    /// Forget the gradient.
    pub fn zero_grad(&self) {
        let mut slot = self.0.borrow_mut();
        slot.leaf.zero_grad();
        slot.kept = None;
    }

    /// Whether two handles share one slot.
    pub fn same(&self, other: &Parameter) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
