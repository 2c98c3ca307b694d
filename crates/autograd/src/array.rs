//! f32 n-dimensional arrays: a shape, strides and an offset into shared
//! storage, with no gradients (those are [`crate::tensor`]'s).
//!
//! Element `[i₀, …, iₙ₋₁]` lives at `storage[offset + Σ iₖ·strides[k]]`.
//! A **view** changes only shape, strides and offset and shares the storage
//! (no copy): [`Array::transpose`], [`Array::permute`], [`Array::narrow`],
//! [`Array::expand`] (stride 0 on broadcast dimensions), [`Array::view`]
//! when the layout allows it. A **copy** makes new, contiguous storage:
//! [`Array::contiguous`], and [`Array::reshape`] when a view is impossible.
//!
//! ```
//! use towel_autograd::array::Array;
//! let a = Array::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
//! let t = a.transpose(0, 1).unwrap();          // a view: same storage
//! assert_eq!((t.shape(), t.strides()), (&[3, 2][..], &[1, 3][..]));
//! assert!(t.shares_storage(&a));
//! assert!(t.view(&[6]).is_err());              // not expressible with strides
//! let flat = t.reshape(&[6]).unwrap();         // so reshape copies
//! assert!(!flat.shares_storage(&a));
//! assert_eq!(flat.to_vec(), [0., 3., 1., 4., 2., 5.]);
//! ```
//!
//! # Broadcasting (NumPy's and PyTorch's rule)
//!
//! Align the shapes at their last dimension; two sizes fit when they are
//! equal or one of them is 1 (a missing leading dimension counts as 1);
//! the result takes the larger. [`broadcast_shapes`] is that rule, and its
//! error names both shapes.

use std::rc::Rc;

use crate::error::{invalid, AutogradError, Result};

/// An f32 n-dimensional array (possibly a view of shared storage).
#[derive(Clone, Debug)]
pub struct Array {
    storage: Rc<Vec<f32>>,
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

/// The strides of a row-major (C-contiguous) array of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1].max(1);
    }
    strides
}

/// The broadcast shape of `a` and `b`, or an error naming both.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(AutogradError::Shape {
                    op,
                    lhs: a.to_vec(),
                    rhs: b.to_vec(),
                    detail: format!(
                        "do not broadcast: size {da} against {db} at dimension {i} of the result"
                    ),
                })
            }
        };
    }
    Ok(out)
}

/// Resolve a dimension index that may be negative (`-1` = last).
///
/// PyTorch's rule (`maybe_wrap_dim`): a 0-dimensional tensor takes 0 and
/// -1, both naming its one element as if it were a dimension of size 1;
/// so `max`, `softmax`, `sum` and the other ops over a dim treat a 0-d
/// tensor as a `[1]` tensor whose result is 0-d again. Any other dim is
/// out of range, e.g. 1 or -2 for a 0-d tensor.
pub fn dim_index(op: &'static str, dim: isize, ndim: usize) -> Result<usize> {
    wrap_dim(op, dim, ndim.max(1), ndim, "")
}

/// Resolve the position of a dimension to insert into an `ndim`-dimensional
/// tensor (`unsqueeze`, `stack`), which may be negative (`-1` = after the
/// last): PyTorch wraps it against `ndim + 1`, so 0-d takes 0 and -1.
pub fn insert_dim_index(op: &'static str, dim: isize, ndim: usize) -> Result<usize> {
    wrap_dim(op, dim, ndim + 1, ndim, " to insert a dimension")
}

/// `dim`, or `dim + n` when negative, if that is in `0..n`; else an error
/// naming the valid range.
fn wrap_dim(op: &'static str, dim: isize, n: usize, ndim: usize, what: &str) -> Result<usize> {
    let d = if dim < 0 { dim + n as isize } else { dim };
    if d < 0 || d as usize >= n {
        return Err(invalid(
            op,
            format!(
                "dimension {dim} is out of range{what} for {ndim} dimensions (valid: {} to {})",
                -(n as isize),
                n - 1
            ),
        ));
    }
    Ok(d as usize)
}

