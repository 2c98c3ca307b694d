//! `towel.train_bpe`: byte-level BPE training (`towel-tokenizer`'s trainer)
//! from Python, with the files `towel bpe train` writes, under its rules: an
//! output may not be an input, nor an existing file of another kind unless
//! forced; all outputs are written atomically, all or none.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use towel_data::WritePlan;
use towel_tokenizer::train::{export, BpeTrainer};
use towel_tokenizer::{format, Builtin, Format, Pattern, Rank, TokenizerError};

use crate::core::CoreBpe;
use crate::errors::extra_err;

fn err(e: TokenizerError) -> PyErr {
    extra_err(&e)
}

/// The trained tokenizer: `(encoder, token bytes by rank, special tokens,
/// pattern source)`.
type Trained<'py> = (
    CoreBpe,
    Vec<Bound<'py, PyBytes>>,
    Vec<(String, Rank)>,
    String,
);

/// Train on `texts` or `files`; write each `(path, format)` of `outputs`
/// (refusing an input, or another kind of file unless `force`). `lossy`:
/// invalid UTF-8 in `files` becomes U+FFFD instead of an error.
#[pyfunction]
#[pyo3(signature = (texts, files, vocab_size, pattern, special_tokens, min_frequency, outputs,
    *, force=false, lossy=false))]
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
    force: bool,
    lossy: bool,
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
        .min_frequency(min_frequency)
        .lossy(lossy);
    let plan = outputs
        .iter()
        .fold(WritePlan::new(), |plan, (path, _)| {
            plan.output(path, format::KIND)
        })
        .inputs(files.iter().flatten())
        .force(force);
    let (bpe, enc) = py
        .detach(|| {
            // Before the work, as `towel bpe train` does.
            trainer.validate()?;
            plan.check()?;
            let bpe = match (texts, files) {
                (Some(t), None) => trainer.train_texts(t)?,
                (None, Some(f)) => trainer.train_files(&f, &mut |_| {})?,
                _ => {
                    return Err(TokenizerError::Config(
                        "give either texts or files to train on".into(),
                    ))
                }
            };
            let rendered = outputs
                .iter()
                .map(|(_, format)| Ok(export::render(&bpe, *format)?.files.remove(0)))
                .collect::<Result<Vec<_>, TokenizerError>>()?;
            plan.write(&rendered.iter().map(Vec::as_slice).collect::<Vec<_>>())?;
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
