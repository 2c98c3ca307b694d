//! The one mapping from the extras' Rust errors (`RetrievalError`,
//! `TokenizerError`, `DataError`) to Python exceptions, for `BM25` / `TfIdf`
//! and `train_bpe`.
//!
//! - **Message:** the whole chain of causes on one line, as the `towel`
//!   command prints it (`{:#}`): `cannot read X: Permission denied (os
//!   error 13)`, not `cannot read X`. The CLI's flags in hints become the
//!   Python keywords (`--force` is `force=True`, `--lossy` is `lossy=True`).
//! - **Type:** an operating-system error is the `OSError` subclass Python's
//!   own `open` raises for it (`FileNotFoundError`, `PermissionError`,
//!   `IsADirectoryError`, `NotADirectoryError`, else `OSError`); refusing to
//!   replace an existing file of another kind is `FileExistsError`; an
//!   output that is an input (or two outputs that are one file) is a
//!   `ValueError`, as are the format and validation errors.

use std::error::Error;
use std::io;
use std::path::Path;

use pyo3::exceptions::{
    PyFileExistsError, PyFileNotFoundError, PyIsADirectoryError, PyNotADirectoryError, PyOSError,
    PyPermissionError, PyValueError,
};
use pyo3::PyErr;
use towel_data::DataError;
use towel_retrieval::RetrievalError;
use towel_tokenizer::TokenizerError;

/// Which Python exception an error becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exc {
    NotFound,
    Permission,
    IsADir,
    NotADir,
    Exists,
    Os,
    Value,
}

/// A Python exception for an error of the extras, with its whole chain of
/// causes in the message.
pub(crate) fn extra_err(e: &(dyn Error + 'static)) -> PyErr {
    extra_err_hint(e, None)
}

/// [`extra_err`], with `; {hint}` after the message when there is one.
pub(crate) fn extra_err_hint(e: &(dyn Error + 'static), hint: Option<&str>) -> PyErr {
    let mut msg = message(e);
    if let Some(hint) = hint {
        msg.push_str("; ");
        msg.push_str(hint);
    }
    match exc(e) {
        Exc::NotFound => PyFileNotFoundError::new_err(msg),
        Exc::Permission => PyPermissionError::new_err(msg),
        Exc::IsADir => PyIsADirectoryError::new_err(msg),
        Exc::NotADir => PyNotADirectoryError::new_err(msg),
        Exc::Exists => PyFileExistsError::new_err(msg),
        Exc::Os => PyOSError::new_err(msg),
        Exc::Value => PyValueError::new_err(msg),
    }
}

/// `e` and each of its sources, joined with `": "` (anyhow's `{:#}`), on
/// one line, with the CLI's flags named as this package's keywords.
fn message(e: &(dyn Error + 'static)) -> String {
    towel_data::error_chain(e)
        .replace('\n', " ")
        .replace("pass --force to", "pass force=True to")
        .replace("pass --lossy to", "pass lossy=True to")
}

fn exc(e: &(dyn Error + 'static)) -> Exc {
    if let Some(r) = e.downcast_ref::<RetrievalError>() {
        return match r {
            RetrievalError::Io { path, source } => io_exc(source, path),
            RetrievalError::Data(d) => data_exc(d),
            _ => Exc::Value,
        };
    }
    if let Some(t) = e.downcast_ref::<TokenizerError>() {
        return match t {
            TokenizerError::Io { path, source, .. } => io_exc(source, path),
            TokenizerError::Data(d) => data_exc(d),
            _ => Exc::Value,
        };
    }
    if let Some(d) = e.downcast_ref::<DataError>() {
        return data_exc(d);
    }
    if let Some(io) = e.downcast_ref::<io::Error>() {
        return io_exc(io, Path::new(""));
    }
    Exc::Value
}

fn data_exc(d: &DataError) -> Exc {
    match d {
        DataError::Io { path, source } => io_exc(source, path),
        DataError::WrongKind { .. } => Exc::Exists,
        DataError::OutputIsInput { .. } | DataError::SameOutput { .. } => Exc::Value,
        DataError::ReadOnly { .. } => Exc::Permission,
        DataError::NotAFile { path } if path.is_dir() => Exc::IsADir,
        DataError::NotAFolder { .. } => Exc::NotADir,
        DataError::NotFound { .. } => Exc::NotFound,
        DataError::Mismatch { .. } | DataError::Unknown(_) => Exc::Value,
        _ => Exc::Os,
    }
}

/// The `OSError` subclass Python gives for `e` on `path` (a folder where a
/// file is wanted is `IsADirectoryError`, whatever the OS called it).
fn io_exc(e: &io::Error, path: &Path) -> Exc {
    match e.kind() {
        io::ErrorKind::NotFound => Exc::NotFound,
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => Exc::Permission,
        io::ErrorKind::IsADirectory => Exc::IsADir,
        io::ErrorKind::NotADirectory => Exc::NotADir,
        io::ErrorKind::AlreadyExists => Exc::Exists,
        _ if !path.as_os_str().is_empty() && path.is_dir() => Exc::IsADir,
        _ => Exc::Os,
    }
}
