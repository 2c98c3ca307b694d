//! The one error type of this crate.

/// Everything that can go wrong parsing an expression or combining tensors.
/// Each variant says what the user should do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AutogradError {
    /// An expression that does not parse. `column` is 1-based, in characters;
    /// fix the expression at that column.
    #[error("column {column}: {message} in `{input}`")]
    Parse {
        /// The whole expression, as given.
        input: String,
        /// 1-based character column of the problem.
        column: usize,
        /// What was expected or found there.
        message: String,
    },

    /// An expression nested deeper than [`crate::expr::MAX_DEPTH`] levels
    /// (parentheses, calls, signs, operators; a chain of `n` terms counts
    /// `n`), which would exhaust the stack of the recursive parser and
    /// evaluator. `column` is where the level over the limit starts; write
    /// the expression with less nesting or fewer terms.
    #[error("column {column}: the expression nests more than {limit} levels deep (parentheses, function calls, signs and operators each add one; a sum or product of n terms adds n); write it with less nesting or fewer terms")]
    TooDeep {
        /// 1-based character column of the first part over the limit.
        column: usize,
        /// The limit, [`crate::expr::MAX_DEPTH`].
        limit: usize,
    },

    /// A variable that the expression uses but no binding gives a value to;
    /// bind it (`--at name=value`).
    #[error("column {column}: unknown variable `{name}` in `{input}`; give it a value with --at {name}=...")]
    UnknownVariable {
        /// The whole expression, as given.
        input: String,
        /// 1-based character column of the variable.
        column: usize,
        /// The variable's name.
        name: String,
    },

    /// A malformed `name=value,...` list; write it as `x=2,y=-1.5`.
    #[error("bad binding `{binding}`: {message}; write bindings as x=2,y=-1.5")]
    Binding {
        /// The offending part of the list.
        binding: String,
        /// What is wrong with it.
        message: String,
    },

    /// Two shapes that an operation cannot combine (broadcasting, matmul
    /// inner dimensions, targets); make the shapes agree, e.g. with
    /// `reshape`, `transpose` or `unsqueeze`.
    #[error("{op}: shapes {lhs:?} and {rhs:?} {detail}")]
    Shape {
        /// The operation.
        op: &'static str,
        /// The first operand's shape.
        lhs: Vec<usize>,
        /// The second operand's (or the requested) shape.
        rhs: Vec<usize>,
        /// Why they do not fit.
        detail: String,
    },

    /// A `view` whose memory layout cannot be expressed with strides; call
    /// `reshape` (which copies) or `contiguous()` first, as in PyTorch.
    #[error("view: shape {shape:?} with strides {strides:?} cannot be viewed as {requested:?} (at least one dimension spans across two contiguous subspaces); use reshape instead")]
    View {
        /// The tensor's shape.
        shape: Vec<usize>,
        /// Its strides, in elements.
        strides: Vec<usize>,
        /// The shape asked for.
        requested: Vec<usize>,
    },

    /// `backward` through a graph that an earlier `backward` already freed
    /// (PyTorch's "Trying to backward through the graph a second time").
    /// `backward` frees each node it passes (PyTorch's default
    /// `retain_graph=False`); run the forward pass again to build a new
    /// graph, and call `backward` once on it (or on one sum of the losses).
    #[error("backward: part of the graph behind this tensor was already freed by an earlier backward (a tensor used by both backward passes); recompute the forward pass and call backward once on the new graph")]
    GraphFreed,

    /// `backward` through a graph that reads a leaf which was replaced
    /// after the graph was built (by `Tensor::mark_replaced`, which
    /// `towel_train`'s `Parameter::set` and optimizer steps call): its
    /// gradient would land on values that are no longer the parameter's.
    /// PyTorch raises "one of the variables needed for gradient computation
    /// has been modified by an inplace operation" here. Call `backward`
    /// before the optimizer step, or recompute the forward pass after it.
    #[error("backward: a leaf of this graph was replaced (a parameter updated by set or an optimizer step) after the graph was built; call backward before the step, or recompute the forward pass with the new values")]
    LeafReplaced,

    /// An argument out of its range (a dimension, an index, a length);
    /// the message names the valid range.
    #[error("{op}: {message}")]
    Invalid {
        /// The operation.
        op: &'static str,
        /// What is out of range, and the valid range.
        message: String,
    },
}

/// This crate's `Result`.
pub type Result<T, E = AutogradError> = std::result::Result<T, E>;

pub(crate) fn invalid(op: &'static str, message: impl Into<String>) -> AutogradError {
    AutogradError::Invalid {
        op,
        message: message.into(),
    }
}
