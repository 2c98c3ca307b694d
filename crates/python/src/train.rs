//! `towel.train_bpe`: byte-level BPE training (`towel-tokenizer`'s trainer)
//! from Python, with the files `towel bpe train` writes.

use std::path::PathBuf;

use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use towel_tokenizer::train::{export, BpeTrainer};
use towel_tokenizer::{Builtin, Format, Pattern, Rank, TokenizerError};

use crate::core::CoreBpe;

fn err(e: TokenizerError) -> PyErr {
    match &e {
        TokenizerError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(e.to_string())
        }
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The trained tokenizer: `(encoder, token bytes by rank, special tokens,
/// pattern source)`.
type Trained<'py> = (
    CoreBpe,
    Vec<Bound<'py, PyBytes>>,
    Vec<(String, Rank)>,
    String,
);

/// Train on `texts` or `files`; write each `(path, format)` of `outputs`.
#[pyfunction]
#[pyo3(signature = (texts, files, vocab_size, pattern, special_tokens, min_frequency, outputs))]
#[allow(clippy::too_many_arguments)]
pub fn train_bpe<'py>(
    py: Python<'py>,
    texts: Option<Vec<String>>,
    files: Option<Vec<PathBuf>>,
    vocab_size: u32,
    pattern: &str,
    special_tokens: Vec<String>,
    min_frequency: u64,
    outputs: Vec<(PathBuf, String)>,
) -> PyResult<Trained<'py>> {
    let pattern = match Builtin::from_name(pattern) {
        Some(b) => Pattern::builtin(b),
        None => Pattern::new(pattern).map_err(err)?,
    };
    let outputs: Vec<(PathBuf, Format)> = outputs
        .into_iter()
        .map(|(p, f)| {
            Format::from_name(&f)
                .filter(|f| *f != Format::Gpt2)
                .map(|f| (p, f))
                .ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "unknown output format {f:?}: use tiktoken, hf or towel"
                    ))
                })
        })
        .collect::<PyResult<_>>()?;
    let trainer = BpeTrainer::new(vocab_size)
        .pattern(pattern)
        .special_tokens(special_tokens)
        .min_frequency(min_frequency);
    let (bpe, enc) = py
        .detach(|| {
            let bpe = match (texts, files) {
                (Some(t), None) => trainer.train_texts(t)?,
                (None, Some(f)) => trainer.train_files(&f, &mut |_| {})?,
                _ => {
                    return Err(TokenizerError::Config(
                        "give either texts or files to train on".into(),
                    ))
                }
            };
            for (path, format) in &outputs {
                export::write(&bpe, *format, path)?;
            }
            let enc = bpe.encoder()?;
            Ok((bpe, enc))
        })
        .map_err(err)?;
    let ranks = bpe.ranks.iter().map(|b| PyBytes::new(py, b)).collect();
    Ok((
        CoreBpe::wrap(enc)?,
        ranks,
        bpe.special_tokens.clone(),
        bpe.pattern.clone(),
    ))
}
