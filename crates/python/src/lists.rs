//! Python lists of token ids, both ways, through CPython's list layout.
//!
//! Going out, `CoreBpe::to_list` fills a new list's slots with references
//! to cached ints. Coming in, [`ids`] and [`id_batch`] read the arguments
//! of `decode_bytes` and `decode_bytes_batch`.
//!
//! Why not PyO3's `Vec<u32>` argument: it reads any sequence through the
//! iterator protocol (`PyObject_GetIter`, then `PyIter_Next`, a new
//! reference and a type check per item) and converts each item through
//! `__index__`. `decode_bytes_batch` reads its whole argument under the GIL
//! before any thread starts, so that reading is serial; on the o200k_base
//! ids of tiny shakespeare in 64 lists it was about 40 M of the call's
//! 58.4 M instructions (callgrind, CPython 3.11), so two threads could not
//! be much faster than one.
//!
//! What they do instead: an exact `list` whose items are all exact `int`s
//! in `0..=u32::MAX` (what `encode` returns, and what nearly every caller
//! passes) is read through the list's item array ([`ListLayout`], checked
//! once by [`direct_layout`]). The same call then took 34.3 M
//! instructions, of which about 14 M were the reading, and one thread
//! decoded in 8.7-9.6 ms instead of 14.2-16.2 ms (load average 3), with
//! each value read by a `PyLong_AsLong` call. Each value is now read from
//! the int's own digits instead ([`IntLayout`], which of CPython's two
//! layouts found once by [`int_layout`]; `PyLong_AsLong` where neither
//! holds): 27.0 M instructions a call against 34.0 M (callgrind, the same
//! call in one process that makes it twice and one that does not).
//!
//! Anything else (a tuple, a numpy array, a `bool` or an `int` subclass, a
//! negative or too large value, a list of something else) takes PyO3's path
//! from the start, so the accepted arguments, the values and the errors are
//! tiktoken's, which uses that path: the functions are called in the
//! method's body, so no "argument 'tokens':" is prefixed to a message, and
//! a non-sequence gets the wording of tiktoken's PyO3 ("is not an instance
//! of 'Sequence'"). `tests/test_vs_tiktoken.py` compares every form of
//! argument with tiktoken's outcome.

use std::ffi::c_long;
use std::sync::OnceLock;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use towel_tokenizer::{map_in_order, Rank};

/// A list object as CPython (3.9 to 3.14, with the GIL) lays it out: the
/// object header (reference count first), its length, the slots.
#[repr(C)]
pub(crate) struct ListLayout {
    ob_refcnt: ffi::Py_ssize_t,
    ob_type: *mut ffi::PyTypeObject,
    ob_size: ffi::Py_ssize_t,
    pub(crate) ob_item: *mut *mut ffi::PyObject,
    allocated: ffi::Py_ssize_t,
}

/// Whether this interpreter lays out lists and reference counts as
/// [`ListLayout`] says, checked once on a real list built through the API
/// (an abi3 module may not assume it): then `CoreBpe::to_list` fills lists
/// directly and [`ids`] reads them directly.
pub(crate) fn direct_layout() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        Python::attach(|_py| {
            // SAFETY: API calls on objects made here; the reads through
            // ListLayout stay inside a list object's fixed-size part.
            unsafe {
                let a = ffi::PyFloat_FromDouble(1.5);
                let b = ffi::PyFloat_FromDouble(2.5);
                let list = ffi::PyList_New(2);
                if a.is_null() || b.is_null() || list.is_null() {
                    ffi::PyErr_Clear();
                    for o in [a, b, list] {
                        if !o.is_null() {
                            ffi::Py_DecRef(o);
                        }
                    }
                    return false;
                }
                let before = *(a as *const ffi::Py_ssize_t);
                ffi::Py_IncRef(a);
                let counts = *(a as *const ffi::Py_ssize_t) == before + 1;
                ffi::Py_DecRef(a);
                ffi::PyList_SetItem(list, 0, a);
                ffi::PyList_SetItem(list, 1, b);
                let l = &*(list as *const ListLayout);
                let ok = counts
                    && l.ob_type == std::ptr::addr_of_mut!(ffi::PyList_Type)
                    && l.ob_size == 2
                    && l.allocated >= 2
                    && !l.ob_item.is_null()
                    && *l.ob_item == a
                    && *l.ob_item.add(1) == b;
                ffi::Py_DecRef(list);
                ok
            }
        })
    })
}

