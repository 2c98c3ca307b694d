//! Checkpoints as safetensors: the format PyTorch, Hugging Face and
//! `safetensors.torch.load_file` read.
//!
//! A checkpoint is a module's [`state_dict`](crate::module::Module::state_dict)
//! (PyTorch-style names, float32, little-endian, row-major) plus string
//! metadata (the safetensors header's `__metadata__`), which towel uses to
//! record what is needed to rebuild the model (task, vocabulary, sizes).
//! Loading checks every tensor against the model and names each missing,
//! unexpected or mis-shaped one.
//!
//! ```
//! use towel_autograd::rng::Rng;
//! use towel_train::{checkpoint, layers::{mlp, Activation}, module::Module};
//! let a = mlp(&[3, 4, 2], Activation::Tanh, &mut Rng::new(1));
//! let bytes = checkpoint::to_bytes(&a.state_dict(), &[("task".into(), "demo".into())]).unwrap();
//! let b = mlp(&[3, 4, 2], Activation::Tanh, &mut Rng::new(2));
//! let ck = checkpoint::from_bytes(&bytes).unwrap();
//! b.load_state_dict(&ck.tensors).unwrap();
//! assert_eq!(a.state_dict()[0].1.to_vec(), b.state_dict()[0].1.to_vec());
//! assert_eq!(ck.meta("task"), Some("demo"));
//! // The wrong architecture is an error naming the tensors.
//! let c = mlp(&[3, 5, 2], Activation::Tanh, &mut Rng::new(3));
//! let err = c.load_state_dict(&ck.tensors).unwrap_err().to_string();
//! assert!(err.contains("0.weight has shape [4, 3] in the checkpoint but [5, 3] in the model"), "{err}");
//! ```

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use towel_autograd::array::Array;

use crate::error::{Result, TrainError};

/// The tensors and metadata of a checkpoint.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Tensors by name, in the file's order (sorted by name).
    pub tensors: Vec<(String, Array)>,
    /// The `__metadata__` strings.
    pub metadata: HashMap<String, String>,
}

impl Checkpoint {
    /// A metadata value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// A tensor by name.
    pub fn tensor(&self, name: &str) -> Option<&Array> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// Serialize named f32 tensors and metadata to safetensors bytes.
pub fn to_bytes(tensors: &[(String, Array)], metadata: &[(String, String)]) -> Result<Vec<u8>> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, a)| {
            let b: Vec<u8> = a.to_vec().iter().flat_map(|v| v.to_le_bytes()).collect();
            (n.clone(), a.shape().to_vec(), b)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(n, s, b)| {
            TensorView::new(Dtype::F32, s.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| TrainError::Format(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta: HashMap<String, String> = metadata.iter().cloned().collect();
    let bytes = safetensors::serialize(views, (!meta.is_empty()).then_some(meta))
        .map_err(|e| TrainError::Format(e.to_string()))?;
    Ok(sorted_header(bytes))
}

/// The same safetensors bytes with the metadata's keys in sorted order.
/// `safetensors::serialize` writes the metadata first, in a `HashMap`'s
/// order, which changes from one map to the next, so two identical runs
/// wrote different files; sorted, the same model is the same bytes. Only
/// the metadata object is rewritten: the same entries reordered are the
/// same length, so the rest of the header and the tensors' offsets stay as
/// they are (anything unexpected keeps the bytes as they were).
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    const PREFIX: &[u8] = b"{\"__metadata__\":";
    let start = 8 + PREFIX.len();
    if bytes.get(8..start) != Some(PREFIX) {
        return bytes;
    }
    let mut values = serde_json::Deserializer::from_slice(&bytes[start..])
        .into_iter::<std::collections::BTreeMap<String, String>>();
    let Some(Ok(meta)) = values.next() else {
        return bytes;
    };
    let end = start + values.byte_offset();
    match serde_json::to_vec(&meta) {
        Ok(json) if json.len() == end - start => bytes[start..end].copy_from_slice(&json),
        _ => {}
    }
    bytes
}

/// Parse safetensors bytes (float32 tensors only). A NaN or infinite
/// value is an error ([`TrainError::NonFiniteWeight`]): a model loaded from
/// it would run without complaint and compute nothing but NaN.
pub fn from_bytes(bytes: &[u8]) -> Result<Checkpoint> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| TrainError::Format(e.to_string()))?;
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| TrainError::Format(e.to_string()))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let mut tensors = Vec::new();
    let mut named = st.tensors();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, view) in named {
        if view.dtype() != Dtype::F32 {
            return Err(TrainError::Format(format!(
                "tensor {name} is {:?}; towel reads float32 checkpoints (convert with .float() before saving)",
                view.dtype()
            )));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::NonFiniteWeight {
                tensor: name,
                index,
                value: values[index],
            });
        }
        let a = Array::from_vec(values, view.shape())
            .map_err(|e| TrainError::Format(format!("tensor {name}: {e}")))?;
        tensors.push((name, a));
    }
    Ok(Checkpoint { tensors, metadata })
}
