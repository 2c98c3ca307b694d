//! `einsum` for one or two operands, built from views, sums and one
//! batched matmul, so that its gradient comes from theirs.
//!
//! ```
//! use towel_autograd::{einsum::einsum, tensor::Tensor};
//! let a = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
//! let b = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[3, 4]).unwrap();
//! let c = einsum("ik,kj->ij", &[&a, &b]).unwrap();
//! assert_eq!(c.to_vec(), a.matmul(&b).unwrap().to_vec());
//! let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
//! assert_eq!(einsum("ii->", &[&m]).unwrap().to_vec(), [5.0]); // trace
//! ```
//!
//! The steps, for a spec such as `bhid,bhjd->bhij`:
//!
//! 1. a letter repeated inside one operand (`ii`) takes the diagonal, a
//!    view whose stride is the sum of the two strides;
//! 2. a letter that is in neither the output nor the other operand is
//!    summed out;
//! 3. with one operand, permute to the output's order; with two, sort the
//!    letters into *batch* (both operands and the output: `b`, `h`),
//!    *contracted* (both operands, not the output: `d`), *left* (`i`) and
//!    *right* (`j`); permute and reshape A to `[batch, left, contracted]`
//!    and B to `[batch, contracted, right]`, multiply (one GEMM per batch
//!    element), and reshape and permute the `[batch, left, right]` result
//!    to the output's order.
//!
//! Without `->`, the output is the letters that appear once, in
//! alphabetical order (NumPy's and PyTorch's rule). Ellipsis (`...`) is not
//! supported.

use crate::error::{invalid, AutogradError, Result};
use crate::tensor::Tensor;

fn spec_error(spec: &str, message: impl std::fmt::Display) -> AutogradError {
    invalid("einsum", format!("`{spec}`: {message}"))
}