/// How this interpreter stores an `int`'s size, in the word after the
/// object header; its value follows as 30-bit digits, least significant
/// first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IntLayout {
    /// CPython 3.9 to 3.11: `ob_size`, the number of digits (negative for
    /// a negative int, 0 for zero).
    Sized,
    /// CPython 3.12 on: `lv_tag`, the number of digits shifted left by 3,
    /// with the sign in the low 2 bits (0 positive, 1 zero, 2 negative)
    /// and a flag in bit 2 (3.14 marks the small ints with it).
    Tagged,
}

/// An `int` object as both layouts begin: the header, the size word, the
/// first two digits (only as many are read as the size says).
#[repr(C)]
struct IntHead {
    ob_refcnt: ffi::Py_ssize_t,
    ob_type: *mut ffi::PyTypeObject,
    size: usize,
    digits: [u32; 2],
}

impl IntLayout {
    /// The value of the exact int `o` if it is an id (`0..=u32::MAX`).
    ///
    /// # Safety
    /// `o` is a live exact `int` laid out as `self` says, and cannot change
    /// while this runs (the GIL is held, by this thread or by one that
    /// waits for it without running Python code: see [`id_batch_on`]).
    #[inline(always)]
    unsafe fn id(self, o: *const IntHead) -> Option<Rank> {
        let size = (*o).size;
        let n = match self {
            IntLayout::Sized => size as isize,
            IntLayout::Tagged => match size & 3 {
                0 => (size >> 3) as isize,
                1 => 0,
                _ => -1,
            },
        };
        let d = std::ptr::addr_of!((*o).digits) as *const u32;
        match n {
            0 => Some(0),
            1 => Some(*d),
            2 => Rank::try_from(*d as u64 | (*d.add(1) as u64) << 30).ok(),
            _ => None,
        }
    }
}

/// Which [`IntLayout`] this interpreter uses, found once by reading ints
/// made through the API whose values are known (an abi3 module may not
/// assume either): `None` when neither reads all of them right (another
/// digit size, another implementation), and then ints are read through
/// `PyLong_AsLong`.
fn int_layout() -> Option<IntLayout> {
    static LAYOUT: OnceLock<Option<IntLayout>> = OnceLock::new();
    *LAYOUT.get_or_init(|| {
        if !direct_layout() {
            return None;
        }
        Python::attach(|_py| {
            let probes: [(i64, Option<Rank>); 12] = [
                (0, Some(0)),
                (1, Some(1)),
                (7, Some(7)),
                (255, Some(255)),
                ((1 << 30) - 1, Some((1 << 30) - 1)),
                (1 << 30, Some(1 << 30)),
                ((1 << 30) + 5, Some((1 << 30) + 5)),
                (200_019, Some(200_019)),
                (u32::MAX as i64, Some(u32::MAX)),
                (1 << 32, None),
                (-1, None),
                (-((1 << 30) + 5), None),
            ];
            // SAFETY: each object is made here, checked to be an exact
            // int, read within its first two digits only where its size
            // word says it has them, and released.
            unsafe {
                let objects: Vec<*mut ffi::PyObject> = probes
                    .iter()
                    .map(|&(v, _)| ffi::PyLong_FromLongLong(v))
                    .collect();
                let found = [IntLayout::Sized, IntLayout::Tagged]
                    .into_iter()
                    .find(|&l| {
                        objects.iter().zip(&probes).all(|(&o, &(_, want))| {
                            !o.is_null()
                                && ffi::PyLong_CheckExact(o) != 0
                                && plausible_size(l, o as *const IntHead)
                                && l.id(o as *const IntHead) == want
                        })
                    });
                ffi::PyErr_Clear();
                for o in objects.into_iter().filter(|o| !o.is_null()) {
                    ffi::Py_DecRef(o);
                }
                found
            }
        })
    })
}

