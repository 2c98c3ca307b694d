//! Python `str` arguments as `&str`, without copying them.
//!
//! PyO3's `PyBackedStr`, in an abi3 build for CPython 3.9, gets a string's
//! UTF-8 through `PyUnicode_AsUTF8String`, which makes a new `bytes` copy
//! on every call, and re-encodes a non-ASCII string each time: on the
//! SciFact text (7.8 MB, a few non-ASCII characters) that cost 8 ms a
//! call, a tenth of `encode_ordinary`'s time, under the GIL (so serial in
//! a batch too). [`Utf8Str`] asks for `PyUnicode_AsUTF8AndSize`, as
//! tiktoken (a version-specific build) does: an ASCII string's own bytes,
//! or the UTF-8 copy CPython keeps with a non-ASCII string, made on first
//! use and reused by every later call.

use std::ffi::c_char;
use std::ops::Deref;
use std::ptr::NonNull;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3::Borrowed;

extern "C" {
    // In the limited API from 3.10 on; CPython 3.9 exports it with the same
    // signature (declared in its non-limited headers), so the abi3-py39
    // wheel may call it. pyo3-ffi declares it only for 3.10+ builds.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 of a Python `str`, borrowed from the string it keeps alive.
pub(crate) struct Utf8Str {
    _owner: Py<PyString>,
    data: NonNull<str>,
}

// The bytes belong to an immutable `str` that `_owner` keeps alive; CPython
// never moves or frees them while the string lives.
unsafe impl Send for Utf8Str {}
unsafe impl Sync for Utf8Str {}

impl Deref for Utf8Str {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: see the Send impl.
        unsafe { self.data.as_ref() }
    }
}

impl FromPyObject<'_, '_> for Utf8Str {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        let s = obj.cast::<PyString>()?;
        let mut size: ffi::Py_ssize_t = 0;
        // SAFETY: `s` is a str; the result is null (with an exception set,
        // UnicodeEncodeError for a lone surrogate) or `size` valid bytes.
        let p = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
        let Some(p) = NonNull::new(p as *mut u8) else {
            return Err(PyErr::fetch(obj.py()));
        };
        // SAFETY: CPython's UTF-8 of a str without surrogates is valid UTF-8.
        let text = unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.as_ptr(), size as usize))
        };
        Ok(Utf8Str {
            _owner: s.to_owned().unbind(),
            data: NonNull::from(text),
        })
    }
}
