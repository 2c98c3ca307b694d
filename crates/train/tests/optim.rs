//! Optimizer trajectories, clip_grad_norm and schedules against PyTorch
//! 2.15 (fixtures from `tests/fixtures/gen_torch.py`).

use serde_json::Value;
use towel_autograd::array::Array;
use towel_autograd::tensor::Tensor;
use towel_train::optim::{clip_grad_norm, Adam, Optimizer, Sgd};
use towel_train::param::Parameter;
use towel_train::schedule::Schedule;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: towel {x} vs PyTorch {y}"
        );
    }
}

fn build(case: &Value, params: Vec<Parameter>) -> Box<dyn Optimizer> {
    let kw = &case["kwargs"];
    let f = |k: &str, d: f64| kw.get(k).and_then(Value::as_f64).unwrap_or(d);
    let lr = f("lr", 1e-3);
    match case["optimizer"].as_str().unwrap() {
        "SGD" => Box::new(
            Sgd::new(params, lr)
                .momentum(f("momentum", 0.0) as f32)
                .dampening(f("dampening", 0.0) as f32)
                .weight_decay(f("weight_decay", 0.0) as f32)
                .nesterov(kw.get("nesterov").and_then(Value::as_bool).unwrap_or(false))
                .unwrap(),
        ),
        name => {
            let betas = kw.get("betas").map(floats).unwrap_or(vec![0.9, 0.999]);
            let base = if name == "Adam" {
                Adam::new(params, lr)
            } else {
                Adam::adamw(params, lr)
            };
            let wd_default = if name == "Adam" { 0.0 } else { 0.01 };
            Box::new(
                base.betas(betas[0] as f64, betas[1] as f64)
                    .eps(f("eps", 1e-8))
                    .weight_decay(f("weight_decay", wd_default)),
            )
        }
    }
}

#[test]
fn trajectories_equal_pytorch_for_25_steps() {
    let fx = fixture("optim.json");
    let x = Tensor::from_vec(floats(&fx["x"]), &[6, 3]).unwrap();
    let y = Tensor::from_vec(floats(&fx["y"]), &[6, 4]).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let w = Parameter::new(Array::from_vec(floats(&fx["w0"]), &[4, 3]).unwrap());
        let b = Parameter::new(Array::from_vec(floats(&fx["b0"]), &[4]).unwrap());
        let mut opt = build(case, vec![w.clone(), b.clone()]);
        let clip = case["clip"].as_f64();
        let steps = case["w"].as_array().unwrap().len();
        assert!(steps >= 20);
        for s in 0..steps {
            opt.zero_grad();
            let h = x
                .matmul(&w.tensor().transpose(0, 1).unwrap())
                .unwrap()
                .add(&b.tensor())
                .unwrap()
                .tanh();
            let d = h.sub(&y).unwrap();
            let loss = d.mul(&d).unwrap().mean();
            let want_loss = case["losses"][s].as_f64().unwrap() as f32;
            close(
                &[loss.data().item().unwrap()],
                &[want_loss],
                2e-5,
                &format!("{name} loss {s}"),
            );
            loss.backward().unwrap();
            if let Some(c) = clip {
                let norm = clip_grad_norm(opt.params(), c as f32).unwrap();
                let want = case["norms"][s].as_f64().unwrap() as f32;
                close(&[norm], &[want], 2e-5, &format!("{name} norm {s}"));
            }
            opt.step().unwrap();
            close(
                &w.data().to_vec(),
                &floats(&case["w"][s]),
                2e-5,
                &format!("{name} w step {}", s + 1),
            );
            close(
                &b.data().to_vec(),
                &floats(&case["b"][s]),
                2e-5,
                &format!("{name} b step {}", s + 1),
            );
        }
    }
}

#[test]
fn clip_grad_norm_leaves_small_gradients_and_scales_large_ones() {
    let p = Parameter::new(Array::from_vec(vec![0.0; 2], &[2]).unwrap());
    p.set_grad(Array::from_vec(vec![3.0, 4.0], &[2]).unwrap())
        .unwrap();
    let n = clip_grad_norm(std::slice::from_ref(&p), 10.0).unwrap();
    assert_eq!(n, 5.0);
    assert_eq!(p.grad().unwrap().to_vec(), [3.0, 4.0]);
    let n = clip_grad_norm(std::slice::from_ref(&p), 1.0).unwrap();
    assert_eq!(n, 5.0);
    let g = p.grad().unwrap().to_vec();
    assert!(((g[0] * g[0] + g[1] * g[1]).sqrt() - 1.0).abs() < 1e-6);
}