/// Whether the size word of `o` says at most 2 digits under layout `l`, so
/// that probing reads no digit the object does not have.
///
/// # Safety
/// `o` is a live int object.
unsafe fn plausible_size(l: IntLayout, o: *const IntHead) -> bool {
    let size = (*o).size;
    match l {
        IntLayout::Sized => (size as isize).unsigned_abs() <= 2,
        IntLayout::Tagged => size >> 3 <= 2,
    }
}

/// Which direct paths this interpreter allows: whether lists are read and
/// filled through their item arrays, and how ints are read (`"sized"`,
/// `"tagged"`, or `None` for `PyLong_AsLong`). For the tests, which check
/// that CPython takes them.
#[pyfunction]
pub(crate) fn fast_paths() -> (bool, Option<&'static str>) {
    let ints = int_layout().map(|l| match l {
        IntLayout::Sized => "sized",
        IntLayout::Tagged => "tagged",
    });
    (direct_layout(), ints)
}

/// The ids of `p` if it is an exact `list` of exact `int`s that are all
/// ids (`0..=u32::MAX`); `None` otherwise, for PyO3's path to read (and
/// raise its errors).
///
/// # Safety
/// `p` is a live object and the GIL is held.
unsafe fn read_ids(p: *mut ffi::PyObject) -> Option<Vec<Rank>> {
    if ffi::PyList_CheckExact(p) == 0 || !direct_layout() {
        return None;
    }
    // The list cannot change during the loop: the GIL is held and nothing
    // here runs Python code (`PyLong_AsLong` of an exact int does not call
    // `__index__`).
    let list = &*(p as *const ListLayout);
    let n = list.ob_size as usize;
    if let Some(layout) = int_layout() {
        return read_items(layout, (list.ob_item as *const _, n));
    }
    let mut ids = Vec::with_capacity(n);
    for &o in item_slice(list.ob_item, n) {
        if ffi::PyLong_CheckExact(o) == 0 {
            return None;
        }
        let v = ffi::PyLong_AsLong(o);
        if !(0..=Rank::MAX as c_long).contains(&v) {
            // -1 is also the error return of an int beyond a C long.
            ffi::PyErr_Clear();
            return None;
        }
        ids.push(v as Rank);
    }
    Some(ids)
}

/// tiktoken's error for an argument that is not a sequence: the wording of
/// the PyO3 it is built with (newer PyO3 says "cannot be cast as").
fn not_a_sequence(obj: &Bound<'_, PyAny>) -> PyErr {
    if obj.is_none() {
        return PyTypeError::new_err("'None' is not an instance of 'Sequence'");
    }
    let name = obj
        .get_type()
        .qualname()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    PyTypeError::new_err(format!("'{name}' object is not an instance of 'Sequence'"))
}

/// The ids in `obj`, any sequence of ints, as tiktoken reads its `tokens`
/// argument: read directly when it is a list of ints (see the module docs),
/// otherwise through PyO3, with tiktoken's values and errors (called in a
/// method's body, so that no "argument 'tokens':" is prefixed to them).
pub(crate) fn ids(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Rank>> {
    // SAFETY: `obj` is live and its `Python` token says the GIL is held.
    if let Some(ids) = unsafe { read_ids(obj.as_ptr()) } {
        return Ok(ids);
    }
    // SAFETY: as above; PySequence_Check does not fail.
    if !obj.is_instance_of::<PyString>() && unsafe { ffi::PySequence_Check(obj.as_ptr()) } == 0 {
        return Err(not_a_sequence(obj));
    }
    obj.extract()
}

/// A list's `n` items from its item array `items` (null when the list is
/// empty, which a slice may not be).
///
/// # Safety
/// `items` points to `n` live items (or `n` is 0).
unsafe fn item_slice<'a>(items: *const *mut ffi::PyObject, n: usize) -> &'a [*mut ffi::PyObject] {
    if n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(items, n)
    }
}

/// The item arrays of a list of lists, for threads that do not hold the
/// GIL to read (see [`id_batch_on`]).
struct ItemArrays(Vec<(*const *mut ffi::PyObject, usize)>);

// SAFETY: the arrays are only read, and only while the thread that made
// them holds the GIL and runs no Python code (see `id_batch_on`).
unsafe impl Sync for ItemArrays {}

impl ItemArrays {
    fn get(&self, i: usize) -> (*const *mut ffi::PyObject, usize) {
        self.0[i]
    }
}

