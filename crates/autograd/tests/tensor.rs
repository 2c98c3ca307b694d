//! Tensors: views against a naive index computation (property tests),
//! broadcasting against its definition, finite-difference gradient checks,
//! and the graph's life cycle (accumulation, no_grad, detach, freeing).

use proptest::prelude::*;
use towel_autograd::array::{broadcast_shapes, Array};
use towel_autograd::gradcheck::gradcheck;
use towel_autograd::tensor::{live_nodes, no_grad, Tensor};
use towel_autograd::AutogradError;

fn arange(shape: &[usize]) -> Array {
    let n: usize = shape.iter().product();
    Array::from_vec((0..n).map(|v| v as f32).collect(), shape).unwrap()
}

/// Row-major multi-index of flat position `i` in `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &s)| acc * s + i)
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..4usize, 1..5)
}

proptest! {
    /// permute then narrow, read through strides, equals indexing the
    /// original by the naive formula.
    #[test]
    fn permute_narrow_equal_naive_indexing(shape in shape_strategy(), seed in any::<u64>()) {
        let a = arange(&shape);
        let nd = shape.len();
        let mut perm: Vec<usize> = (0..nd).collect();
        let mut s = seed;
        for i in (1..nd).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let p = a.permute(&perm).unwrap();
        let d = (seed as usize) % nd;
        let len = p.shape()[d];
        let start = (seed as usize / 7) % len;
        let v = p.narrow(d as isize, start, len - start).unwrap();
        prop_assert!(v.shares_storage(&a));
        for (i, got) in v.to_vec().into_iter().enumerate() {
            let mut idx = unravel(i, v.shape());
            idx[d] += start;
            let mut orig = vec![0; nd];
            for (k, &pk) in perm.iter().enumerate() {
                orig[pk] = idx[k];
            }
            prop_assert_eq!(got, ravel(&orig, &shape) as f32);
        }
    }

    /// A view, when allowed, has the same elements as a copy; reshape always does.
    #[test]
    fn view_equals_reshape_of_a_copy(shape in shape_strategy(), split in 0..3usize) {
        let a = arange(&shape);
        let t = if shape.len() >= 2 { a.transpose(0, 1).unwrap() } else { a.clone() };
        let n = t.numel();
        let target: Vec<usize> = match split {
            0 => vec![n],
            1 => vec![t.shape()[0], n / t.shape()[0]],
            _ => { let mut s = t.shape().to_vec(); s.push(1); s.insert(0, 1); s }
        };
        let copy = t.contiguous().reshape(&target).unwrap().to_vec();
        prop_assert_eq!(t.reshape(&target).unwrap().to_vec(), copy.clone());
        match t.view(&target) {
            Ok(v) => { prop_assert!(v.shares_storage(&a)); prop_assert_eq!(v.to_vec(), copy); }
            Err(e) => prop_assert!(matches!(e, AutogradError::View { .. }), "{}", e),
        }
    }

    /// Broadcasting equals its definition: out[i] = a[i mod-broadcast] + b[...].
    #[test]
    fn broadcast_add_equals_definition(a_shape in shape_strategy(), b_shape in shape_strategy()) {
        let a = arange(&a_shape);
        let b = arange(&b_shape).map(|v| v * 1000.0);
        match broadcast_shapes("add", &a_shape, &b_shape) {
            Ok(out_shape) => {
                let out = a.zip_map(&b, "add", |x, y| x + y).unwrap();
                prop_assert_eq!(out.shape(), &out_shape[..]);
                let pick = |idx: &[usize], shape: &[usize]| {
                    let lead = idx.len() - shape.len();
                    let own: Vec<usize> = shape.iter().enumerate().map(|(d, &s)| if s == 1 { 0 } else { idx[lead + d] }).collect();
                    ravel(&own, shape) as f32
                };
                for (i, got) in out.to_vec().into_iter().enumerate() {
                    let idx = unravel(i, &out_shape);
                    prop_assert_eq!(got, pick(&idx, &a_shape) + 1000.0 * pick(&idx, &b_shape));
                }
                // And the gradient of broadcasting sums back to each shape.
                let ta = Tensor::new(a.clone()).requires_grad();
                let tb = Tensor::new(b.clone()).requires_grad();
                ta.add(&tb).unwrap().sum().backward().unwrap();
                let per_a = (out.numel() / a.numel()) as f32;
                prop_assert!(ta.grad().unwrap().to_vec().iter().all(|&g| g == per_a));
                let gb = tb.grad().unwrap();
                prop_assert_eq!(gb.shape(), &b_shape[..]);
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(&format!("{a_shape:?}")) && msg.contains(&format!("{b_shape:?}")), "{}", msg);
            }
        }
    }
}

