//! The one error type of this crate.

use towel_autograd::AutogradError;

/// Everything that can go wrong building, training, saving or loading a
/// model. Each variant says what the user should do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A tensor operation failed (shapes that do not fit, bad indices);
    /// the message names the operation and the shapes.
    #[error(transparent)]
    Autograd(#[from] AutogradError),

    /// A checkpoint that does not fit the model: every missing, unexpected
    /// and mis-shaped tensor is named. Load it into the architecture it was
    /// saved from (same layer sizes, same vocabulary and context).
    #[error(
        "checkpoint does not fit the model:{}",
        checkpoint_detail(missing, unexpected, mismatched)
    )]
    CheckpointMismatch {
        /// Parameters of the model that the checkpoint lacks.
        missing: Vec<String>,
        /// Tensors of the checkpoint that the model has no parameter for.
        unexpected: Vec<String>,
        /// (name, shape in the model, shape in the checkpoint).
        mismatched: Vec<(String, Vec<usize>, Vec<usize>)>,
    },

    /// A file that is not a valid safetensors checkpoint of float32
    /// tensors (truncated, another format, or another dtype); save it again
    /// with `save_safetensors` or PyTorch's `safetensors.torch.save_file`.
    #[error("not a usable safetensors checkpoint: {0}")]
    Format(String),

    /// A checkpoint whose weights hold NaN or an infinite value: no model
    /// computes anything with them (sampling would draw from NaN
    /// probabilities). towel's training stops before such an update is
    /// applied; load the checkpoint saved before the run diverged, or
    /// retrain with a lower learning rate.
    #[error("tensor {tensor} holds {value} at element {index}; a checkpoint's weights must be finite (the run that saved it had diverged: load an earlier checkpoint or retrain with a lower learning rate)")]
    NonFiniteWeight {
        /// The tensor's name.
        tensor: String,
        /// The first bad element's position, row-major.
        index: usize,
        /// Its value (NaN or ±inf).
        value: f32,
    },

    /// The loss (or the gradient norm) became NaN or infinite: training
    /// stopped before the bad update reached the parameters. Lower the learning rate, clip
    /// gradients, or check the data.
    #[error("{what} became {value} at step {step}; training stopped and the parameters are those after step {last_good} (lower the learning rate or check the data)")]
    NonFinite {
        /// What was not finite: "the loss" or "the gradient norm".
        what: &'static str,
        /// The step (1-based) whose loss or gradient was not finite.
        step: usize,
        /// The value (NaN or ±inf).
        value: f32,
        /// The last step whose update was applied.
        last_good: usize,
    },

    /// Invalid settings or data (an empty data set, batch size 0, a
    /// character outside the model's vocabulary, ...); the message says
    /// which and what is allowed.
    #[error("{0}")]
    Invalid(String),
}

fn checkpoint_detail(
    missing: &[String],
    unexpected: &[String],
    mismatched: &[(String, Vec<usize>, Vec<usize>)],
) -> String {
    let mut s = String::new();
    if !missing.is_empty() {
        s += &format!(" missing {}", missing.join(", "));
        s += ";";
    }
    if !unexpected.is_empty() {
        s += &format!(" unexpected {}", unexpected.join(", "));
        s += ";";
    }
    for (name, model, ckpt) in mismatched {
        s += &format!(" {name} has shape {ckpt:?} in the checkpoint but {model:?} in the model;");
    }
    s.pop();
    s
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, TrainError>;

pub(crate) fn invalid(msg: impl Into<String>) -> TrainError {
    TrainError::Invalid(msg.into())
}
