//! Every tensor operation's output and gradients against PyTorch 2.15
//! (fixtures written by `tests/fixtures/gen_torch.py`: random shapes,
//! broadcast operands, transposed non-contiguous views, an explicit
//! upstream gradient), at relative tolerance 1e-5; and the edge cases of
//! `tests/fixtures/gen_torch_edge.py` (empty and 0-dimensional tensors,
//! non-finite inputs) the same way, and every dimension-taking op on a
//! 0-dimensional tensor accepting exactly the dims PyTorch accepts.

use serde_json::Value;
use towel_autograd::array::Array;
use towel_autograd::tensor::Tensor;
use towel_autograd::AutogradError;

/// A JSON array of numbers, each converted by `f`.
fn nums<T>(v: &Value, f: impl Fn(&Value) -> Option<T>) -> Vec<T> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| f(x).unwrap())
        .collect()
}

/// Numbers, with the non-finite ones written as protobuf's JSON mapping
/// does ("NaN", "Infinity", "-Infinity").
fn floats(v: &Value) -> Vec<f32> {
    nums(v, |x| match x.as_str() {
        Some("NaN") => Some(f32::NAN),
        Some("Infinity") => Some(f32::INFINITY),
        Some("-Infinity") => Some(f32::NEG_INFINITY),
        _ => x.as_f64().map(|f| f as f32),
    })
}

fn usizes(v: &Value) -> Vec<usize> {
    nums(v, |x| x.as_u64().map(|u| u as usize))
}

fn isizes(v: &Value) -> Vec<isize> {
    nums(v, |x| x.as_i64().map(|i| i as isize))
}

/// The input as the op sees it (a transposed view when marked so).
fn input(v: &Value) -> Array {
    let a = Array::from_vec(floats(&v["data"]), &usizes(&v["shape"])).unwrap();
    if v["transposed"].as_bool().unwrap() {
        let t = a.transpose(-1, -2).unwrap();
        assert!(!t.is_contiguous() || t.numel() <= 1);
        t
    } else {
        a
    }
}

fn apply(op: &str, args: &Value, x: &[Tensor]) -> Tensor {
    let keep = || args["keepdim"].as_bool().unwrap();
    match op {
        "add" => x[0].add(&x[1]).unwrap(),
        "sub" => x[0].sub(&x[1]).unwrap(),
        "mul" => x[0].mul(&x[1]).unwrap(),
        "div" => x[0].div(&x[1]).unwrap(),
        "neg" => x[0].neg(),
        "exp" => x[0].exp(),
        "log" => x[0].log(),
        "sqrt" => x[0].sqrt(),
        "tanh" => x[0].tanh(),
        "sigmoid" => x[0].sigmoid(),
        "relu" => x[0].relu(),
        "gelu" => x[0].gelu(),
        "pow" => x[0].powf(args["p"].as_f64().unwrap() as f32),
        "matmul" => x[0].matmul(&x[1]).unwrap(),
        "sum" => x[0].sum_dims(&isizes(&args["dims"]), keep()).unwrap(),
        "mean" => x[0].mean_dims(&isizes(&args["dims"]), keep()).unwrap(),
        "max" => x[0]
            .max_dim(args["dim"].as_i64().unwrap() as isize, keep())
            .unwrap(),
        "softmax" => x[0]
            .softmax(args["dim"].as_i64().unwrap() as isize)
            .unwrap(),
        "log_softmax" => x[0]
            .log_softmax(args["dim"].as_i64().unwrap() as isize)
            .unwrap(),
        "cross_entropy" => {
            let t: Vec<i64> = args["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            x[0].cross_entropy(&t, args["ignore_index"].as_i64())
                .unwrap()
        }
        "embedding" => x[0]
            .embedding(&usizes(&args["ids"]), &usizes(&args["ids_shape"]))
            .unwrap(),
        "reshape" => x[0].reshape(&usizes(&args["shape"])).unwrap(),
        "transpose" => x[0]
            .transpose(
                args["d0"].as_i64().unwrap() as isize,
                args["d1"].as_i64().unwrap() as isize,
            )
            .unwrap(),
        "permute" => x[0].permute(&usizes(&args["dims"])).unwrap(),
        "cat" | "stack" => {
            let refs: Vec<&Tensor> = x.iter().collect();
            let dim = args["dim"].as_i64().unwrap();
            if op == "cat" {
                Tensor::cat(&refs, dim as isize).unwrap()
            } else {
                Tensor::stack(&refs, dim as isize).unwrap()
            }
        }
        "index_select" => x[0]
            .index_select(
                args["dim"].as_i64().unwrap() as isize,
                &usizes(&args["ids"]),
            )
            .unwrap(),
        "gather" => x[0]
            .gather(
                args["dim"].as_i64().unwrap() as isize,
                &usizes(&args["index"]),
                &usizes(&args["index_shape"]),
            )
            .unwrap(),
        "masked_fill" => {
            let mask =
                Array::from_vec(floats(&args["mask"]), &usizes(&args["mask_shape"])).unwrap();
            x[0].masked_fill(&mask, args["value"].as_f64().unwrap() as f32)
                .unwrap()
        }
        "einsum" => {
            let refs: Vec<&Tensor> = x.iter().collect();
            towel_autograd::einsum::einsum(args["spec"].as_str().unwrap(), &refs).unwrap()
        }
        other => panic!("no op {other}"),
    }
}

/// `|got − want| ≤ 1e-5·|want| + 1e-5·scale`, with `scale` the largest
/// magnitude in the expected tensor: f32 sums in another order (matmul,
/// reductions) differ by rounding relative to the operands, not to a
/// result that happens to cancel to near zero.
fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok =
            g == w || (g - w).abs() <= 1e-5 * w.abs() + 1e-5 * scale || (g.is_nan() && w.is_nan());
        assert!(ok, "{what}[{i}]: towel {g} vs PyTorch {w}");
    }
}

