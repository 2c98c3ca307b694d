//! Vectors in and out of files: numpy's `.npy` and raw float32.
//!
//! **`.npy`** (format versions 1.0, 2.0 and 3.0), layout:
//!
//! | bytes | what |
//! | --- | --- |
//! | 6 | magic `\x93NUMPY` |
//! | 2 | format version: major, minor |
//! | 2 (v1) or 4 (v2, v3) | header length `h`, little-endian |
//! | h | header: a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }`, padded with spaces and ending in `\n` |
//! | n·d·4 | the values, row-major (C order) or column-major (Fortran order) |
//!
//! [`read_npy`] accepts 2-D float32 arrays, little- or big-endian (`<f4`,
//! `>f4`), in C or Fortran order, and returns them row-major. Anything else
//! is a [`VectorError::Format`] naming the file and saying what was found:
//! another dtype (`<f8` says to convert with `np.asarray(x, dtype=np.float32)`),
//! 1-D or 3-D shapes, a header that is not a well-formed dict literal, a data
//! size that does not match the shape. Files of [`MMAP_MIN_BYTES`] or more
//! are memory-mapped and decoded from the map (no read buffer beside the
//! result); smaller ones are read in one call.
//!
//! [`write_npy`] writes C order, `<f4`, format 1.0, atomically (temp file
//! then rename), with the same header bytes as `np.save` (numpy 2.4 pads the
//! first dimension's room to 21 digits, then the whole header to a multiple
//! of 64 bytes), so files round-trip byte for byte.
//!
//! **Raw float32** ([`read_raw_f32`], [`write_raw_f32`]): the values only,
//! little-endian, row-major, as numpy's `a.astype('<f4').tofile(path)`
//! writes them; the dimension is given by the caller, and a file whose size
//! is not a multiple of `4 · dim` is an error.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use crate::error::VectorError;
use crate::matrix::Vectors;

/// Files at least this large are memory-mapped when read.
pub const MMAP_MIN_BYTES: u64 = 1 << 20;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy's `GROWTH_AXIS_MAX_DIGITS`: room left in the header for the shape to grow.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// numpy's `ARRAY_ALIGN`: the header is padded so the data starts at a multiple of this.
const ARRAY_ALIGN: usize = 64;

/// Byte order of the stored float32 values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

/// What an `.npy` header says about a 2-D float32 array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Byte order of the values.
    pub endian: Endian,
    /// True for column-major (Fortran) order.
    pub fortran_order: bool,
    /// `(rows, cols)`: the number of vectors and their dimension.
    pub shape: (usize, usize),
    /// Where the values start in the file.
    pub data_offset: usize,
}

/// Parse the fixed prefix and header of an `.npy` file. Errors are
/// `(byte offset, reason)`. Pure: it only looks at `bytes`.
pub fn parse_header(bytes: &[u8]) -> Result<NpyHeader, (u64, String)> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err((
            0,
            "not an .npy file (no \\x93NUMPY magic at the start)".into(),
        ));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len, start): (usize, usize) = match major {
        1 if bytes.len() >= 10 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        1..=3 => return Err((8, "file ends inside the header length".into())),
        _ => {
            return Err((
                6,
                format!(
                    "unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
                ),
            ))
        }
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or((
            start as u64,
            format!(
                "header length {len} runs past the end of the file ({} bytes)",
                bytes.len()
            ),
        ))?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|e| {
        (
            (start + e.valid_up_to()) as u64,
            "header is not valid text".to_string(),
        )
    })?;
    if major < 3 && !text.is_ascii() {
        return Err((
            start as u64,
            "header of a version 1.0 or 2.0 file is not ASCII".into(),
        ));
    }
    let dict = parse_dict(text).map_err(|(at, reason)| ((start + at) as u64, reason))?;
    let endian = match dict.descr.as_str() {
        "<f4" => Endian::Little,
        ">f4" => Endian::Big,
        other => {
            return Err((
                start as u64,
                format!("dtype '{other}' ({}), expected float32 ('<f4'); convert with np.asarray(x, dtype=np.float32)", dtype_name(other)),
            ))
        }
    };
    let shape = match dict.shape[..] {
        [rows, cols] => (rows, cols),
        _ => {
            return Err((
                start as u64,
                format!(
                    "array of shape {:?} has {} dimensions, expected 2 (vectors × dimension); reshape it, e.g. x.reshape(1, -1) for one vector",
                    dict.shape,
                    dict.shape.len()
                ),
            ))
        }
    };
    Ok(NpyHeader {
        endian,
        fortran_order: dict.fortran_order,
        shape,
        data_offset: end,
    })
}

fn dtype_name(descr: &str) -> &'static str {
    match descr.trim_start_matches(['<', '>', '|', '=']) {
        "f8" => "float64",
        "f2" => "float16",
        "i4" => "int32",
        "i8" => "int64",
        "u1" => "uint8",
        "b1" => "bool",
        _ => "not float32",
    }
}

