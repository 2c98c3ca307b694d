//! A small compressed sparse row (CSR) matrix, laid out like SciPy's
//! `csr_matrix`: `indptr` (rows + 1 offsets), `indices` (column of each stored
//! value, sorted within a row) and `data`.
//!
//! towel needs only build-by-rows, transpose (documents × terms into terms ×
//! documents, i.e. posting lists) and row access, so this is written out here
//! rather than pulling in a general sparse linear algebra crate.
//!
//! ```
//! use towel_retrieval::sparse::CsrMatrix;
//! let mut m = CsrMatrix::<f64>::new(3);
//! m.push_row(&mut vec![(2, 1.0), (0, 2.0)]);
//! m.push_row(&mut vec![]);
//! assert_eq!(m.indptr, vec![0, 2, 2]);
//! assert_eq!(m.indices, vec![0, 2]);
//! let t = m.transpose();
//! assert_eq!((t.rows(), t.cols), (3, 2));
//! assert_eq!(t.row(2), (&[0u32][..], &[1.0][..]));
//! ```

/// CSR matrix with `u32` column indices and values of type `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix<T> {
    /// Number of columns.
    pub cols: usize,
    /// Row start offsets into `indices`/`data`; length rows + 1, starts at 0.
    pub indptr: Vec<usize>,
    /// Column index of each stored value, ascending within a row.
    pub indices: Vec<u32>,
    /// The stored values.
    pub data: Vec<T>,
}

impl<T: Copy> CsrMatrix<T> {
    /// An empty matrix with `cols` columns and no rows.
    pub fn new(cols: usize) -> Self {
        CsrMatrix {
            cols,
            indptr: vec![0],
            indices: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// Append a row given as `(column, value)` pairs (sorted here by column;
    /// columns must be distinct and `< cols`).
    pub fn push_row(&mut self, entries: &mut [(u32, T)]) {
        entries.sort_unstable_by_key(|e| e.0);
        for &(c, v) in entries.iter() {
            debug_assert!((c as usize) < self.cols);
            self.indices.push(c);
            self.data.push(v);
        }
        self.indptr.push(self.indices.len());
    }

    /// Columns and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[T]) {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[a..b], &self.data[a..b])
    }

    /// The value at (`r`, `c`), if stored (a binary search of row `r`).
    pub fn get(&self, r: usize, c: u32) -> Option<T> {
        let (cols, vals) = self.row(r);
        cols.binary_search(&c).ok().map(|i| vals[i])
    }

    /// Mutable values of row `r`.
    pub fn row_data_mut(&mut self, r: usize) -> &mut [T] {
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        &mut self.data[a..b]
    }

    /// The transpose, in linear time (a counting sort by column). Rows of the
    /// result list their columns in ascending order.
    pub fn transpose(&self) -> CsrMatrix<T> {
        let rows = self.rows();
        let mut counts = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.cols {
            counts[i + 1] += counts[i];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        // Every slot is overwritten below; a copy of `data` is just a
        // cheap way to give it the right length.
        let mut data: Vec<T> = self.data.clone();
        for r in 0..rows {
            let (a, b) = (self.indptr[r], self.indptr[r + 1]);
            for k in a..b {
                let c = self.indices[k] as usize;
                let pos = next[c];
                next[c] += 1;
                indices[pos] = r as u32;
                data[pos] = self.data[k];
            }
        }
        CsrMatrix {
            cols: rows,
            indptr,
            indices,
            data,
        }
    }

    /// Check the structure: monotone `indptr`, matching lengths, columns in range
    /// and strictly ascending within each row. Used when loading an index.
    pub fn validate(&self) -> Result<(), String> {
        if self.indptr.first() != Some(&0) {
            return Err("indptr does not start at 0".into());
        }
        if self.indices.len() != self.data.len() {
            return Err("indices and data differ in length".into());
        }
        if *self.indptr.last().unwrap_or(&0) != self.indices.len() {
            return Err("indptr does not end at nnz".into());
        }
        for r in 0..self.rows() {
            let (a, b) = (self.indptr[r], self.indptr[r + 1]);
            if a > b || b > self.indices.len() {
                return Err(format!("indptr out of order or out of range at row {r}"));
            }
            let row = &self.indices[a..b];
            if row.iter().any(|&c| c as usize >= self.cols) {
                return Err(format!("row {r} has a column out of range"));
            }
            if row.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("row {r} has unsorted or repeated columns"));
            }
        }
        Ok(())
    }
}