/// Replay one fixture case: the output's shape and values, then the
/// gradients after `backward_with` the case's upstream gradient.
fn check_case(n: usize, case: &Value) {
    let op = case["op"].as_str().unwrap();
    let inputs: Vec<Tensor> = case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Tensor::new(input(v)).requires_grad())
        .collect();
    let what = format!("case {n} ({op} {})", case["args"]);
    let out = apply(op, &case["args"], &inputs);
    assert_eq!(
        out.shape(),
        &usizes(&case["out"]["shape"])[..],
        "{what}: shape"
    );
    assert_close(
        &format!("{what} output"),
        &out.to_vec(),
        &floats(&case["out"]["data"]),
    );
    let up = Array::from_vec(floats(&case["upstream"]), out.shape()).unwrap();
    out.backward_with(up).unwrap();
    for (k, (t, want)) in inputs
        .iter()
        .zip(case["grads"].as_array().unwrap())
        .enumerate()
    {
        let g = t.grad().expect("a gradient");
        assert_eq!(g.shape(), t.shape(), "{what}: grad {k} shape");
        assert_close(&format!("{what} grad {k}"), &g.to_vec(), &floats(want));
    }
}

#[test]
fn every_op_equals_pytorch() {
    let fx: Value = serde_json::from_str(include_str!("fixtures/torch_ops.json")).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    let mut ops = std::collections::BTreeSet::new();
    for (n, case) in cases.iter().enumerate() {
        ops.insert(case["op"].as_str().unwrap());
        check_case(n, case);
    }
    assert_eq!(ops.len(), 30, "{ops:?}");
}

#[test]
fn edge_cases_equal_pytorch() {
    let fx: Value = serde_json::from_str(include_str!("fixtures/torch_edge.json")).unwrap();
    for (n, case) in fx["cases"].as_array().unwrap().iter().enumerate() {
        check_case(n, case);
    }
}

/// Each dimension-taking op on a 0-d tensor, as a function of the dim
/// (`None` when the dim cannot be written in towel's signature: an
/// unsigned dim given a negative one). The names are the keys of
/// `zero_d_dims` in `torch_edge.json`, where `gen_torch_edge.py` wrote
/// the dims PyTorch accepts for the same call.
type DimOp = fn(isize) -> Option<towel_autograd::Result<Vec<usize>>>;

