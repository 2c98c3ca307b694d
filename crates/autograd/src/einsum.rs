//! `einsum` for any number of operands, with `...`, built from views, sums
//! and batched matmuls, so that its gradient comes from theirs.
//!
//! ```
//! use towel_autograd::{einsum::einsum, tensor::Tensor};
//! let a = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
//! let b = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[3, 4]).unwrap();
//! let c = einsum("ik,kj->ij", &[&a, &b]).unwrap();
//! assert_eq!(c.to_vec(), a.matmul(&b).unwrap().to_vec());
//! let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
//! assert_eq!(einsum("ii->", &[&m]).unwrap().to_vec(), [5.0]); // trace
//! // Three operands, and ellipsis over leading (batch) dimensions.
//! let abc = einsum("ij,jk,kl->il", &[&a, &b, &b.transpose(0, 1).unwrap()]).unwrap();
//! assert_eq!(abc.shape(), &[2, 3]);
//! let x = Tensor::from_vec(vec![1.0; 5 * 2 * 3], &[5, 2, 3]).unwrap();
//! assert_eq!(einsum("...ij,jk->...ik", &[&x, &b]).unwrap().shape(), &[5, 2, 4]);
//! ```
//!
//! The steps, for a spec such as `bhid,bhjd->bhij`:
//!
//! 1. a letter repeated inside one operand (`ii`) takes the diagonal, a
//!    view whose stride is the sum of the two strides (the sizes must be
//!    equal: a 1 does not broadcast there, as in PyTorch);
//! 2. a size-1 dimension whose letter has a larger size elsewhere is
//!    squeezed out (broadcasting); a letter that is in neither the output
//!    nor another operand is summed out;
//! 3. with one operand, permute to the output's order; with two, sort the
//!    letters into *batch* (both operands and the output: `b`, `h`),
//!    *contracted* (both operands, not the output: `d`), *left* (`i`) and
//!    *right* (`j`); permute and reshape A to `[batch, left, contracted]`
//!    and B to `[batch, contracted, right]`, multiply (one GEMM per batch
//!    element), and reshape and permute the `[batch, left, right]` result
//!    to the output's order.
//!
//! With more than two operands, the operands are contracted pairwise from
//! left to right (step 3 on the running result and the next operand),
//! keeping the letters that the output or a later operand still needs.
//!
//! Without `->`, the output is the letters that appear once, in
//! alphabetical order (NumPy's and PyTorch's rule), after the ellipsis
//! dimensions if there are any. `...` stands for the dimensions an operand
//! has beyond its letters; the ellipses of different operands are aligned
//! at their last dimension and broadcast (as do letters: a letter of size
//! 1 in one operand and n in another broadcasts, as in PyTorch). An
//! explicit output without `...` sums the ellipsis dimensions, as
//! PyTorch does.

use crate::error::{invalid, AutogradError, Result};
use crate::tensor::Tensor;

fn spec_error(spec: &str, message: impl std::fmt::Display) -> AutogradError {
    invalid("einsum", format!("`{spec}`: {message}"))
}

/// The letter that stands for ellipsis dimension `i` (a private-use
/// character, so it never clashes with the spec's letters).
fn ellipsis_letter(i: usize) -> char {
    char::from_u32(0xE000 + i as u32).expect("private-use range")
}

fn is_ellipsis_letter(c: char) -> bool {
    ('\u{E000}'..='\u{E0FF}').contains(&c)
}