struct Dict {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A cursor over the header's dict literal; errors carry the offset in it.
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] as char).is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, (usize, String)> {
        Err((self.i, format!("malformed header: {what}")))
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn string(&mut self) -> Result<String, (usize, String)> {
        self.ws();
        let q = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return self.err("expected a quoted string"),
        };
        let from = self.i + 1;
        match self.s[from..].iter().position(|&c| c == q) {
            Some(n) => {
                self.i = from + n + 1;
                Ok(String::from_utf8_lossy(&self.s[from..from + n]).into_owned())
            }
            None => self.err("unterminated string"),
        }
    }
    fn word(&mut self) -> &str {
        self.ws();
        let from = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[from..self.i]).unwrap_or("")
    }
}

fn parse_dict(text: &str) -> Result<Dict, (usize, String)> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        i: 0,
    };
    if !lx.eat(b'{') {
        return lx.err("expected '{'");
    }
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        if lx.eat(b'}') {
            break;
        }
        let at = lx.i;
        let key = lx.string()?;
        if !lx.eat(b':') {
            return lx.err("expected ':' after a key");
        }
        match key.as_str() {
            "descr" if descr.is_none() => {
                // A structured dtype's descr is a list of fields.
                lx.ws();
                if lx.s.get(lx.i) == Some(&b'[') {
                    return Err((
                        lx.i,
                        "a structured dtype (named fields), expected float32 ('<f4'); save a plain 2-D array, e.g. np.stack([x[f] for f in x.dtype.names], axis=1).astype(np.float32)".into(),
                    ));
                }
                descr = Some(lx.string()?)
            }
            "fortran_order" if fortran.is_none() => {
                fortran = Some(match lx.word() {
                    "True" => true,
                    "False" => false,
                    _ => return lx.err("fortran_order must be True or False"),
                })
            }
            "shape" if shape.is_none() => {
                if !lx.eat(b'(') {
                    return lx.err("shape must be a tuple");
                }
                let mut dims = Vec::new();
                while !lx.eat(b')') {
                    let w = lx.word();
                    let n: usize = match w.strip_suffix('L').unwrap_or(w).parse() {
                        Ok(n) => n,
                        Err(_) => return lx.err("shape entries must be non-negative integers"),
                    };
                    dims.push(n);
                    if !lx.eat(b',') && lx.s.get(lx.i) != Some(&b')') {
                        return lx.err("expected ',' or ')' in shape");
                    }
                }
                shape = Some(dims);
            }
            "descr" | "fortran_order" | "shape" => {
                return Err((at, format!("malformed header: key '{key}' appears twice")))
            }
            _ => return Err((at, format!("malformed header: unknown key '{key}'"))),
        }
        if !lx.eat(b',') {
            if lx.eat(b'}') {
                break;
            }
            return lx.err("expected ',' or '}' after a value");
        }
    }
    lx.ws();
    if lx.i != lx.s.len() {
        return lx.err("text after the closing '}'");
    }
    match (descr, fortran, shape) {
        (Some(descr), Some(fortran_order), Some(shape)) => Ok(Dict {
            descr,
            fortran_order,
            shape,
        }),
        _ => Err((
            0,
            "malformed header: 'descr', 'fortran_order' and 'shape' are all required".into(),
        )),
    }
}

/// Decode a whole `.npy` file held in memory. `origin` names it in errors.
///
/// ```
/// let v = towel_vectors::Vectors::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3)?;
/// let bytes = towel_vectors::npy::to_npy_bytes(&v);
/// assert_eq!(towel_vectors::npy::from_npy_bytes(&bytes, "in memory")?, v);
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn from_npy_bytes(bytes: &[u8], origin: &str) -> Result<Vectors, VectorError> {
    let h = parse_header(bytes)
        .map_err(|(at, reason)| VectorError::format(origin, Some(at), reason))?;
    let (rows, cols) = h.shape;
    if cols == 0 {
        return Err(VectorError::format(
            origin,
            None,
            format!("shape ({rows}, 0): vectors of dimension 0"),
        ));
    }
    let data = &bytes[h.data_offset..];
    let want = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(4))
        .ok_or_else(|| {
            VectorError::format(origin, None, format!("shape ({rows}, {cols}) is too large"))
        })?;
    if data.len() != want {
        return Err(VectorError::format(
            origin,
            Some(h.data_offset as u64),
            format!(
                "shape ({rows}, {cols}) needs {want} bytes of float32 values, the file has {}{}",
                data.len(),
                if data.len() < want {
                    " (truncated?)"
                } else {
                    ""
                }
            ),
        ));
    }
    let decode: fn([u8; 4]) -> f32 = match h.endian {
        Endian::Little => f32::from_le_bytes,
        Endian::Big => f32::from_be_bytes,
    };
    let values = decode_f32(data, decode);
    let values = if h.fortran_order && rows > 1 && cols > 1 {
        transpose(&values, cols, rows)
    } else {
        values
    };
    Vectors::new(values, cols)
}