/// Iterate over the storage offsets of a strided layout in row-major order.
pub fn for_each_offset(
    shape: &[usize],
    strides: &[usize],
    offset: usize,
    mut f: impl FnMut(usize),
) {
    if shape.contains(&0) {
        return;
    }
    let nd = shape.len();
    if nd == 0 {
        f(offset);
        return;
    }
    let (inner, inner_stride) = (shape[nd - 1], strides[nd - 1]);
    let mut idx = vec![0usize; nd - 1];
    let mut base = offset;
    loop {
        for j in 0..inner {
            f(base + j * inner_stride);
        }
        // Odometer over the outer dimensions.
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            base += strides[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= strides[d] * shape[d];
            idx[d] = 0;
        }
    }
}

impl Array {
    /// An array of `shape` holding `data` in row-major order.
    pub fn from_vec(data: Vec<f32>, shape: &[usize]) -> Result<Array> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(invalid(
                "from_vec",
                format!(
                    "{} values cannot fill shape {shape:?} ({n} elements)",
                    data.len()
                ),
            ));
        }
        Ok(Array {
            storage: Rc::new(data),
            strides: contiguous_strides(shape),
            shape: shape.to_vec(),
            offset: 0,
        })
    }

    /// A 0-dimensional array.
    pub fn scalar(v: f32) -> Array {
        Array::from_vec(vec![v], &[]).expect("one value, shape []")
    }

    /// `shape` filled with `v`.
    pub fn full(shape: &[usize], v: f32) -> Array {
        let n = shape.iter().product();
        Array::from_vec(vec![v; n], shape).expect("size matches")
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Offset of the first element in the storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Number of elements with dimension `d` left out.
    fn numel_without(&self, d: usize) -> usize {
        (0..self.ndim())
            .filter(|&i| i != d)
            .map(|i| self.shape[i])
            .product()
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Whether two arrays view the same storage.
    pub fn shares_storage(&self, other: &Array) -> bool {
        Rc::ptr_eq(&self.storage, &other.storage)
    }

    /// Whether the elements are laid out row-major with no gaps (an empty
    /// array always is, as in PyTorch).
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1;
        for (&s, &st) in self.shape.iter().zip(&self.strides).rev() {
            if s != 1 && st != expected {
                return false;
            }
            expected *= s;
        }
        true
    }

    /// The elements as a contiguous slice, when the layout is contiguous.
    pub fn as_slice(&self) -> Option<&[f32]> {
        if self.numel() == 0 {
            return Some(&[]);
        }
        self.is_contiguous()
            .then(|| &self.storage[self.offset..self.offset + self.numel()])
    }

    /// The elements in row-major order.
    pub fn to_vec(&self) -> Vec<f32> {
        if let Some(s) = self.as_slice() {
            return crate::profile::kernel(|| s.to_vec());
        }
        let mut out = Vec::with_capacity(self.numel());
        crate::profile::kernel(|| {
            for_each_offset(&self.shape, &self.strides, self.offset, |o| {
                out.push(self.storage[o])
            })
        });
        out
    }

    /// The single element of an array with one element.
    pub fn item(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(invalid(
                "item",
                format!(
                    "shape {:?} has {} elements, not one",
                    self.shape,
                    self.numel()
                ),
            ));
        }
        Ok(self.storage[self.offset])
    }

    /// The same values in new, contiguous storage (a copy, always).
    pub fn contiguous(&self) -> Array {
        Array::from_vec(self.to_vec(), &self.shape).expect("same size")
    }

    fn with_layout(&self, shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Array {
        Array {
            storage: Rc::clone(&self.storage),
            shape,
            strides,
            offset,
        }
    }

    /// Swap two dimensions (a view).
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Array> {
        let (a, b) = (
            dim_index("transpose", d0, self.ndim())?,
            dim_index("transpose", d1, self.ndim())?,
        );
        let (mut shape, mut strides) = (self.shape.clone(), self.strides.clone());
        if self.ndim() > 0 {
            shape.swap(a, b);
            strides.swap(a, b);
        }
        Ok(self.with_layout(shape, strides, self.offset))
    }

    /// Reorder the dimensions: result dimension `i` is input dimension `dims[i]` (a view).
    pub fn permute(&self, dims: &[usize]) -> Result<Array> {
        let mut seen = vec![false; self.ndim()];
        if dims.len() != self.ndim()
            || dims
                .iter()
                .any(|&d| d >= self.ndim() || std::mem::replace(&mut seen[d], true))
        {
            return Err(invalid(
                "permute",
                format!(
                    "{dims:?} is not a permutation of the {} dimensions of shape {:?}",
                    self.ndim(),
                    self.shape
                ),
            ));
        }
        let shape = dims.iter().map(|&d| self.shape[d]).collect();
        let strides = dims.iter().map(|&d| self.strides[d]).collect();
        Ok(self.with_layout(shape, strides, self.offset))
    }

    /// Elements `start..start + len` of dimension `dim` (a view).
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Array> {
        let d = dim_index("narrow", dim, self.ndim())?;
        if self.ndim() == 0 {
            // PyTorch: "narrow() cannot be applied to a 0-dim tensor".
            return Err(invalid(
                "narrow",
                "cannot be applied to a 0-dimensional array; give it a dimension with reshape(&[1]) first",
            ));
        }
        if start + len > self.shape[d] {
            return Err(invalid(
                "narrow",
                format!(
                    "{start}..{} is out of range for dimension {d} of shape {:?}",
                    start + len,
                    self.shape
                ),
            ));
        }
        let mut shape = self.shape.clone();
        shape[d] = len;
        Ok(self.with_layout(
            shape,
            self.strides.clone(),
            self.offset + start * self.strides[d],
        ))
    }

    /// Broadcast to `shape` (a view: stride 0 on the repeated dimensions).
    pub fn expand(&self, shape: &[usize]) -> Result<Array> {
        let err = || AutogradError::Shape {
            op: "expand",
            lhs: self.shape.clone(),
            rhs: shape.to_vec(),
            detail: "do not fit: each size must equal the target's or be 1".into(),
        };
        if shape.len() < self.ndim() {
            return Err(err());
        }
        let lead = shape.len() - self.ndim();
        let mut strides = vec![0; shape.len()];
        for (i, &s) in self.shape.iter().enumerate() {
            if s == shape[lead + i] {
                strides[lead + i] = self.strides[i];
            } else if s != 1 {
                return Err(err());
            }
        }
        Ok(self.with_layout(shape.to_vec(), strides, self.offset))
    }

    /// The diagonal of dimensions `d0` and `d1` (a view): both are removed
    /// and a last dimension of size `min` is appended, with stride
    /// `strides[d0] + strides[d1]` (PyTorch's `diagonal(0, d0, d1)`).
    pub fn diagonal(&self, d0: usize, d1: usize) -> Result<Array> {
        if d0 == d1 || d0 >= self.ndim() || d1 >= self.ndim() {
            return Err(invalid(
                "diagonal",
                format!(
                    "dimensions {d0} and {d1} must be two different dimensions of shape {:?}",
                    self.shape
                ),
            ));
        }
        let n = self.shape[d0].min(self.shape[d1]);
        let keep = |i: &usize| *i != d0 && *i != d1;
        let mut shape: Vec<usize> = (0..self.ndim())
            .filter(keep)
            .map(|i| self.shape[i])
            .collect();
        let mut strides: Vec<usize> = (0..self.ndim())
            .filter(keep)
            .map(|i| self.strides[i])
            .collect();
        shape.push(n);
        strides.push(self.strides[d0] + self.strides[d1]);
        Ok(self.with_layout(shape, strides, self.offset))
    }

    /// A contiguous array of `shape`, zero except where the view `place`
    /// (a function from a contiguous zero array to a view of it) puts the
    /// values of `self`: the gradient of taking that view.
    pub fn scatter_into_view(
        &self,
        shape: &[usize],
        place: impl Fn(&Array) -> Result<Array>,
    ) -> Result<Array> {
        let zeros = Array::full(shape, 0.0);
        let view = place(&zeros)?;
        let mut data = vec![0f32; zeros.numel()];
        let values = self.to_vec();
        let mut i = 0;
        for_each_offset(&view.shape, &view.strides, view.offset, |o| {
            data[o] += values[i];
            i += 1;
        });
        Array::from_vec(data, shape)
    }

    /// Insert a dimension of size 1 at `dim` (a view); `dim` may be
    /// negative (`-1` appends), as PyTorch's `unsqueeze`.
    pub fn unsqueeze(&self, dim: isize) -> Result<Array> {
        let dim = insert_dim_index("unsqueeze", dim, self.ndim())?;
        let (mut shape, mut strides) = (self.shape.clone(), self.strides.clone());
        let stride = if dim < self.ndim() {
            self.strides[dim] * self.shape[dim]
        } else {
            1
        };
        shape.insert(dim, 1);
        strides.insert(dim, stride);
        Ok(self.with_layout(shape, strides, self.offset))
    }

    /// The same elements with another shape, sharing storage; an error when
    /// the strides cannot express it (PyTorch's `view`; use [`Array::reshape`]).
    ///
    /// PyTorch's rule (`computeStride`): the old dimensions are cut into
    /// chunks whose elements are evenly spaced in memory (a chunk ends where
    /// `stride[i] != stride[i+1] * size[i+1]`); the new shape must split
    /// into consecutive groups each of which has exactly one chunk's number
    /// of elements, and inside a group the strides are those of a row-major
    /// block with the chunk's innermost stride.
    pub fn view(&self, shape: &[usize]) -> Result<Array> {
        let shape = self.infer_shape("view", shape)?;
        let strides = view_strides(&self.shape, &self.strides, &shape).ok_or_else(|| {
            AutogradError::View {
                shape: self.shape.clone(),
                strides: self.strides.clone(),
                requested: shape.clone(),
            }
        })?;
        Ok(self.with_layout(shape, strides, self.offset))
    }

    /// [`Array::view`] when possible, else a contiguous copy with the new shape.
    pub fn reshape(&self, shape: &[usize]) -> Result<Array> {
        let shape = self.infer_shape("reshape", shape)?;
        match view_strides(&self.shape, &self.strides, &shape) {
            Some(strides) => Ok(self.with_layout(shape, strides, self.offset)),
            None => Array::from_vec(self.to_vec(), &shape),
        }
    }

    fn infer_shape(&self, op: &'static str, shape: &[usize]) -> Result<Vec<usize>> {
        let n: usize = shape.iter().product();
        if n != self.numel() {
            return Err(AutogradError::Shape {
                op,
                lhs: self.shape.clone(),
                rhs: shape.to_vec(),
                detail: format!(
                    "hold different numbers of elements ({} and {n})",
                    self.numel()
                ),
            });
        }
        Ok(shape.to_vec())
    }

    /// Apply `f` to every element (the result is contiguous).
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Array {
        // A loop over a slice, compiled for this CPU's widest SIMD.
        self.map_slice(|s| crate::fastmath::map(s, f))
    }

    /// [`Array::map`] with a kernel that maps a whole slice (a
    /// non-contiguous array is copied to one first, inside the kernel's
    /// time).
    pub fn map_slice(&self, kernel: impl FnOnce(&[f32]) -> Vec<f32>) -> Array {
        let data = crate::profile::kernel(|| match self.as_slice() {
            Some(s) => kernel(s),
            None => kernel(&self.to_vec()),
        });
        Array::from_vec(data, &self.shape).expect("same size")
    }

    /// `f(a, b)` elementwise with broadcasting (the result is contiguous).
    pub fn zip_map(
        &self,
        other: &Array,
        op: &'static str,
        f: impl Fn(f32, f32) -> f32,
    ) -> Result<Array> {
        let shape = broadcast_shapes(op, &self.shape, &other.shape)?;
        if self.shape == other.shape {
            if let (Some(a), Some(b)) = (self.as_slice(), other.as_slice()) {
                let data = crate::profile::kernel(|| crate::fastmath::zip(a, b, f));
                return Array::from_vec(data, &shape);
            }
        }
        let a = self.expand(&shape)?;
        let b = other.expand(&shape)?;
        let nd = shape.len();
        if nd == 0 {
            return Ok(Array::scalar(f(a.storage[a.offset], b.storage[b.offset])));
        }
        // Walk the outer dimensions with an odometer on both layouts; the
        // innermost dimension is a strided loop (stride 0 when broadcast).
        let inner = shape[nd - 1];
        let (sa, sb) = (a.strides[nd - 1], b.strides[nd - 1]);
        let (sa_slice, sb_slice) = (&a.storage[..], &b.storage[..]);
        let mut data = Vec::with_capacity(shape.iter().product());
        let mut idx = vec![0usize; nd - 1];
        let (mut ao, mut bo) = (a.offset, b.offset);
        if inner > 0 && !shape.contains(&0) {
            crate::profile::kernel(|| 'rows: loop {
                match (sa, sb) {
                    (1, 1) => crate::fastmath::zip_extend(
                        &mut data,
                        &sa_slice[ao..ao + inner],
                        &sb_slice[bo..bo + inner],
                        &f,
                    ),
                    (1, 0) => {
                        let y = sb_slice[bo];
                        data.extend(sa_slice[ao..ao + inner].iter().map(|&x| f(x, y)))
                    }
                    (0, 1) => {
                        let x = sa_slice[ao];
                        data.extend(sb_slice[bo..bo + inner].iter().map(|&y| f(x, y)))
                    }
                    _ => data.extend(
                        (0..inner).map(|j| f(sa_slice[ao + j * sa], sb_slice[bo + j * sb])),
                    ),
                }
                let mut d = nd - 1;
                loop {
                    if d == 0 {
                        break 'rows;
                    }
                    d -= 1;
                    idx[d] += 1;
                    ao += a.strides[d];
                    bo += b.strides[d];
                    if idx[d] < shape[d] {
                        break;
                    }
                    ao -= a.strides[d] * shape[d];
                    bo -= b.strides[d] * shape[d];
                    idx[d] = 0;
                }
            });
        }
        Array::from_vec(data, &shape)
    }

    /// Reduce dimension `dim` with `f` over its elements, keeping it as size 1
    /// when `keepdim`.
    pub fn reduce_dim(
        &self,
        dim: isize,
        keepdim: bool,
        f: impl Fn(&[f32]) -> f32,
    ) -> Result<Array> {
        let d = dim_index("reduce", dim, self.ndim())?;
        if self.ndim() == 0 {
            return Ok(Array::scalar(f(&[self.item()?])));
        }
        // Move `dim` last and make it contiguous, then reduce each row.
        let mut perm: Vec<usize> = (0..self.ndim()).filter(|&i| i != d).collect();
        perm.push(d);
        let moved = self.permute(&perm)?.contiguous();
        let len = self.shape[d];
        let data: Vec<f32> = if len == 0 {
            // Every output element reduces an empty row (a sum is 0).
            let rows = self.numel_without(d);
            vec![f(&[]); rows]
        } else {
            let rows = moved.as_slice().expect("contiguous");
            crate::profile::kernel(|| rows.chunks(len).map(&f).collect())
        };
        let mut shape = self.shape.clone();
        if keepdim {
            shape[d] = 1;
        } else {
            shape.remove(d);
        }
        Array::from_vec(data, &shape)
    }

    /// Sum over `dims` (all of them, when empty), keeping them as size 1 when `keepdim`.
    pub fn sum_dims(&self, dims: &[usize], keepdim: bool) -> Result<Array> {
        let mut out = self.clone();
        let mut dims: Vec<usize> = if dims.is_empty() {
            (0..self.ndim()).collect()
        } else {
            dims.to_vec()
        };
        dims.sort_unstable();
        for &d in dims.iter().rev() {
            // From +0, as PyTorch: Rust's f32 `sum` starts at -0, so an
            // empty sum (or one of -0s) would be -0.
            out = out.reduce_dim(d as isize, true, |r| r.iter().fold(0.0, |a, &v| a + v))?;
        }
        if !keepdim {
            let shape: Vec<usize> = out
                .shape
                .iter()
                .enumerate()
                .filter(|(i, _)| !dims.contains(i))
                .map(|(_, &s)| s)
                .collect();
            out = out.reshape(&shape)?;
        }
        Ok(out)
    }

    /// Sum a broadcast result back to `shape` (the gradient of broadcasting).
    pub fn sum_to(&self, shape: &[usize]) -> Result<Array> {
        if self.shape == shape {
            return Ok(self.clone());
        }
        if shape.len() > self.ndim() {
            return Err(AutogradError::Shape {
                op: "sum_to",
                lhs: self.shape.clone(),
                rhs: shape.to_vec(),
                detail: "do not fit: the target has more dimensions".into(),
            });
        }
        let lead = self.ndim() - shape.len();
        // The common case of a bias gradient: summing the leading
        // dimensions of a contiguous array, i.e. adding up its rows.
        let kept = &self.shape[lead..];
        let ones = shape.iter().take_while(|&&d| d == 1).count();
        if kept[ones..] == shape[ones..] {
            if let Some(x) = self.as_slice() {
                let inner: usize = shape.iter().product();
                if inner > 0 {
                    let mut acc = vec![0f32; inner];
                    crate::profile::kernel(|| {
                        for row in x.chunks_exact(inner) {
                            for (a, &v) in acc.iter_mut().zip(row) {
                                *a += v;
                            }
                        }
                    });
                    return Array::from_vec(acc, shape);
                }
            }
        }
        let dims: Vec<usize> = (0..self.ndim())
            .filter(|&i| i < lead || (shape[i - lead] == 1 && self.shape[i] != 1))
            .collect();
        self.sum_dims(&dims, true)?.reshape(shape)
    }

    /// Matrix product with PyTorch's `matmul` rules for 2-D and batched
    /// (≥ 3-D, broadcast batch dimensions) operands; 1-D operands are
    /// treated as a row (left) or column (right) vector and that dimension
    /// is removed from the result.
    pub fn matmul(&self, other: &Array) -> Result<Array> {
        let err = |detail: String| AutogradError::Shape {
            op: "matmul",
            lhs: self.shape.clone(),
            rhs: other.shape.clone(),
            detail,
        };
        if self.ndim() == 0 || other.ndim() == 0 {
            return Err(err(
                "cannot be multiplied: both need at least one dimension".into(),
            ));
        }
        let a = if self.ndim() == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if other.ndim() == 1 {
            other.unsqueeze(1)?
        } else {
            other.clone()
        };
        // A matrix that is itself a broadcast view (stride 0 on a row or
        // column dimension of size > 1) is copied: the GEMM kernels expect
        // distinct elements.
        let dense = |x: Array| {
            let nd = x.ndim();
            let zero = (nd - 2..nd).any(|d| x.strides[d] == 0 && x.shape[d] > 1);
            if zero {
                x.contiguous()
            } else {
                x
            }
        };
        let (a, b) = (dense(a), dense(b));
        let (m, k) = (a.shape[a.ndim() - 2], a.shape[a.ndim() - 1]);
        let (k2, n) = (b.shape[b.ndim() - 2], b.shape[b.ndim() - 1]);
        if k != k2 {
            return Err(err(format!(
                "cannot be multiplied: the inner dimensions {k} and {k2} differ"
            )));
        }
        let batch = broadcast_shapes("matmul", &a.shape[..a.ndim() - 2], &b.shape[..b.ndim() - 2])
            .map_err(|_| {
                err("cannot be multiplied: the batch dimensions do not broadcast".into())
            })?;
        let mut a_shape = batch.clone();
        a_shape.extend([m, k]);
        let mut b_shape = batch.clone();
        b_shape.extend([k, n]);
        let (a, b) = (a.expand(&a_shape)?, b.expand(&b_shape)?);
        let nb: usize = batch.iter().product();
        let mut out = vec![0f32; nb * m * n];
        let nd = batch.len();
        let mut a_offs = Vec::with_capacity(nb);
        let mut b_offs = Vec::with_capacity(nb);
        for_each_offset(&batch, &a.strides[..nd], a.offset, |o| a_offs.push(o));
        for_each_offset(&batch, &b.strides[..nd], b.offset, |o| b_offs.push(o));
        let (ars, acs) = (a.strides[nd], a.strides[nd + 1]);
        let (brs, bcs) = (b.strides[nd], b.strides[nd + 1]);
        // An empty result ([0, n], [m, 0] or a batch of 0) has nothing to
        // compute (and chunks of m·n = 0 elements do not exist).
        crate::profile::kernel(|| {
            if out.is_empty() {
                return;
            }
            for (i, c) in out.chunks_mut(m * n).enumerate() {
                crate::gemm::sgemm(
                    (m, k, n),
                    (&a.storage, a_offs[i], ars, acs),
                    (&b.storage, b_offs[i], brs, bcs),
                    c,
                );
            }
        });
        let mut shape = batch;
        if self.ndim() > 1 {
            shape.push(m);
        }
        if other.ndim() > 1 {
            shape.push(n);
        }
        Array::from_vec(out, &shape)
    }
}