fn rand_array(shape: &[usize], seed: u64) -> Array {
    let mut rng = towel_autograd::rng::Rng::new(seed);
    let n: usize = shape.iter().product();
    Array::from_vec(
        (0..n).map(|_| rng.uniform(-1.5, 1.5) as f32).collect(),
        shape,
    )
    .unwrap()
}

#[test]
fn finite_differences_agree_on_a_small_network() {
    let x = rand_array(&[4, 3], 1);
    let w1 = rand_array(&[3, 5], 2);
    let b1 = rand_array(&[5], 3);
    let w2 = rand_array(&[5, 2], 4);
    let report = gradcheck(
        |t: &[Tensor]| {
            let h = t[0].matmul(&t[1])?.add(&t[2])?.gelu();
            let logits = h.matmul(&t[3])?.tanh();
            logits.cross_entropy(&[0, 1, 1, 0], None)
        },
        &[x, w1, b1, w2],
    )
    .unwrap();
    assert_eq!(report.checked, 12 + 15 + 5 + 10);
    assert!(report.max_error < 5e-3, "{report:?}");
}

#[test]
fn finite_differences_agree_elementwise_and_reductions() {
    let a = rand_array(&[2, 3, 4], 5);
    let b = rand_array(&[3, 1], 6);
    type F = fn(&[Tensor]) -> towel_autograd::Result<Tensor>;
    let fns: [(&str, F); 6] = [
        ("div", |t| t[0].div(&t[1].exp())),
        ("softmax", |t| t[0].mul(&t[1])?.softmax(1)),
        ("log_softmax", |t| t[0].sub(&t[1])?.log_softmax(-1)),
        ("max", |t| t[0].add(&t[1])?.max_dim(2, true)),
        ("mean", |t| {
            t[0].mul(&t[1].sigmoid())?.mean_dims(&[0, 2], false)
        }),
        ("pow", |t| {
            t[0].mul(&t[0])?
                .add(&t[1].powf(2.0))?
                .sqrt()
                .permute(&[2, 0, 1])
        }),
    ];
    for (name, f) in fns {
        let r = gradcheck(f, &[a.clone(), b.clone()]).unwrap();
        assert!(r.max_error < 5e-3, "{name}: {r:?}");
    }
}

#[test]
fn gradients_accumulate_until_zero_grad() {
    let w = Tensor::from_vec(vec![1.0, 2.0], &[2])
        .unwrap()
        .requires_grad();
    for _ in 0..3 {
        w.mul(&w).unwrap().sum().backward().unwrap();
    }
    assert_eq!(w.grad().unwrap().to_vec(), [6.0, 12.0]);
    w.zero_grad();
    assert!(w.grad().is_none());
}

#[test]
fn graph_is_freed_and_memory_stays_flat() {
    let before = live_nodes();
    let w = Tensor::new(rand_array(&[8, 8], 7)).requires_grad();
    let x = Tensor::new(rand_array(&[4, 8], 8));
    for _ in 0..50 {
        let loss = x
            .matmul(&w)
            .unwrap()
            .relu()
            .softmax(-1)
            .unwrap()
            .log()
            .mean();
        assert_eq!(live_nodes(), before + 6); // matmul relu softmax log sum mul (mean)
        loss.backward().unwrap();
        assert_eq!(live_nodes(), before, "backward frees every node");
        let again = loss.backward().unwrap_err().to_string();
        assert!(again.contains("already freed"), "{again}");
    }
}

#[test]
fn no_grad_builds_no_graph_and_detach_cuts_it() {
    let before = live_nodes();
    let w = Tensor::new(rand_array(&[8, 8], 9)).requires_grad();
    {
        let _g = no_grad();
        let y = w.matmul(&w).unwrap().tanh().sum();
        assert_eq!(live_nodes(), before);
        assert!(!y.requires_grad_flag());
        assert!(y.backward().is_err());
    }
    let y = w.tanh();
    assert_eq!(live_nodes(), before + 1);
    let d = y.detach();
    assert!(!d.requires_grad_flag() && d.data().shares_storage(y.data()));
    let z = d.mul(&w).unwrap().sum();
    z.backward().unwrap();
    // Only the direct path: dz/dw = detach(tanh(w)).
    assert_eq!(w.grad().unwrap().to_vec(), y.to_vec());
}