fn decode_f32(data: &[u8], decode: fn([u8; 4]) -> f32) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|c| decode([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// `a` is `rows × cols` row-major; returns its transpose (`cols × rows`), in tiles.
fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    const T: usize = 32;
    let mut out = vec![0.0f32; a.len()];
    for r0 in (0..rows).step_by(T) {
        for c0 in (0..cols).step_by(T) {
            for r in r0..(r0 + T).min(rows) {
                for c in c0..(c0 + T).min(cols) {
                    out[c * rows + r] = a[r * cols + c];
                }
            }
        }
    }
    out
}

/// Memory-map `file` for reading (one of the crate's two `unsafe` blocks;
/// the other is the GEMM call).
///
/// Safety: a map is unsound if another process truncates or rewrites the
/// file while it is mapped (reads may fault or see changing bytes). The map
/// lives only inside [`read_file`], which decodes it into an owned `Vec`
/// and drops it; towel never writes a file it is reading (its writes go to a
/// temp file renamed over the target, which leaves a mapped old file
/// intact). This is the same risk numpy's `np.load(mmap_mode='r')` takes.
#[allow(unsafe_code)]
fn map_file(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: see the function docs: read-only, short-lived, never written by towel.
    unsafe { memmap2::Mmap::map(file) }
}

/// Read a file's bytes and hand them to `decode`: through a memory map for
/// files of [`MMAP_MIN_BYTES`] or more, else with one read.
fn read_file<T>(
    path: &Path,
    decode: impl FnOnce(&[u8], &str) -> Result<T, VectorError>,
) -> Result<T, VectorError> {
    let origin = path.display().to_string();
    let io = |e| VectorError::io("read", path, e);
    let mut file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    towel_data::check_regular(&meta).map_err(io)?;
    let len = meta.len();
    if len >= MMAP_MIN_BYTES {
        let map = map_file(&file).map_err(io)?;
        decode(&map, &origin)
    } else {
        let mut bytes = Vec::with_capacity(len as usize);
        file.read_to_end(&mut bytes).map_err(io)?;
        decode(&bytes, &origin)
    }
}

/// Read a 2-D float32 `.npy` file (C or Fortran order) as row-major vectors.
///
/// ```no_run
/// let base = towel_vectors::read_npy("base.npy".as_ref())?;
/// println!("{} vectors of dimension {}", base.len(), base.dim());
/// # Ok::<(), towel_vectors::VectorError>(())
/// ```
pub fn read_npy(path: &Path) -> Result<Vectors, VectorError> {
    read_file(path, from_npy_bytes)
}

/// The `.npy` header `np.save` writes for a C-order float32 array of `shape`.
fn header_bytes(shape: (usize, usize)) -> Vec<u8> {
    let mut dict = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        shape.0, shape.1
    );
    dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(shape.0.to_string().len())));
    // magic + version + u16 length + dict + padding + '\n' is a multiple of ARRAY_ALIGN.
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let pad = (ARRAY_ALIGN - unpadded % ARRAY_ALIGN) % ARRAY_ALIGN;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Write `values` little-endian, in blocks.
fn write_values(w: &mut dyn Write, values: &[f32]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(64 << 10);
    for block in values.chunks(16 << 10) {
        buf.clear();
        buf.extend(block.iter().flat_map(|x| x.to_le_bytes()));
        w.write_all(&buf)?;
    }
    Ok(())
}

/// The bytes of an `.npy` file holding `v` (C order, `<f4`, format 1.0).
pub fn to_npy_bytes(v: &Vectors) -> Vec<u8> {
    let mut out = header_bytes((v.len(), v.dim()));
    write_values(&mut out, v.as_slice()).expect("writing to a Vec cannot fail");
    out
}

/// Write `v` as `.npy` bytes (C order, `<f4`, format 1.0) to `w`, streamed:
/// for callers that write files their own way (the `towel` CLI's write plans).
pub fn write_npy_to(w: &mut dyn Write, v: &Vectors) -> std::io::Result<()> {
    w.write_all(&header_bytes((v.len(), v.dim())))?;
    write_values(w, v.as_slice())
}

/// Write `v` as a C-order float32 `.npy` file, atomically.
pub fn write_npy(path: &Path, v: &Vectors) -> Result<(), VectorError> {
    towel_data::write_atomic_with(path, |w| write_npy_to(w, v))?;
    Ok(())
}

/// Read raw little-endian float32 values as vectors of dimension `dim`.
pub fn read_raw_f32(path: &Path, dim: usize) -> Result<Vectors, VectorError> {
    if dim == 0 {
        return Err(VectorError::Config {
            what: "dimension",
            reason: "must be at least 1".into(),
        });
    }
    read_file(path, |bytes, origin| {
        if bytes.len() % (4 * dim) != 0 {
            return Err(VectorError::format(
                origin,
                None,
                format!(
                    "{} bytes is not a whole number of float32 vectors of dimension {dim} ({} bytes each); check the dimension",
                    bytes.len(),
                    4 * dim
                ),
            ));
        }
        Vectors::new(decode_f32(bytes, f32::from_le_bytes), dim)
    })
}

/// Write `v` as raw little-endian float32 values, row-major, atomically.
pub fn write_raw_f32(path: &Path, v: &Vectors) -> Result<(), VectorError> {
    towel_data::write_atomic_with(path, |w| write_values(w, v.as_slice()))?;
    Ok(())
}
