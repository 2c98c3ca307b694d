//! # towel-autograd: what `.backward()` really does
//!
//! Automatic differentiation in two sizes, with the numbers of the tools
//! people learn it from:
//!
//! - [`scalar`]: micrograd's `Value` on a flat tape, with micrograd's
//!   semantics and PyTorch's numbers; [`nn`]: micrograd's `Neuron`, `Layer`,
//!   `MLP` and its two-moons demo (trained to 100% accuracy in a test).
//! - [`expr`]: the expression language of `towel grad` (`sin(x**3 + 2*x)`),
//!   evaluated on the scalar engine, with a trace of the backward pass and a
//!   Graphviz picture.
//! - [`array`](mod@array): f32 n-dimensional arrays (shape, strides, offset into
//!   shared storage), views and copies, NumPy broadcasting.
//! - [`tensor`]: reverse-mode autograd over a dynamic graph of arrays:
//!   elementwise ops, matmul, reductions, softmax, cross-entropy, embedding,
//!   index_select, gather, cat, stack, masked_fill, dropout;
//!   `no_grad`, `detach`, accumulation, the graph freed by `backward`.
//! - [`einsum`]: Einstein summation over any number of tensors (matmul,
//!   batched attention forms, traces, transposes, outer products, chains,
//!   `...` with broadcasting), with gradients.
//! - [`gradcheck`]: a finite-difference checker for any function of tensors.
//! - [`profile`]: a per-op profiler (PyTorch's `key_averages().table()`):
//!   forward and backward calls and time per op, split into kernel time
//!   and per-op overhead; free when not profiling.
//!
//! ```
//! use towel_autograd::{expr, scalar::Tape, tensor::Tensor};
//! // The curriculum's example: d/dx sin(x³ + 2x) at 2 is cos(12)·14.
//! let g = expr::gradient("sin(x**3 + 2*x)", &[("x", 2.0)]).unwrap();
//! assert!((g.grad[0].1 - 12f64.cos() * 14.0).abs() < 1e-12);
//!
//! // micrograd, line for line.
//! let tape = Tape::new();
//! let (a, b) = (tape.var(2.0), tape.var(-3.0));
//! let y = (a * b + a.pow(2.0)).tanh();
//! y.backward();
//! let dy = 1.0 - y.data() * y.data(); // tanh' at a·b + a²
//! assert_eq!(a.grad(), dy * (-3.0 + 2.0 * 2.0)); // ∂(a·b + a²)/∂a = b + 2a
//!
//! // Tensors: a batch of logits, cross-entropy, gradients of the logits.
//! let logits = Tensor::from_vec(vec![2.0, 0.5, -1.0, 0.1, 0.2, 3.0], &[2, 3]).unwrap().requires_grad();
//! let loss = logits.cross_entropy(&[0, 2], None).unwrap();
//! loss.backward().unwrap();
//! let g = logits.grad().unwrap().to_vec();
//! assert!(g[0] < 0.0 && g[5] < 0.0); // pushing the right classes up
//! ```
//!
//! ## How it is checked
//! - Scalar engine: micrograd's `test_sanity_check` and `test_more_ops`
//!   give the values and gradients that PyTorch (float64) and the
//!   micrograd package give (`tests/scalar.rs`, fixtures written by
//!   `tests/fixtures/gen_micrograd.py`); random expressions give the same
//!   values and gradients as a literal `Rc` translation of micrograd
//!   (`tests/naive_scalar.rs`); `towel grad` equals PyTorch on 40 generated
//!   expressions and 4 powers at base 0 (`crates/cli/tests/grad.rs`,
//!   `gen_torch_expr.py`).
//! - Tensors: every op's output and input gradients equal PyTorch 2.15's
//!   at relative tolerance 1e-5, on random shapes with broadcast operands,
//!   transposed (non-contiguous) views and an explicit upstream gradient
//!   (`tests/torch_ops.rs`, 122 cases from `tests/fixtures/gen_torch.py`),
//!   and so do 54 edge cases (`tests/fixtures/gen_torch_edge.py`: empty
//!   and 0-dimensional tensors, powers at base 0, non-finite inputs); every
//!   op that takes a dim accepts on a 0-d tensor exactly the dims PyTorch
//!   accepts (0 and -1, as a dimension of size 1) and refuses the others
//!   with an error;
//!   views and broadcasting are property-tested against naive index
//!   arithmetic, and compositions are checked by finite differences
//!   (`tests/tensor.rs`).
//!
//! ## Speed
//! `bench/autograd.py` (one run, one thread, PyTorch CPU and micrograd
//! side by side; table in the README): the scalar engine runs micrograd's
//! demo step (65k nodes, forward + backward) about 300x faster than the
//! micrograd package, and 2-4x faster than the same engine written with
//! `Rc<RefCell<Node>>` and closures (why: [`scalar`]'s docs). matmul runs
//! at 0.9-1.2x PyTorch's speed (`gemm`'s AVX-512 kernels); elementwise
//! arithmetic and broadcasting at PyTorch's speed; `exp`, `sigmoid`,
//! softmax and log_softmax at 0.8-0.9x, `tanh` 0.6x; `gelu` at 1.1x (load
//! 2.4; more under load), a hand-written AVX-512 kernel, although towel's GELU
//! is exact to 6e-7 where PyTorch's loses the negative tail to
//! cancellation. The kernels are run through
//! `pulp`'s run-time dispatch, so the workspace's baseline x86-64 build
//! still uses AVX-512 where the CPU has it. [`profile`] shows where a
//! step's time goes, op by op.
//!
//! ## Dependencies, and why
//! - `gemm` (0.19, with the `x86-v4` AVX-512 kernels the workspace
//!   enables): the GEMM behind matmul, with arbitrary strides, so a
//!   transposed view is multiplied without a copy. Chosen over
//!   `matrixmultiply` by measurement (`bench/gemm_choice`, one thread, same
//!   matrices, same run, load average about 9): 182 vs 153 GFLOP/s at 256,
//!   178 vs 47 at 512, 90 vs 77 at 1024, and on the digits-MLP shapes
//!   161 vs 135 (64×64 · 64×128), 136 vs 119 (64×128 · (64×128)ᵀ), equal
//!   at 64×128 · 128×10; only the small `hᵀ·g` product (128×64 · 64×10) was
//!   faster with `matrixmultiply` (59 vs 47). An earlier measurement
//!   without `x86-v4` had gone the other way (151 vs 104 at 256).
//!   `gemm`'s entry point takes raw pointers, so `src/gemm.rs` holds the
//!   call, with every index checked before it (the crate's other `unsafe`
//!   is one `set_len` in `fastmath::extend_filled`, see there).
//! - `pulp`: run-time SIMD dispatch (already under `gemm`). The loops of
//!   [`fastmath`] are compiled once per instruction set and the best one
//!   the CPU has is picked; without it a portable build gets 128-bit SSE2
//!   only (exp was 0.22x PyTorch's speed, 0.8x with it).
//! - `thiserror`: the typed [`AutogradError`].
//! - `serde`: [`profile::Profile`] serializes (for `--json` output).
//! - `libm` (tests only): f64 `erfc` to check GELU against.

// Two audited places are the only unsafe code: the call into the GEMM crate
// (src/gemm.rs) and one `set_len` over initialised slots (fastmath.rs).
#![deny(unsafe_code)]

pub mod array;
pub mod einsum;
pub mod error;
pub mod expr;
pub mod fastmath;
mod gemm;
pub mod gradcheck;
pub mod nn;
pub mod profile;
pub mod rng;
pub mod scalar;
pub mod tensor;

pub use error::{AutogradError, Result};
