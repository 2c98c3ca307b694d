//! Checkpoints: PyTorch's safetensors into towel layers give PyTorch's
//! outputs; towel's safetensors into PyTorch give towel's outputs
//! (fixtures from `tests/fixtures/gen_torch.py`); bad checkpoints are
//! clear errors.

use serde_json::Value;
use towel_autograd::array::Array;
use towel_autograd::rng::Rng;
use towel_autograd::tensor::Tensor;
use towel_train::checkpoint;
use towel_train::layers::{Activation, Embedding, Flatten, LayerNorm, Linear, Sequential};
use towel_train::module::Module;
use towel_train::TrainError;

fn dir() -> String {
    format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{}/{name}", dir())).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// The fixtures' architecture: Embedding(11, 5), Flatten, Linear(15, 8),
/// LayerNorm(8), Tanh, Linear(8, 11).
fn lm_model(seed: u64) -> Sequential {
    let mut rng = Rng::new(seed);
    Sequential::new()
        .push(Embedding::new(11, 5, &mut rng))
        .push(Flatten)
        .push(Linear::new(15, 8, true, &mut rng))
        .push(LayerNorm::new(8))
        .push(Activation::Tanh)
        .push(Linear::new(8, 11, true, &mut rng))
}

fn ids(fx: &Value) -> Tensor {
    let v: Vec<f32> = fx["ids"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect();
    Tensor::from_vec(v, &[4, 3]).unwrap()
}

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
            "{what}[{i}]: towel {x} vs PyTorch {y}"
        );
    }
}

#[test]
fn pytorch_state_dict_gives_pytorch_outputs() {
    let bytes = std::fs::read(format!("{}/layers.safetensors", dir())).unwrap();
    let ck = checkpoint::from_bytes(&bytes).unwrap();
    let model = lm_model(5);
    model.load_state_dict(&ck.tensors).unwrap();
    let fx = fixture("layers.json");
    let x = ids(&fx);
    close(
        &model.forward(&x).unwrap().to_vec(),
        &floats(&fx["logits"]),
        "logits",
    );
    let mut h = x;
    for l in &model.layers()[..4] {
        h = l.forward(&h).unwrap();
    }
    close(
        &h.to_vec(),
        &floats(&fx["hidden_layernorm"]),
        "LayerNorm output",
    );
}

#[test]
fn checkpoint_written_by_towel_loads_in_pytorch() {
    let model = lm_model(42);
    let bytes = checkpoint::to_bytes(&model.state_dict(), &[]).unwrap();
    let path = format!("{}/towel_model.safetensors", dir());
    if std::env::var_os("TOWEL_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    // The committed file is what towel writes today, byte for byte...
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "towel's safetensors output changed: regenerate the fixtures"
    );
    // ...and PyTorch, loading it with safetensors.torch.load_file into the
    // same architecture (strict names and shapes), computes towel's outputs.
    let fx = fixture("towel_in_torch.json");
    let names: Vec<&str> = fx["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut ours: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    ours.sort();
    assert_eq!(names, ours);
    close(
        &model.forward(&ids(&fx)).unwrap().to_vec(),
        &floats(&fx["logits"]),
        "logits",
    );
}

#[test]
fn round_trip_keeps_values_and_metadata() {
    let a = lm_model(1);
    let meta = [
        ("task".to_string(), "charlm".to_string()),
        ("vocab".into(), "[\"a\"]".into()),
    ];
    let bytes = checkpoint::to_bytes(&a.state_dict(), &meta).unwrap();
    let ck = checkpoint::from_bytes(&bytes).unwrap();
    assert_eq!(ck.meta("task"), Some("charlm"));
    assert_eq!(ck.meta("vocab"), Some("[\"a\"]"));
    let b = lm_model(2);
    b.load_state_dict(&ck.tensors).unwrap();
    for ((n1, x), (n2, y)) in a.state_dict().iter().zip(b.state_dict().iter()) {
        assert_eq!(n1, n2);
        assert_eq!(x.to_vec(), y.to_vec(), "{n1}");
    }
}

/// The same model and metadata are the same bytes: the metadata used to be
/// written in a `HashMap`'s order, which changes with every map.
#[test]
fn the_same_checkpoint_is_the_same_bytes() {
    let a = lm_model(1);
    let meta: Vec<(String, String)> = (0..12)
        .map(|i| (format!("towel.key{i}"), format!("value {i}")))
        .collect();
    let first = checkpoint::to_bytes(&a.state_dict(), &meta).unwrap();
    for _ in 0..8 {
        let mut shuffled = meta.clone();
        shuffled.reverse();
        assert_eq!(
            checkpoint::to_bytes(&a.state_dict(), &shuffled).unwrap(),
            first
        );
    }
    let ck = checkpoint::from_bytes(&first).unwrap();
    assert_eq!(ck.meta("towel.key7"), Some("value 7"));
    assert_eq!(ck.tensors.len(), a.state_dict().len());
}

#[test]
fn mismatched_checkpoints_name_every_problem_and_change_nothing() {
    let a = lm_model(1);
    let mut state = a.state_dict();
    state.retain(|(n, _)| n != "3.bias"); // missing
    state.push(("9.weight".into(), state[0].1.clone())); // unexpected
    let i = state.iter().position(|(n, _)| n == "5.weight").unwrap();
    state[i].1 = state[i].1.reshape(&[88]).unwrap(); // wrong shape
    let b = lm_model(2);
    let before = b.state_dict()[0].1.to_vec();
    let err = b.load_state_dict(&state).unwrap_err();
    assert!(matches!(err, TrainError::CheckpointMismatch { .. }));
    let msg = err.to_string();
    for part in [
        "missing 3.bias",
        "unexpected 9.weight",
        "5.weight has shape [88] in the checkpoint but [11, 8] in the model",
    ] {
        assert!(msg.contains(part), "{msg}");
    }
    assert_eq!(
        b.state_dict()[0].1.to_vec(),
        before,
        "a failed load changed the model"
    );
}

#[test]
fn malformed_files_are_format_errors() {
    for bytes in [
        &b""[..],
        b"not a checkpoint at all",
        &[8, 0, 0, 0, 0, 0, 0, 0, b'{', b'}'],
    ] {
        let err = checkpoint::from_bytes(bytes).unwrap_err();
        assert!(matches!(err, TrainError::Format(_)), "{err}");
    }
    let good = checkpoint::to_bytes(&lm_model(1).state_dict(), &[]).unwrap();
    let err = checkpoint::from_bytes(&good[..good.len() - 3]).unwrap_err();
    assert!(matches!(err, TrainError::Format(_)), "{err}");
}

#[test]
fn non_finite_weights_are_refused_on_load() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut values = vec![0.5f32; 6];
        values[4] = bad;
        let a = Array::from_vec(values, &[2, 3]).unwrap();
        let bytes = checkpoint::to_bytes(&[("w".into(), a)], &[]).unwrap();
        let err = checkpoint::from_bytes(&bytes).unwrap_err();
        assert!(
            matches!(&err, TrainError::NonFiniteWeight { tensor, index: 4, .. } if tensor == "w"),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("tensor w holds {bad} at element 4;")),
            "{err}"
        );
    }
}
