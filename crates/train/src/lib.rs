//! # towel-train: what a PyTorch user writes every day, on towel-autograd
//!
//! Modules with named parameters, optimizers with PyTorch's exact update
//! rules, safetensors checkpoints PyTorch loads, a seeded loader,
//! information theory, and two real trainings with the benchmark's
//! settings. One idea per file:
//!
//! - [`param`]: a trainable, replaceable leaf tensor (towel-autograd's
//!   tensors are immutable; an optimizer installs new values);
//! - [`module`]: the `Module` trait (forward, named parameters through
//!   submodules, train/eval, `state_dict` / `load_state_dict`);
//! - [`layers`]: `Linear` (PyTorch's default initialization), `Embedding`,
//!   `LayerNorm`, `Dropout`, activations, `Flatten`, `Sequential`, [`layers::mlp`];
//! - [`checkpoint`]: safetensors files with PyTorch-style names and
//!   metadata; mismatches name every tensor;
//! - [`optim`]: SGD (momentum, Nesterov, weight decay), Adam, AdamW,
//!   `clip_grad_norm`; [`schedule`]: linear warmup, cosine decay;
//! - [`data`]: batches with seeded shuffling and `drop_last`, a stratified split;
//! - [`info`]: entropy, cross-entropy, KL divergence in nats or bits;
//! - [`step`]: the canonical step, timed by phase, stopping on NaN with the
//!   last good parameters;
//! - [`sample`]: temperature and top-k sampling;
//! - [`tasks`]: the digits MLP and the character language model.
//!
//! ```
//! use towel_autograd::{rng::Rng, tensor::Tensor};
//! use towel_train::layers::{mlp, Activation};
//! use towel_train::module::Module;
//! use towel_train::optim::{clip_grad_norm, Adam, Optimizer};
//!
//! // XOR with a 2-8-2 MLP: PyTorch's loop, line for line.
//! let model = mlp(&[2, 8, 2], Activation::Tanh, &mut Rng::new(0));
//! let mut opt = Adam::adamw(model.parameters(), 0.05);
//! let x = Tensor::from_vec(vec![0., 0., 0., 1., 1., 0., 1., 1.], &[4, 2]).unwrap();
//! let y = [0, 1, 1, 0];
//! for _ in 0..200 {
//!     let loss = model.forward(&x).unwrap().cross_entropy(&y, None).unwrap();
//!     opt.zero_grad();
//!     loss.backward().unwrap();
//!     clip_grad_norm(opt.params(), 1.0).unwrap();
//!     opt.step().unwrap();
//! }
//! let loss = model.forward(&x).unwrap().cross_entropy(&y, None).unwrap();
//! assert!(loss.data().item().unwrap() < 0.05);
//! ```
//!
//! ## How it is checked
//! - Against PyTorch 2.15 (fixtures written by
//!   `tests/fixtures/gen_torch.py`): SGD (plain, momentum with dampening,
//!   Nesterov with weight decay), Adam with weight decay and AdamW (with
//!   and without clipping) follow PyTorch's parameter trajectory for 25
//!   steps, and `clip_grad_norm` returns PyTorch's norms
//!   (`tests/optim.rs`); the schedules give PyTorch's `LinearLR`,
//!   `CosineAnnealingLR` and `SequentialLR` rates; a PyTorch `state_dict`
//!   saved with `safetensors.torch.save_file` into towel's
//!   Embedding-Linear-LayerNorm-Tanh-Linear model gives PyTorch's outputs,
//!   and the file towel writes loads into PyTorch (strict) and gives
//!   towel's outputs (`tests/checkpoint.rs`).
//! - The trainings (`tests/tasks.rs`): the digits MLP with the benchmark's
//!   settings reaches at least 95% test accuracy (96.1%, as PyTorch);
//!   seeded runs repeat exactly; a NaN loss stops training with finite,
//!   last-good parameters; checkpoints round-trip.
//!
//! ## Speed
//! `bench/train.py` runs both trainings beside PyTorch (one thread, same
//! settings); the table is in the README.
//!
//! ## Dependencies, and why
//! - `towel-autograd`: the tensors and gradients this crate trains.
//! - `towel-tokenizer`: a language model over the ids of a BPE tokenizer
//!   (`Vocab::from_tokenizer`), kept in its checkpoints.
//! - `safetensors`: Hugging Face's reference reader and writer of the
//!   format PyTorch users share weights in (header validation, offsets,
//!   alignment), rather than a hand-written one.
//! - `serde`, `serde_json`: reports as JSON, checkpoint metadata, the
//!   embedded split.
//! - `thiserror`: the typed [`TrainError`].

pub mod checkpoint;
pub mod data;
pub mod error;
pub mod info;
pub mod layers;
pub mod module;
pub mod optim;
pub mod param;
pub mod sample;
pub mod schedule;
pub mod step;
pub mod tasks;

pub use error::{Result, TrainError};