#[test]
fn shape_errors_name_both_shapes() {
    let a = Tensor::new(arange(&[2, 3]));
    let b = Tensor::new(arange(&[4, 5]));
    for e in [a.matmul(&b).unwrap_err(), a.add(&b).unwrap_err()] {
        let s = e.to_string();
        assert!(s.contains("[2, 3]") && s.contains("[4, 5]"), "{s}");
    }
    let e = a.cross_entropy(&[0, 1, 2], None).unwrap_err().to_string();
    assert!(e.contains("[2, 3]") && e.contains("[3]"), "{e}");
    let e = a.reshape(&[5]).unwrap_err().to_string();
    assert!(e.contains("[2, 3]") && e.contains("[5]"), "{e}");
}

#[test]
fn backward_with_an_upstream_gradient() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3])
        .unwrap()
        .requires_grad();
    let y = x.mul(&x).unwrap();
    let up = Array::from_vec(vec![1.0, 0.0, -1.0], &[3]).unwrap();
    y.backward_with(up).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), [2.0, 0.0, -6.0]);
    assert!(y.backward().is_err(), "not a scalar");
}

#[test]
fn softmax_is_stable_for_huge_logits() {
    let x = Tensor::from_vec(vec![1000.0, 1001.0, -1000.0], &[3]).unwrap();
    let p = x.softmax(0).unwrap().to_vec();
    assert!(p.iter().all(|v| v.is_finite()));
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    let lp = x.log_softmax(0).unwrap().to_vec();
    assert!(lp[2] < -1999.0 && lp[2].is_finite());
}

#[test]
fn einsum_errors_name_the_problem() {
    use towel_autograd::einsum::einsum;
    let a = Tensor::new(arange(&[2, 3]));
    let b = Tensor::new(arange(&[4, 5]));
    let e = einsum("ik,kj->ij", &[&a, &b]).unwrap_err().to_string();
    assert!(
        e.contains("[2, 3]") && e.contains("[4, 5]") && e.contains("`k`"),
        "{e}"
    );
    for (spec, want) in [
        ("ij->", "for 2 operand(s)"),
        ("ijk->", "3 letters"),
        ("ij->ii", "twice"),
        ("ij->z", "in no operand"),
        ("i..j->ij", "neither a letter nor part of `...`"),
        ("...i...->i", "more than one `...`"),
        ("...ijk->i", "3 letters and `...`"),
    ] {
        let ops: Vec<&Tensor> = if spec == "ij->" {
            vec![&a, &b]
        } else {
            vec![&a]
        };
        let e = einsum(spec, &ops).unwrap_err().to_string();
        assert!(e.contains(want), "{spec}: {e}");
    }
}

#[test]
fn einsum_equals_its_matmul_form_and_passes_gradcheck() {
    use towel_autograd::einsum::einsum;
    let q = rand_array(&[2, 2, 3, 4], 11);
    let k = rand_array(&[2, 2, 5, 4], 12);
    let qt = Tensor::new(q.clone());
    let kt = Tensor::new(k.clone());
    let scores = einsum("bhid,bhjd->bhij", &[&qt, &kt]).unwrap();
    let via_matmul = qt.matmul(&kt.transpose(-1, -2).unwrap()).unwrap();
    assert_eq!(scores.shape(), &[2, 2, 3, 5]);
    for (x, y) in scores.to_vec().iter().zip(via_matmul.to_vec()) {
        assert!((x - y).abs() < 1e-5);
    }
    let r = gradcheck(
        |t: &[Tensor]| einsum("bhid,bhjd->bhij", &[&t[0], &t[1]]),
        &[q, k],
    )
    .unwrap();
    assert!(r.max_error < 5e-3, "{r:?}");
    let m = rand_array(&[3, 3], 13);
    let r = gradcheck(|t: &[Tensor]| einsum("ii->", &[&t[0]]), &[m]).unwrap();
    assert!(r.max_error < 5e-3, "{r:?}");
    // Three operands, and ellipsis with a broadcast batch dimension.
    let (a, b, c) = (
        rand_array(&[2, 3], 14),
        rand_array(&[3, 4], 15),
        rand_array(&[4, 2], 16),
    );
    let r = gradcheck(
        |t: &[Tensor]| einsum("ij,jk,kl->il", &[&t[0], &t[1], &t[2]]),
        &[a.clone(), b.clone(), c.clone()],
    )
    .unwrap();
    assert!(r.max_error < 5e-3, "{r:?}");
    let chain = einsum(
        "ij,jk,kl->il",
        &[
            &Tensor::new(a.clone()),
            &Tensor::new(b.clone()),
            &Tensor::new(c.clone()),
        ],
    )
    .unwrap();
    let via_matmul = Tensor::new(a)
        .matmul(&Tensor::new(b))
        .unwrap()
        .matmul(&Tensor::new(c))
        .unwrap();
    for (x, y) in chain.to_vec().iter().zip(via_matmul.to_vec()) {
        assert!((x - y).abs() < 1e-5);
    }
    let (x, y) = (rand_array(&[2, 1, 3, 4], 17), rand_array(&[2, 4, 2], 18));
    let r = gradcheck(
        |t: &[Tensor]| einsum("...ij,...jk->...ik", &[&t[0], &t[1]]),
        &[x, y],
    )
    .unwrap();
    assert!(r.max_error < 5e-3, "{r:?}");
}