/// A term's letters, with `...` kept as one marker `'.'` (checked).
fn parse_term(spec: &str, term: &str) -> Result<Vec<char>> {
    let mut out = Vec::new();
    let mut rest = term;
    let mut dots = 0;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("...") {
            dots += 1;
            if dots > 1 {
                return Err(spec_error(
                    spec,
                    format!("term `{term}` has more than one `...`"),
                ));
            }
            out.push('.');
            rest = r;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            return Err(spec_error(
                spec,
                format!("`{c}` in `{term}` is neither a letter nor part of `...`"),
            ));
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

/// Evaluate an einsum `spec` (like `"bik,bkj->bij"`, `"...ij,...jk"` or
/// `"ij,jk,kl->il"`) on one or more operands, with gradients.
pub fn einsum(spec: &str, operands: &[&Tensor]) -> Result<Tensor> {
    let _prof = crate::profile::scope("einsum", crate::profile::Phase::Forward);
    let spec_nows: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, out) = match spec_nows.split_once("->") {
        Some((l, o)) => (l.to_string(), Some(o.to_string())),
        None => (spec_nows.clone(), None),
    };
    let raw: Vec<&str> = lhs.split(',').collect();
    if raw.len() != operands.len() || operands.is_empty() {
        return Err(spec_error(
            spec,
            format!(
                "{} term(s) for {} operand(s); give one term per operand",
                raw.len(),
                operands.len()
            ),
        ));
    }
    // Letters, with each operand's `...` expanded into ellipsis letters
    // aligned at the right.
    let mut terms: Vec<Vec<char>> = Vec::with_capacity(raw.len());
    let parsed: Vec<Vec<char>> = raw
        .iter()
        .map(|t| parse_term(spec, t))
        .collect::<Result<_>>()?;
    let mut ell_rank = 0;
    for (k, (term, t)) in parsed.iter().zip(operands).enumerate() {
        let named = term.iter().filter(|&&c| c != '.').count();
        let rank = t.shape().len();
        let has_dots = term.contains(&'.');
        if rank < named || (!has_dots && rank != named) {
            return Err(spec_error(
                spec,
                format!(
                    "term `{}` has {named} letters{} but operand {k} has shape {:?}",
                    raw[k],
                    if has_dots { " and `...`" } else { "" },
                    t.shape()
                ),
            ));
        }
        ell_rank = ell_rank.max(rank - named);
    }
    for (term, t) in parsed.iter().zip(operands) {
        let n_ell = t.shape().len() + usize::from(term.contains(&'.')) - term.len();
        let mut letters = Vec::with_capacity(t.shape().len());
        for &c in term {
            if c == '.' {
                letters.extend((ell_rank - n_ell..ell_rank).map(ellipsis_letter));
            } else {
                letters.push(c);
            }
        }
        terms.push(letters);
    }
    let out: Vec<char> = match out {
        Some(o) => {
            // An output without `...` sums the ellipsis dimensions (PyTorch's rule).
            let mut letters = Vec::new();
            for c in parse_term(spec, &o)? {
                if c == '.' {
                    letters.extend((0..ell_rank).map(ellipsis_letter));
                } else {
                    letters.push(c);
                }
            }
            letters
        }
        None => {
            let mut once: Vec<char> = terms
                .iter()
                .flatten()
                .copied()
                .filter(|&c| !is_ellipsis_letter(c))
                .filter(|c| terms.iter().flatten().filter(|d| *d == c).count() == 1)
                .collect();
            once.sort_unstable();
            let mut letters: Vec<char> = (0..ell_rank).map(ellipsis_letter).collect();
            letters.extend(once);
            letters
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
    // A letter repeated inside one operand takes a diagonal: equal sizes
    // only (a size 1 does not broadcast there, as in PyTorch).
    for (k, (term, t)) in terms.iter().zip(operands).enumerate() {
        for (i, j) in repeats(term) {
            let (n, m) = (t.shape()[i], t.shape()[j]);
            if n != m {
                return Err(spec_error(
                    spec,
                    // PyTorch's wording and order (the later size first).
                    format!("subscript {} is repeated for operand {k} but the sizes don't match, {m} != {n} (shape {:?})", term[i], t.shape()),
                ));
            }
        }
    }
    // Sizes: each letter one size, or 1 where it broadcasts.
    let mut sizes: Vec<(char, usize, usize)> = Vec::new(); // (letter, size, operand)
    for (k, (term, t)) in terms.iter().zip(operands).enumerate() {
        for (&c, &n) in term.iter().zip(t.shape()) {
            match sizes.iter_mut().find(|(d, _, _)| *d == c) {
                Some((_, m, j)) if *m != n && *m != 1 && n != 1 => {
                    let what = if is_ellipsis_letter(c) {
                        "`...` dimensions".to_string()
                    } else {
                        format!("`{c}`")
                    };
                    return Err(AutogradError::Shape {
                        op: "einsum",
                        lhs: operands[*j].shape().to_vec(),
                        rhs: t.shape().to_vec(),
                        detail: format!("disagree on {what} in `{spec}`: size {m} against {n}"),
                    });
                }
                Some((_, m, j)) => {
                    if *m == 1 && n != 1 {
                        (*m, *j) = (n, k);
                    }
                }
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

    // 1 and 2: diagonals; broadcast size-1 dimensions squeezed out (the
    // letter then lives in the other operands only); letters needed
    // nowhere else summed out.
    let mut ops: Vec<(Tensor, Vec<char>)> = Vec::new();
    for (k, (term, t)) in terms.iter().zip(operands).enumerate() {
        let (mut t, mut letters) = ((*t).clone(), term.clone());
        while let Some((i, j)) = repeated(&letters) {
            t = t.diagonal(i, j)?;
            let c = letters.remove(j);
            letters.remove(i);
            letters.push(c);
        }
        let squeeze: Vec<usize> = (0..letters.len())
            .filter(|&i| t.shape()[i] == 1 && size(letters[i]) != 1)
            .collect();
        if !squeeze.is_empty() {
            let shape: Vec<usize> = (0..letters.len())
                .filter(|i| !squeeze.contains(i))
                .map(|i| t.shape()[i])
                .collect();
            t = t.reshape(&shape)?;
            letters = (0..letters.len())
                .filter(|i| !squeeze.contains(i))
                .map(|i| letters[i])
                .collect();
        }
        let elsewhere = |c: &char| {
            out.contains(c)
                || terms
                    .iter()
                    .enumerate()
                    .any(|(j, term)| j != k && term.contains(c))
        };
        let drop: Vec<isize> = letters
            .iter()
            .enumerate()
            .filter(|(_, c)| !elsewhere(c))
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

    // 3: contract left to right, keeping what the output and the operands
    // still to come need.
    let mut ops = ops.into_iter();
    let (mut acc, mut la) = ops.next().expect("at least one operand");
    let rest: Vec<(Tensor, Vec<char>)> = ops.collect();
    for (k, (b, lb)) in rest.iter().enumerate() {
        let keep = |c: &char| out.contains(c) || rest[k + 1..].iter().any(|(_, l)| l.contains(c));
        let (c, lc) = contract(&acc, &la, b, lb, &keep, &size)?;
        (acc, la) = (c, lc);
    }
    // Letters of a lone operand that the output does not have were summed
    // out in step 2; what is left is a permutation.
    permute_to(&acc, &la, &out)
}

/// `a` (letters `la`) times `b` (letters `lb`) as one batched matmul:
/// letters in both and kept are the batch, in both and not kept are
/// summed over, the others are rows of `a` and columns of `b`.
fn contract(
    a: &Tensor,
    la: &[char],
    b: &Tensor,
    lb: &[char],
    keep: &dyn Fn(&char) -> bool,
    size: &dyn Fn(char) -> usize,
) -> Result<(Tensor, Vec<char>)> {
    // A letter in one operand only that nothing needs is summed out first.
    let sum_alone = |t: &Tensor, l: &[char], other: &[char]| -> Result<(Tensor, Vec<char>)> {
        let drop: Vec<isize> = l
            .iter()
            .enumerate()
            .filter(|(_, c)| !other.contains(c) && !keep(c))
            .map(|(i, _)| i as isize)
            .collect();
        if drop.is_empty() {
            return Ok((t.clone(), l.to_vec()));
        }
        let kept = l
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(&(*i as isize)))
            .map(|(_, &c)| c)
            .collect();
        Ok((t.sum_dims(&drop, false)?, kept))
    };
    let (a, la) = sum_alone(a, la, lb)?;
    let (b, lb) = sum_alone(b, lb, &la)?;
    let batch: Vec<char> = la
        .iter()
        .copied()
        .filter(|c| lb.contains(c) && keep(c))
        .collect();
    let contracted: Vec<char> = la
        .iter()
        .copied()
        .filter(|c| lb.contains(c) && !keep(c))
        .collect();
    let left: Vec<char> = la.iter().copied().filter(|c| !lb.contains(c)).collect();
    let right: Vec<char> = lb.iter().copied().filter(|c| !la.contains(c)).collect();
    let prod = |cs: &[char]| cs.iter().map(|&c| size(c)).product::<usize>();
    let (nb, nc, nl, nr) = (prod(&batch), prod(&contracted), prod(&left), prod(&right));
    let a_order: Vec<char> = [&batch[..], &left, &contracted].concat();
    let b_order: Vec<char> = [&batch[..], &contracted, &right].concat();
    let a3 = permute_to(&a, &la, &a_order)?.reshape(&[nb, nl, nc])?;
    let b3 = permute_to(&b, &lb, &b_order)?.reshape(&[nb, nc, nr])?;
    let c3 = a3.matmul(&b3)?;
    let c_order: Vec<char> = [&batch[..], &left, &right].concat();
    let c_shape: Vec<usize> = c_order.iter().map(|&c| size(c)).collect();
    Ok((c3.reshape(&c_shape)?, c_order))
}

/// Every pair of positions `i < j` holding the same letter.
fn repeats(letters: &[char]) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..letters.len()).flat_map(move |i| {
        (i + 1..letters.len())
            .filter(move |&j| letters[j] == letters[i])
            .map(move |j| (i, j))
    })
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