/// PyTorch's `computeStride`: the strides that let `old` (with `strides`)
/// be seen as `new` without copying, if any.
fn view_strides(old: &[usize], strides: &[usize], new: &[usize]) -> Option<Vec<usize>> {
    let numel: usize = old.iter().product();
    if numel == 0 || old.is_empty() {
        return Some(contiguous_strides(new));
    }
    let mut new_strides = vec![0; new.len()];
    let mut view_d = new.len() as isize - 1;
    let mut chunk_base_stride = *strides.last().unwrap();
    let mut tensor_numel = 1;
    let mut view_numel = 1;
    for d in (0..old.len()).rev() {
        tensor_numel *= old[d];
        if d == 0 || (old[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride) {
            while view_d >= 0 && (view_numel < tensor_numel || new[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= new[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if d > 0 {
                chunk_base_stride = strides[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(shape: &[usize]) -> Array {
        let n = shape.iter().product::<usize>();
        Array::from_vec((0..n).map(|v| v as f32).collect(), shape).unwrap()
    }

    #[test]
    fn views_share_and_copies_do_not() {
        let a = arange(&[2, 3, 4]);
        let p = a.permute(&[2, 0, 1]).unwrap();
        assert_eq!(p.strides(), &[1, 12, 4]);
        assert!(p.shares_storage(&a) && !p.is_contiguous());
        let n = a.narrow(2, 1, 2).unwrap();
        assert_eq!(n.offset(), 1);
        assert_eq!(n.to_vec()[..4], [1., 2., 5., 6.]);
        assert!(a.view(&[6, 4]).unwrap().shares_storage(&a));
        assert!(!p.contiguous().shares_storage(&a));
    }

    #[test]
    fn impossible_view_is_an_error_like_pytorch() {
        let t = arange(&[2, 3]).transpose(0, 1).unwrap();
        let e = t.view(&[6]).unwrap_err();
        assert!(e.to_string().contains("use reshape instead"), "{e}");
        // Splitting a dimension of a transposed array is still a view.
        let t = arange(&[4, 6]).transpose(0, 1).unwrap(); // [6, 4], strides [1, 6]
        let v = t.view(&[2, 3, 4]).unwrap();
        assert_eq!(v.strides(), &[3, 1, 6]);
        assert_eq!(v.to_vec(), t.contiguous().to_vec());
    }

    #[test]
    fn broadcasting_errors_name_both_shapes() {
        let e = broadcast_shapes("add", &[2, 3], &[4, 3])
            .unwrap_err()
            .to_string();
        assert!(e.contains("[2, 3]") && e.contains("[4, 3]"), "{e}");
        assert_eq!(
            broadcast_shapes("add", &[5, 1, 3], &[4, 1]).unwrap(),
            vec![5, 4, 3]
        );
    }

    #[test]
    fn matmul_inner_dims() {
        let e = arange(&[2, 3])
            .matmul(&arange(&[2, 3]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[2, 3] and [2, 3]") && e.contains("inner dimensions 3 and 2"),
            "{e}"
        );
        let c = arange(&[2, 3]).matmul(&arange(&[3, 2])).unwrap();
        assert_eq!(c.to_vec(), [10., 13., 28., 40.]);
    }
}
