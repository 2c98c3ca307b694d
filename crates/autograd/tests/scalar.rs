//! The scalar engine against PyTorch and micrograd (fixtures written by
//! `tests/fixtures/gen_micrograd.py`), and micrograd's two-moons demo.

use towel_autograd::nn::{make_moons, train_moons, Mlp};
use towel_autograd::rng::Rng;
use towel_autograd::scalar::{Tape, Value};

fn fixture() -> serde_json::Value {
    let text = include_str!("fixtures/micrograd_sanity.json");
    serde_json::from_str(text).unwrap()
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap()
}

fn sanity<'t>(x: Value<'t>) -> Value<'t> {
    let z = 2.0 * x + 2.0 + x;
    let q = z.relu() + z * x;
    let h = (z * z).relu();
    h + q + q * x
}

fn more_ops<'t>(a: Value<'t>, b: Value<'t>) -> Value<'t> {
    let mut c = a + b;
    let mut d = a * b + b.pow(3.0);
    c = c + c + 1.0;
    c = c + 1.0 + c + (-a);
    d = d + d * 2.0 + (b + a).relu();
    d = d + 3.0 * d + (b - a).relu();
    let e = c - d;
    let f = e.pow(2.0);
    let mut g = f / 2.0;
    g = g + 10.0 / f;
    g
}

#[test]
fn sanity_check_equals_pytorch_and_micrograd() {
    let fx = fixture();
    let tape = Tape::new();
    let x = tape.var(-4.0);
    let y = sanity(x);
    y.backward();
    for who in ["pytorch", "micrograd"] {
        let want = &fx[format!("sanity_{who}")];
        assert_eq!(y.data(), num(&want["y"]), "{who}");
        assert_eq!(x.grad(), num(&want["x_grad"]), "{who}");
    }
}

#[test]
fn more_ops_equals_pytorch() {
    let fx = fixture();
    let tape = Tape::new();
    let (a, b) = (tape.var(-4.0), tape.var(2.0));
    let g = more_ops(a, b);
    g.backward();
    let got = [g.data(), a.grad(), b.grad()];
    for who in ["pytorch", "micrograd"] {
        let want = &fx[format!("more_ops_{who}")];
        let want = [num(&want["g"]), num(&want["a_grad"]), num(&want["b_grad"])];
        for (g, w) in got.iter().zip(want) {
            // micrograd's own tolerance; PyTorch agrees to the last bits.
            let tol = if who == "pytorch" { 1e-12 } else { 1e-6 };
            assert!((g - w).abs() <= tol * w.abs().max(1.0), "{who}: {g} vs {w}");
        }
    }
}

#[test]
fn mlp_learns_two_moons_like_the_demo() {
    let tape = Tape::new();
    let mut rng = Rng::new(1337);
    let (x, y) = make_moons(100, 0.1, &mut rng);
    let model = Mlp::new(&tape, 2, &[16, 16, 1], &mut rng);
    assert_eq!(model.parameters().len(), 337);
    let mark = tape.len();
    let history = train_moons(&model, &x, &y, 100);
    assert_eq!(tape.len(), mark, "each step's graph is freed");
    let (first_loss, _) = history[0];
    let (last_loss, last_acc) = history[99];
    assert!(last_loss < first_loss / 10.0, "{first_loss} -> {last_loss}");
    assert_eq!(last_acc, 1.0, "{history:?}");
}

#[test]
fn powers_at_base_zero_have_pytorchs_gradients() {
    // PyTorch (float64): d(x**0)/dx = 0 at x = 0 (not 0·0⁻¹ = NaN), and
    // d(x**y)/dy = 0 at x = 0, y ≥ 0 (not 0·ln 0 = NaN); the same cases
    // are in gen_torch_expr.py's fixtures for `towel grad`.
    let tape = Tape::new();
    let x = tape.var(0.0);
    x.pow(0.0).backward();
    assert_eq!(x.grad(), 0.0);
    for (yv, gx) in [(3.0, 0.0), (0.0, 0.0), (1.0, 1.0)] {
        let tape = Tape::new();
        let (x, y) = (tape.var(0.0), tape.var(yv));
        x.powv(y).backward();
        assert_eq!((x.grad(), y.grad()), (gx, 0.0), "y = {yv}");
    }
}
