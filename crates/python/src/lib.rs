//! # towel-python: the `towel` Python package
//!
//! The native part (`towel._towel`) of the Python package whose tokenizer
//! API is tiktoken's: `import towel as tiktoken` runs code written for
//! tiktoken 0.14. The Python layer (`python/towel/`) keeps tiktoken's
//! argument handling, errors and registry; this crate does the work:
//!
//! - `CoreBpe` (`core.rs`) as tiktoken's `_tiktoken.CoreBPE` (same methods, same
//!   exceptions), every encode and decode with the GIL released, batches on
//!   Rust threads (the calling thread and a rayon pool of `num_threads - 1`,
//!   the calling thread building the result lists while the others encode);
//!   `str` arguments are read in place (`text.rs`), not copied;
//! - the named encodings built from the verified vocabulary files;
//! - `count`, BPE training, and the BM25 / TF-IDF index of `towel-retrieval`.
//!
//! Build the wheel with maturin (`pyproject.toml` beside this file):
//!
//! ```sh
//! maturin build --release -m crates/python/Cargo.toml
//! ```
//!
//! ## Dependencies, and why
//! - `pyo3`: the Python bindings (abi3: one wheel for CPython 3.9+);
//!   maturin packs it with the Python files into the wheel.
//! - `rayon`: thread pools for the batch methods' `num_threads`.
//! - `aho-corasick`: finds disallowed special tokens before counting.
//! - `serde_json`: hands `Retriever::explain`'s `Explanation` to Python with
//!   the same field names as `towel search --explain --json`, from its one
//!   `Serialize` definition.
//! - `towel-tokenizer`, `towel-retrieval`, `towel-data`: the work itself.

mod core;
mod errors;
mod lists;
mod retrieval;
mod text;
mod train;

use pyo3::exceptions::{PyFileNotFoundError, PyKeyError, PyValueError};
use pyo3::prelude::*;
use towel_data::{registry, DataDirs, DataError};

/// `(path inside the data folder, sha256, url or None)` of a registry file.
#[pyfunction]
fn data_file_info(name: &str) -> PyResult<(String, String, Option<String>)> {
    let f = registry::by_name(name)
        .ok_or_else(|| PyKeyError::new_err(format!("unknown data file {name:?}")))?;
    Ok((
        f.path.to_string(),
        f.sha256.to_string(),
        f.url.map(str::to_string),
    ))
}

/// The bytes of a registry file from `$TOWEL_DATA_DIR` or towel's cache,
/// sha256-verified (as the `towel` command finds them).
#[pyfunction]
fn read_data<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let file = registry::by_name(name)
        .ok_or_else(|| PyKeyError::new_err(format!("unknown data file {name:?}")))?;
    let bytes = py
        .detach(|| DataDirs::from_env().read(file))
        .map_err(data_err)?;
    Ok(pyo3::types::PyBytes::new(py, &bytes))
}

/// The folder towel's downloads go to (`$TOWEL_CACHE_DIR`, else the
/// platform cache folder + `towel`).
#[pyfunction]
fn cache_dir() -> Option<String> {
    DataDirs::from_env()
        .cache_dir
        .map(|p| p.to_string_lossy().into_owned())
}

/// A data-file error as a Python exception: not found is
/// `FileNotFoundError`, a wrong sha256 or an unknown name `ValueError`, and
/// the rest (unreadable files, I/O errors) go through the extras' mapping,
/// which keeps the cause (`Permission denied`, ...) and picks the `OSError`
/// subclass Python's `open` would raise.
pub(crate) fn data_err(e: DataError) -> PyErr {
    match e {
        DataError::NotFound { .. } => PyFileNotFoundError::new_err(e.to_string()),
        DataError::Mismatch { .. } | DataError::Unknown(_) => PyValueError::new_err(e.to_string()),
        _ => errors::extra_err(&e),
    }
}

#[pymodule]
fn _towel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<core::CoreBpe>()?;
    m.add_class::<retrieval::Index>()?;
    m.add_function(wrap_pyfunction!(data_file_info, m)?)?;
    m.add_function(wrap_pyfunction!(read_data, m)?)?;
    m.add_function(wrap_pyfunction!(cache_dir, m)?)?;
    m.add_function(wrap_pyfunction!(core::load_builtin, m)?)?;
    m.add_function(wrap_pyfunction!(core::parse_tiktoken_bpe, m)?)?;
    m.add_function(wrap_pyfunction!(train::train_bpe, m)?)?;
    m.add_function(wrap_pyfunction!(lists::fast_paths, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