#[test]
fn einsum_ellipsis_shape_errors_name_both_shapes() {
    use towel_autograd::einsum::einsum;
    let a = Tensor::new(arange(&[2, 3, 4]));
    let b = Tensor::new(arange(&[5, 4, 2]));
    let e = einsum("...ij,...jk->...ik", &[&a, &b])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[2, 3, 4]") && e.contains("[5, 4, 2]") && e.contains("`...`"),
        "{e}"
    );
}

#[test]
fn dropout_is_seeded_scaled_and_masks_the_gradient() {
    use towel_autograd::rng::Rng;
    let x = Tensor::new(Array::full(&[100, 100], 1.0)).requires_grad();
    let a = x.dropout(0.25, &mut Rng::new(3)).unwrap();
    let b = x.dropout(0.25, &mut Rng::new(3)).unwrap();
    assert_eq!(a.to_vec(), b.to_vec(), "same seed, same mask");
    let v = a.to_vec();
    let kept = v.iter().filter(|&&y| y != 0.0).count();
    assert!(
        (7000..8000).contains(&kept),
        "{kept} of 10000 kept at p = 0.25"
    );
    assert!(v.iter().all(|&y| y == 0.0 || (y - 4.0 / 3.0).abs() < 1e-6));
    a.sum().backward().unwrap();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        v,
        "gradient is the mask times the scale"
    );
    assert!(x.dropout(1.0, &mut Rng::new(0)).is_err());
}

#[test]
fn cat_and_stack_errors_name_both_shapes() {
    let a = Tensor::new(arange(&[2, 3]));
    let b = Tensor::new(arange(&[2, 4]));
    let e = Tensor::cat(&[&a, &b], 0).unwrap_err().to_string();
    assert!(e.contains("[2, 3]") && e.contains("[2, 4]"), "{e}");
    assert_eq!(Tensor::cat(&[&a, &b], 1).unwrap().shape(), &[2, 7]);
    let e = Tensor::stack(&[&a, &b], 0).unwrap_err().to_string();
    assert!(e.contains("[2, 3]") && e.contains("[2, 4]"), "{e}");
}

#[test]
fn a_second_backward_through_a_freed_node_is_an_error_not_a_lost_gradient() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3])
        .unwrap()
        .requires_grad();
    // y's node is freed by the first backward; PyTorch raises "Trying to
    // backward through the graph a second time" for exp (and, for add,
    // runs again to [2, 2, 2]); towel refuses both and keeps the first
    // pass's gradient, where it used to leave [1, 1, 1] without a word.
    for y in [x.add(&Tensor::scalar(1.0)).unwrap(), x.exp()] {
        x.zero_grad();
        y.sum().backward().unwrap();
        let first = x.grad().unwrap().to_vec();
        let e = y.sum().backward().unwrap_err();
        assert_eq!(e, AutogradError::GraphFreed);
        assert!(e.to_string().contains("already freed"), "{e}");
        let e = y.mul(&Tensor::scalar(3.0)).unwrap().sum().backward();
        assert_eq!(e.unwrap_err(), AutogradError::GraphFreed);
        assert_eq!(x.grad().unwrap().to_vec(), first, "nothing added");
    }
}

#[test]
fn backward_through_a_replaced_leaf_is_an_error() {
    let p = Tensor::from_vec(vec![1.0, 2.0], &[2])
        .unwrap()
        .requires_grad();
    let loss = p.mul(&p).unwrap().sum();
    p.mark_replaced();
    assert_eq!(loss.backward().unwrap_err(), AutogradError::LeafReplaced);
    assert!(p.grad().is_none());
}

