//! Layer behaviour beyond the PyTorch output fixtures: initialization
//! bounds, train/eval mode, bad input.

use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;
use towel_train::layers::{Activation, Dropout, Embedding, LayerNorm, Linear, Sequential};
use towel_train::module::Module;

#[test]
fn linear_init_is_pytorchs_uniform_bound() {
    let l = Linear::new(64, 128, true, &mut Rng::new(0));
    let bound = 1.0 / 8.0;
    for (name, a) in l.state_dict() {
        let v = a.to_vec();
        assert!(v.iter().all(|x| x.abs() <= bound), "{name}");
        // Spread over the interval, not clustered.
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(max > 0.9 * bound, "{name}: max {max}");
    }
    assert_eq!(
        l.describe(),
        "Linear(in_features=64, out_features=128, bias=True)"
    );
}

#[test]
fn dropout_is_active_in_train_mode_only() {
    let model = Sequential::new()
        .push(Dropout::new(0.5, 7).unwrap())
        .push(Activation::Relu);
    let x = Tensor::from_vec(vec![1.0; 1000], &[10, 100]).unwrap();
    let y = model.forward(&x).unwrap().to_vec();
    let zeros = y.iter().filter(|&&v| v == 0.0).count();
    assert!((400..600).contains(&zeros), "{zeros} of 1000 dropped");
    assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
    model.eval();
    assert_eq!(model.forward(&x).unwrap().to_vec(), x.to_vec());
    model.train();
    assert_ne!(model.forward(&x).unwrap().to_vec(), x.to_vec());
    assert!(Dropout::new(1.0, 0).is_err());
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let e = Embedding::new(5, 3, &mut Rng::new(0));
    for bad in [vec![0.5f32], vec![-1.0], vec![5.0]] {
        let x = Tensor::from_vec(bad.clone(), &[1]).unwrap();
        assert!(e.forward(&x).is_err(), "{bad:?}");
    }
    let ln = LayerNorm::new(4);
    let x = Tensor::from_vec(vec![1.0; 6], &[2, 3]).unwrap();
    let err = ln.forward(&x).unwrap_err().to_string();
    assert!(err.contains("does not end in 4"), "{err}");
    let l = Linear::new(3, 2, false, &mut Rng::new(0));
    assert!(l
        .forward(&Tensor::from_vec(vec![1.0; 4], &[1, 4]).unwrap())
        .is_err());
    assert_eq!(l.named_parameters().len(), 1);
}

#[test]
fn layernorm_normalizes_each_row() {
    let ln = LayerNorm::new(4);
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, -5.0, 0.0, 5.0, 10.0], &[2, 4]).unwrap();
    let y = ln.forward(&x).unwrap().to_vec();
    for row in y.chunks(4) {
        let mean: f32 = row.iter().sum::<f32>() / 4.0;
        let var: f32 = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-3, "{row:?}");
    }
}