/// The ids in one item array, if they are all exact ints that are ids.
///
/// # Safety
/// The array and its items are live and cannot change while this runs (as
/// for [`IntLayout::id`]).
unsafe fn read_items(
    layout: IntLayout,
    (items, n): (*const *mut ffi::PyObject, usize),
) -> Option<Vec<Rank>> {
    let mut ids = Vec::with_capacity(n);
    for &o in item_slice(items, n) {
        if ffi::PyLong_CheckExact(o) == 0 {
            return None;
        }
        ids.push(layout.id(o as *const IntHead)?);
    }
    Some(ids)
}

/// [`id_batch`], with the lists read on `threads` threads (the calling one
/// and tasks on `pool`) when `obj` is an exact list of exact lists and ints
/// are read from their digits: reading the argument was the serial part of
/// `decode_bytes_batch` (see the module docs).
///
/// Why that is sound although the other threads do not hold the GIL: this
/// thread holds it throughout and runs no Python code until every list is
/// read, so no Python code runs in the process meanwhile (an abi3 module is
/// never loaded by a free-threaded interpreter), and no list or int can
/// change or be freed. The other threads only read memory: the item arrays,
/// each item's type pointer and its digits; they call no Python API.
pub(crate) fn id_batch_on(
    obj: &Bound<'_, PyAny>,
    pool: Option<&rayon::ThreadPool>,
    threads: usize,
) -> PyResult<Vec<Vec<Rank>>> {
    let p = obj.as_ptr();
    // SAFETY: `obj` is live and the GIL is held; the outer list's items
    // are read as in `read_ids`.
    let arrays = unsafe {
        match int_layout() {
            Some(layout) if threads > 1 && ffi::PyList_CheckExact(p) != 0 => {
                let list = &*(p as *const ListLayout);
                item_slice(list.ob_item, list.ob_size as usize)
                    .iter()
                    .map(|&inner| {
                        (ffi::PyList_CheckExact(inner) != 0).then(|| {
                            let l = &*(inner as *const ListLayout);
                            (l.ob_item as *const *mut ffi::PyObject, l.ob_size as usize)
                        })
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|a| (layout, ItemArrays(a)))
            }
            _ => None,
        }
    };
    let Some((layout, arrays)) = arrays else {
        return id_batch(obj);
    };
    let sizes: Vec<usize> = arrays.0.iter().map(|a| a.1).collect();
    let mut batch = Vec::with_capacity(sizes.len());
    let read = map_in_order(
        &sizes,
        pool,
        threads,
        // SAFETY: see this function's docs.
        |i| unsafe { read_items(layout, arrays.get(i)) },
        |_, block| {
            for ids in block {
                batch.push(ids.ok_or(())?);
            }
            Ok(())
        },
    );
    match read {
        Ok(()) => Ok(batch),
        // Something that is not an id: PyO3's path raises tiktoken's error.
        Err(()) => id_batch(obj),
    }
}

/// The id lists in `obj`, a sequence of sequences of ints, as tiktoken
/// reads its `batch` argument (see [`ids`]).
pub(crate) fn id_batch(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<Rank>>> {
    let p = obj.as_ptr();
    // SAFETY: `obj` is live and the GIL is held; the outer list's items
    // are read as in `read_ids`, and cannot change while it runs.
    let direct = unsafe {
        if ffi::PyList_CheckExact(p) != 0 && direct_layout() {
            let list = &*(p as *const ListLayout);
            (0..list.ob_size as usize)
                .map(|i| read_ids(*list.ob_item.add(i)))
                .collect::<Option<Vec<_>>>()
        } else {
            None
        }
    };
    if let Some(batch) = direct {
        return Ok(batch);
    }
    // PyO3's `Vec<Vec<u32>>`, one level at a time.
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("Can't extract `str` to `Vec`"));
    }
    // SAFETY: as above.
    if unsafe { ffi::PySequence_Check(p) } == 0 {
        return Err(not_a_sequence(obj));
    }
    let mut batch = Vec::with_capacity(obj.len().unwrap_or(0));
    for item in obj.try_iter()? {
        batch.push(ids(&item?)?);
    }
    Ok(batch)
}