#[test]
fn clip_grad_norm_with_a_non_finite_gradient_scales_all_as_pytorch() {
    // PyTorch multiplies every gradient by clamp(max_norm / (norm + 1e-6),
    // max=1): NaN for a NaN norm, 0 for an infinite one (and ∞·0 = NaN).
    // towel left the finite gradients unscaled.
    let clip = |vals: [f32; 4]| {
        let p = Parameter::new(Array::full(&[2], 0.0));
        let q = Parameter::new(Array::full(&[2], 0.0));
        p.set_grad(Array::from_vec(vals[..2].to_vec(), &[2]).unwrap())
            .unwrap();
        q.set_grad(Array::from_vec(vals[2..].to_vec(), &[2]).unwrap())
            .unwrap();
        let n = clip_grad_norm(&[p.clone(), q.clone()], 1.0).unwrap();
        let mut g = p.grad().unwrap().to_vec();
        g.extend(q.grad().unwrap().to_vec());
        (n, g)
    };
    let (n, g) = clip([f32::NAN, 1.0, 2.0, 3.0]);
    assert!(n.is_nan());
    assert!(g.iter().all(|v| v.is_nan()), "{g:?}");
    let (n, g) = clip([f32::INFINITY, 1.0, 2.0, 3.0]);
    assert_eq!(n, f32::INFINITY);
    assert!(g[0].is_nan());
    assert_eq!(g[1..], [0.0, 0.0, 0.0]);
}

#[test]
fn backward_after_set_is_an_error_not_a_missing_gradient() {
    // PyTorch: "one of the variables needed for gradient computation has
    // been modified by an inplace operation"; towel left p.grad() at None.
    let p = Parameter::new(Array::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap());
    let loss = p.tensor().mul(&p.tensor()).unwrap().sum();
    p.set(Array::from_vec(vec![0.0, 1.0, 2.0], &[3]).unwrap())
        .unwrap();
    let e = loss.backward().unwrap_err();
    assert_eq!(e, towel_autograd::AutogradError::LeafReplaced);
    assert!(p.grad().is_none());
    // The graph built after the step is the one to differentiate.
    p.tensor()
        .mul(&p.tensor())
        .unwrap()
        .sum()
        .backward()
        .unwrap();
    assert_eq!(p.grad().unwrap().to_vec(), [0.0, 2.0, 4.0]);
}

#[test]
fn gradients_accumulate_until_zero_grad_like_pytorch() {
    let p = Parameter::new(Array::from_vec(vec![1.0, 2.0], &[2]).unwrap());
    for _ in 0..2 {
        p.tensor().sum().backward().unwrap();
    }
    assert_eq!(p.grad().unwrap().to_vec(), [2.0, 2.0]);
    let mut opt = Sgd::new(vec![p.clone()], 0.5);
    opt.step().unwrap();
    assert_eq!(p.data().to_vec(), [0.0, 1.0]);
    p.tensor().sum().backward().unwrap(); // accumulates onto the kept gradient
    assert_eq!(p.grad().unwrap().to_vec(), [3.0, 3.0]);
    opt.zero_grad();
    assert!(p.grad().is_none());
}

#[test]
fn schedules_equal_pytorch() {
    let fx = fixture("schedules.json");
    let base = fx["base_lr"].as_f64().unwrap();
    let u = |v: &Value, k: &str| v[k].as_u64().unwrap() as usize;
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap();
    let w = &fx["warmup"];
    let c = &fx["cosine"];
    let wc = &fx["warmup_cosine"];
    let cases = [
        (
            Schedule::Warmup {
                steps: u(w, "steps"),
                start_factor: f(w, "start_factor"),
            },
            w,
        ),
        (
            Schedule::Cosine {
                t_max: u(c, "t_max"),
                eta_min: f(c, "eta_min"),
            },
            c,
        ),
        (
            Schedule::WarmupCosine {
                warmup: u(wc, "warmup"),
                total: u(wc, "total"),
                start_factor: f(wc, "start_factor"),
                eta_min: f(wc, "eta_min"),
            },
            wc,
        ),
    ];
    for (s, v) in cases {
        for (t, want) in v["lrs"].as_array().unwrap().iter().enumerate() {
            let want = want.as_f64().unwrap();
            let got = s.lr_at(base, t);
            assert!(
                (got - want).abs() < 1e-9,
                "{s:?} step {t}: {got} vs PyTorch {want}"
            );
        }
    }
}