fn zero_d_ops() -> Vec<(&'static str, DimOp)> {
    fn z() -> Tensor {
        Tensor::scalar(3.0)
    }
    fn shape(t: towel_autograd::Result<Tensor>) -> towel_autograd::Result<Vec<usize>> {
        t.map(|t| t.shape().to_vec())
    }
    fn unsigned(d: isize) -> Option<usize> {
        usize::try_from(d).ok()
    }
    vec![
        ("sum_dims", |d| Some(shape(z().sum_dims(&[d], false)))),
        ("sum_dims_keepdim", |d| {
            Some(shape(z().sum_dims(&[d], true)))
        }),
        ("mean_dims", |d| Some(shape(z().mean_dims(&[d], false)))),
        ("mean_dims_keepdim", |d| {
            Some(shape(z().mean_dims(&[d], true)))
        }),
        ("max_dim", |d| Some(shape(z().max_dim(d, false)))),
        ("max_dim_keepdim", |d| Some(shape(z().max_dim(d, true)))),
        ("softmax", |d| Some(shape(z().softmax(d)))),
        ("log_softmax", |d| Some(shape(z().log_softmax(d)))),
        ("cat", |d| Some(shape(Tensor::cat(&[&z(), &z()], d)))),
        ("stack", |d| Some(shape(Tensor::stack(&[&z(), &z()], d)))),
        ("index_select", |d| Some(shape(z().index_select(d, &[0])))),
        ("gather", |d| Some(shape(z().gather(d, &[0], &[])))),
        ("transpose_d_0", |d| Some(shape(z().transpose(d, 0)))),
        ("transpose_0_d", |d| Some(shape(z().transpose(0, d)))),
        ("transpose_d_d", |d| Some(shape(z().transpose(d, d)))),
        ("narrow", |d| {
            Some(z().data().narrow(d, 0, 1).map(|a| a.shape().to_vec()))
        }),
        ("unsqueeze", |d| {
            Some(z().data().unsqueeze(d).map(|a| a.shape().to_vec()))
        }),
        ("permute", |d| Some(shape(z().permute(&[unsigned(d)?])))),
        ("diagonal_d_0", |d| {
            Some(shape(z().diagonal(unsigned(d)?, 0)))
        }),
        ("diagonal_0_d", |d| {
            Some(shape(z().diagonal(0, unsigned(d)?)))
        }),
    ]
}

#[test]
fn every_dim_taking_op_accepts_the_dims_pytorch_accepts_on_a_0d_tensor() {
    let fx: Value = serde_json::from_str(include_str!("fixtures/torch_edge.json")).unwrap();
    let table = fx["zero_d_dims"].as_object().unwrap();
    let ops = zero_d_ops();
    let names: std::collections::BTreeSet<&str> = ops.iter().map(|(n, _)| *n).collect();
    let keys: std::collections::BTreeSet<&str> = table.keys().map(String::as_str).collect();
    assert_eq!(
        names, keys,
        "towel's list and the fixture's must name the same ops"
    );
    for (name, op) in ops {
        let accepted = isizes(&table[name]);
        for d in -2..=1isize {
            let what = format!("{name} with dim {d} on a 0-d tensor");
            let got =
                std::panic::catch_unwind(|| op(d)).unwrap_or_else(|_| panic!("{what}: panicked"));
            match got {
                // Not expressible in towel (unsigned dim): PyTorch must refuse it too.
                None => assert!(!accepted.contains(&d), "{what}: PyTorch accepts it"),
                Some(Ok(shape)) => {
                    assert!(
                        accepted.contains(&d),
                        "{what}: PyTorch refuses it, towel gives {shape:?}"
                    );
                    // Ops over a dim give 0-d back; stack and unsqueeze add one.
                    let want: &[usize] = match name {
                        "stack" => &[2],
                        "unsqueeze" => &[1],
                        _ => &[],
                    };
                    assert_eq!(shape, want, "{what}: shape");
                }
                Some(Err(e)) => {
                    assert!(
                        !accepted.contains(&d),
                        "{what}: PyTorch accepts it, towel says {e}"
                    );
                    assert!(matches!(e, AutogradError::Invalid { .. }), "{what}: {e:?}");
                }
            }
        }
    }
}