/// Evaluate an einsum `spec` (like `"bik,bkj->bij"`) on one or two operands.
pub fn einsum(spec: &str, operands: &[&Tensor]) -> Result<Tensor> {
    let _prof = crate::profile::scope("einsum", crate::profile::Phase::Forward);
    let spec_nows: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, out) = match spec_nows.split_once("->") {
        Some((l, o)) => (l.to_string(), Some(o.to_string())),
        None => (spec_nows.clone(), None),
    };
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    if terms.len() != operands.len() || !(1..=2).contains(&terms.len()) {
        return Err(spec_error(
            spec,
            format!(
                "{} term(s) for {} operand(s); give one term per operand (one or two operands)",
                terms.len(),
                operands.len()
            ),
        ));
    }
    for c in terms.iter().flatten().chain(
        out.iter()
            .flat_map(|o| o.chars())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        if !c.is_ascii_alphabetic() {
            return Err(spec_error(
                spec,
                format!("`{c}` is not a letter (ellipsis is not supported)"),
            ));
        }
    }
    let out: Vec<char> = match out {
        Some(o) => o.chars().collect(),
        None => {
            let mut once: Vec<char> = terms
                .iter()
                .flatten()
                .copied()
                .filter(|c| terms.iter().flatten().filter(|d| *d == c).count() == 1)
                .collect();
            once.sort_unstable();
            once
        }
    };
    for (i, c) in out.iter().enumerate() {
        if out[..i].contains(c) {
            return Err(spec_error(
                spec,
                format!("`{c}` appears twice in the output"),
            ));
        }
        if !terms.iter().flatten().any(|d| d == c) {
            return Err(spec_error(
                spec,
                format!("output letter `{c}` is in no operand"),
            ));
        }
    }
    // Sizes: each term's length must be its operand's rank, each letter one size.
    let mut sizes: Vec<(char, usize, usize)> = Vec::new(); // (letter, size, operand)
    for (k, (term, t)) in terms.iter().zip(operands).enumerate() {
        if term.len() != t.shape().len() {
            return Err(spec_error(
                spec,
                format!(
                    "term `{}` has {} letters but operand {k} has shape {:?}",
                    term.iter().collect::<String>(),
                    term.len(),
                    t.shape()
                ),
            ));
        }
        for (&c, &n) in term.iter().zip(t.shape()) {
            match sizes.iter().find(|(d, _, _)| *d == c) {
                Some(&(_, m, j)) if m != n => {
                    return Err(AutogradError::Shape {
                        op: "einsum",
                        lhs: operands[j].shape().to_vec(),
                        rhs: t.shape().to_vec(),
                        detail: format!("disagree on `{c}` in `{spec}`: size {m} against {n}"),
                    })
                }
                Some(_) => {}
                None => sizes.push((c, n, k)),
            }
        }
    }
    let size = |c: char| {
        sizes
            .iter()
            .find(|(d, _, _)| *d == c)
            .map(|s| s.1)
            .unwrap_or(1)
    };

    // 1 and 2: diagonals, then letters needed nowhere else summed out.
    let mut ops: Vec<(Tensor, Vec<char>)> = Vec::new();
    for (k, (term, t)) in terms.iter().zip(operands).enumerate() {
        let (mut t, mut letters) = ((*t).clone(), term.clone());
        while let Some((i, j)) = repeated(&letters) {
            t = t.diagonal(i, j)?;
            let c = letters.remove(j);
            letters.remove(i);
            letters.push(c);
        }
        let other: &[char] = if terms.len() == 2 { &terms[1 - k] } else { &[] };
        let drop: Vec<isize> = letters
            .iter()
            .enumerate()
            .filter(|(_, c)| !out.contains(c) && !other.contains(c))
            .map(|(i, _)| i as isize)
            .collect();
        if !drop.is_empty() {
            t = t.sum_dims(&drop, false)?;
            letters = letters
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(&(*i as isize)))
                .map(|(_, c)| c)
                .collect();
        }
        ops.push((t, letters));
    }

    // 3: one operand: a permutation.
    if ops.len() == 1 {
        let (t, letters) = &ops[0];
        return permute_to(t, letters, &out);
    }
    let (a, la) = &ops[0];
    let (b, lb) = &ops[1];
    let batch: Vec<char> = la
        .iter()
        .copied()
        .filter(|c| lb.contains(c) && out.contains(c))
        .collect();
    let contracted: Vec<char> = la
        .iter()
        .copied()
        .filter(|c| lb.contains(c) && !out.contains(c))
        .collect();
    let left: Vec<char> = la.iter().copied().filter(|c| !lb.contains(c)).collect();
    let right: Vec<char> = lb.iter().copied().filter(|c| !la.contains(c)).collect();
    let prod = |cs: &[char]| cs.iter().map(|&c| size(c)).product::<usize>();
    let (nb, nc, nl, nr) = (prod(&batch), prod(&contracted), prod(&left), prod(&right));
    let a_order: Vec<char> = [&batch[..], &left, &contracted].concat();
    let b_order: Vec<char> = [&batch[..], &contracted, &right].concat();
    let a3 = permute_to(a, la, &a_order)?.reshape(&[nb, nl, nc])?;
    let b3 = permute_to(b, lb, &b_order)?.reshape(&[nb, nc, nr])?;
    let c3 = a3.matmul(&b3)?;
    let c_order: Vec<char> = [&batch[..], &left, &right].concat();
    let c_shape: Vec<usize> = c_order.iter().map(|&c| size(c)).collect();
    permute_to(&c3.reshape(&c_shape)?, &c_order, &out)
}

/// The first pair of positions holding the same letter.
fn repeated(letters: &[char]) -> Option<(usize, usize)> {
    (0..letters.len()).find_map(|i| {
        (i + 1..letters.len())
            .find(|&j| letters[j] == letters[i])
            .map(|j| (i, j))
    })
}

/// Permute `t`, whose dimensions are named `from`, into the order `to`.
fn permute_to(t: &Tensor, from: &[char], to: &[char]) -> Result<Tensor> {
    if from == to {
        return Ok(t.clone());
    }
    let perm: Vec<usize> = to
        .iter()
        .map(|c| {
            from.iter()
                .position(|d| d == c)
                .expect("every output letter is present")
        })
        .collect();
    t.permute(&perm)
}