#[test]
fn a_long_graph_dropped_without_backward_does_not_overflow_the_stack() {
    // Dropping used to recurse once per op; on a 256 KiB stack a chain of
    // 100,000 ops overflowed (the process aborted).
    let before = live_nodes();
    let chain = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let x = Tensor::from_vec(vec![0.5; 4], &[4])
                .unwrap()
                .requires_grad();
            let one = Tensor::scalar(1e-6);
            let mut y = x.clone();
            for _ in 0..100_000 {
                y = y.add(&one).unwrap();
            }
            assert_eq!(live_nodes(), 100_000);
            drop(y);
            live_nodes()
        })
        .unwrap();
    assert_eq!(chain.join().unwrap(), 0);
    assert_eq!(live_nodes(), before);
}

#[test]
fn zero_dimensional_tensors_are_errors_where_pytorch_refuses_them() {
    let (a, b) = (Tensor::scalar(1.0), Tensor::scalar(2.0));
    // PyTorch: "zero-dimensional tensor (at position 0) cannot be concatenated".
    let e = Tensor::cat(&[&a, &b], 0).unwrap_err().to_string();
    assert!(e.contains("zero-dimensional tensor (at position 0)"), "{e}");
    let v = Tensor::from_vec(vec![1.0], &[1]).unwrap();
    let e = Tensor::cat(&[&v, &b], 0).unwrap_err().to_string();
    assert!(e.contains("(at position 1)"), "{e}");
    assert_eq!(Tensor::stack(&[&a, &b], 0).unwrap().to_vec(), [1.0, 2.0]);
    // PyTorch: "Index to scalar can have only 1 value, got 2 value(s)".
    for ids in [&[0, 0][..], &[]] {
        let e = a.index_select(0, ids).unwrap_err().to_string();
        assert!(e.contains("exactly one index"), "{e}");
    }
    assert!(a.index_select(0, &[1]).is_err());
    assert!(a.gather(0, &[1], &[]).is_err());
}

#[test]
fn a_dimension_repeated_in_a_reduction_is_an_error() {
    // PyTorch: "dim 1 appears multiple times in the list of dims"; towel
    // divided mean_dims(&[1, 1]) of a [2, 3] tensor by 9.
    let x = Tensor::new(arange(&[2, 3]));
    let e = x.mean_dims(&[1, 1], false).unwrap_err().to_string();
    assert!(e.contains("dim 1 appears multiple times"), "{e}");
    let e = x.sum_dims(&[0, -2], false).unwrap_err().to_string();
    assert!(e.contains("dim 0 appears multiple times"), "{e}");
    let e = Tensor::scalar(1.0).sum_dims(&[0, -1], false).unwrap_err();
    assert!(
        e.to_string().contains("dim 0 appears multiple times"),
        "{e}"
    );
    assert_eq!(x.mean_dims(&[1, 0], false).unwrap().to_vec(), [2.5]);
}

#[test]
fn einsum_letter_repeated_in_one_operand_needs_equal_sizes() {
    use towel_autograd::einsum::einsum;
    // PyTorch: "subscript i is repeated for operand 0 but the sizes don't
    // match, 3 != 1"; towel broadcast the 1 (a value, or a panic for ii->i).
    let t = |shape: &[usize]| Tensor::new(arange(shape));
    for (spec, shapes, want) in [
        (
            "ii",
            vec![vec![1, 3]],
            "operand 0 but the sizes don't match, 3 != 1",
        ),
        (
            "ii->i",
            vec![vec![3, 1]],
            "operand 0 but the sizes don't match, 1 != 3",
        ),
        (
            "iij->j",
            vec![vec![1, 3, 2]],
            "operand 0 but the sizes don't match, 3 != 1",
        ),
        (
            "ij,ii->j",
            vec![vec![3, 2], vec![1, 3]],
            "operand 1 but the sizes don't match, 3 != 1",
        ),
    ] {
        let ops: Vec<Tensor> = shapes.iter().map(|s| t(s)).collect();
        let refs: Vec<&Tensor> = ops.iter().collect();
        let e = einsum(spec, &refs).unwrap_err().to_string();
        assert!(
            e.contains(&format!("subscript i is repeated for {want}")),
            "{spec}: {e}"
        );
    }
    // Equal sizes are a diagonal, and a size 1 still broadcasts across operands.
    assert_eq!(einsum("ii", &[&t(&[1, 1])]).unwrap().to_vec(), [0.0]);
    assert_eq!(
        einsum("ij,ij->ij", &[&t(&[1, 2]), &t(&[3, 2])])
            .unwrap()
            .shape(),
        &[3, 2]
    );
}
