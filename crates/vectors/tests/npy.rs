//! `.npy` and raw float32 files: fixtures written by numpy
//! (`tests/fixtures/gen_npy.py`), round trips, and hostile input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use towel_vectors::npy::{from_npy_bytes, parse_header, to_npy_bytes, MMAP_MIN_BYTES};
use towel_vectors::{read_npy, read_raw_f32, write_npy, write_raw_f32, VectorError, Vectors};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(name)
}

/// The values gen_npy.py stores: `A[i, j] = 0.5 * (i * cols + j) - 1`.
fn expected(rows: usize, cols: usize) -> Vectors {
    let data = (0..rows * cols).map(|i| 0.5 * i as f32 - 1.0).collect();
    Vectors::new(data, cols).unwrap()
}

#[test]
fn reads_what_numpy_writes_in_every_layout() {
    for name in [
        "c_5x3.npy",
        "fortran_5x3.npy",
        "bigendian_5x3.npy",
        "v2_5x3.npy",
    ] {
        assert_eq!(read_npy(&fixture(name)).unwrap(), expected(5, 3), "{name}");
    }
    assert_eq!(read_npy(&fixture("c_1x17.npy")).unwrap(), expected(1, 17));
    let empty = read_npy(&fixture("empty_0x4.npy")).unwrap();
    assert_eq!((empty.len(), empty.dim()), (0, 4));
}

#[test]
fn writes_the_same_bytes_as_np_save() {
    let dir = tempfile::tempdir().unwrap();
    for (name, v) in [
        ("c_5x3.npy", expected(5, 3)),
        ("c_1x17.npy", expected(1, 17)),
        ("empty_0x4.npy", Vectors::empty(4).unwrap()),
    ] {
        let out = dir.path().join(name);
        write_npy(&out, &v).unwrap();
        let numpy = std::fs::read(fixture(name)).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), numpy, "{name}");
        assert_eq!(to_npy_bytes(&v), numpy, "{name}");
    }
}

#[test]
fn wrong_dtype_and_shape_are_clear_errors_naming_the_file() {
    for (name, needle) in [
        ("float64_5x3.npy", "dtype '<f8' (float64), expected float32"),
        ("int32_5x3.npy", "(int32)"),
        ("float16_5x3.npy", "(float16)"),
        ("onedim_7.npy", "has 1 dimensions, expected 2"),
        ("threedim_2x2x2.npy", "has 3 dimensions, expected 2"),
    ] {
        let err = read_npy(&fixture(name)).unwrap_err();
        assert!(matches!(err, VectorError::Format { .. }), "{name}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains(name) && msg.contains(needle), "{name}: {msg}");
    }
    let err = read_npy(Path::new("/nonexistent/base.npy")).unwrap_err();
    assert_eq!(err.to_string(), "cannot read /nonexistent/base.npy");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn raw_float32_with_a_given_dimension() {
    let raw = fixture("raw_5x3.f32");
    assert_eq!(read_raw_f32(&raw, 3).unwrap(), expected(5, 3));
    assert_eq!(
        read_raw_f32(&raw, 5).unwrap(),
        Vectors::new(expected(5, 3).into_vec(), 5).unwrap()
    );
    let err = read_raw_f32(&raw, 4).unwrap_err();
    assert!(
        err.to_string().contains("raw_5x3.f32") && err.to_string().contains("dimension 4"),
        "{err}"
    );
    assert!(read_raw_f32(&raw, 0).is_err());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.f32");
    write_raw_f32(&out, &expected(5, 3)).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&raw).unwrap());
}

#[test]
fn large_files_go_through_the_memory_map() {
    let dim = 96;
    let rows = (MMAP_MIN_BYTES as usize / (4 * dim)) + 7;
    let v = Vectors::new((0..rows * dim).map(|i| (i as f32).sin()).collect(), dim).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (npy, raw) = (dir.path().join("big.npy"), dir.path().join("big.f32"));
    write_npy(&npy, &v).unwrap();
    write_raw_f32(&raw, &v).unwrap();
    assert!(std::fs::metadata(&npy).unwrap().len() >= MMAP_MIN_BYTES);
    assert_eq!(read_npy(&npy).unwrap(), v);
    assert_eq!(read_raw_f32(&raw, dim).unwrap(), v);
    // Truncated: the size check catches it on the mapped path too.
    let bytes = std::fs::read(&npy).unwrap();
    std::fs::write(&npy, &bytes[..bytes.len() - 4]).unwrap();
    let err = read_npy(&npy).unwrap_err().to_string();
    assert!(
        err.contains("big.npy") && err.contains("truncated"),
        "{err}"
    );
}

fn with_header(dict: &str) -> Vec<u8> {
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    b.extend_from_slice(dict.as_bytes());
    b
}

#[test]
fn hostile_headers() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "not an .npy file"),
        (b"PK\x03\x04", "not an .npy file"),
        (b"\x93NUMPY\x09\x00\x10\x00", "version 9.0"),
        (b"\x93NUMPY\x01\x00\xff\xff{}", "runs past the end"),
        (b"\x93NUMPY\x02\x00\x10", "header length"),
    ];
    for (bytes, needle) in cases {
        let err = from_npy_bytes(bytes, "h.npy").unwrap_err().to_string();
        assert!(err.starts_with("h.npy") && err.contains(needle), "{err}");
    }
    let dicts = [
        ("", "expected '{'"),
        ("{'descr': '<f4', 'fortran_order': False}", "all required"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'descr': '<f4'}", "appears twice"),
        ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2)}", "True or False"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}", "non-negative integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': 4}", "must be a tuple"),
        ("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2)}", "after a value"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", "unknown key 'x'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} junk", "after the closing"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2 2)}", "expected ',' or ')'"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 2)}", "non-negative integers"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807)}", "too large"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0)}", "dimension 0"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}", "needs 8 bytes"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", "has 0 dimensions"),
        ("{'descr': 'é', 'fortran_order': False, 'shape': (1, 2)}", "not ASCII"),
    ];
    for (dict, needle) in dicts {
        let err = from_npy_bytes(&with_header(dict), "h.npy")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("h.npy (byte") || err.starts_with("h.npy:"),
            "{err}"
        );
        assert!(err.contains(needle), "{dict}: {err}");
    }
    // Extra bytes after the values are an error, not ignored.
    let mut b = with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }");
    b.extend_from_slice(&[0; 8]);
    assert!(from_npy_bytes(&b, "h.npy")
        .unwrap_err()
        .to_string()
        .contains("needs 4 bytes"));
    // Python 2's long suffix and double quotes are accepted.
    let mut b = with_header("{\"descr\": \"<f4\", \"fortran_order\": True, \"shape\": (1L, 1L)}\n");
    b.extend_from_slice(&2.5f32.to_le_bytes());
    assert_eq!(from_npy_bytes(&b, "h.npy").unwrap().as_slice(), &[2.5]);
}

proptest! {
    #[test]
    fn round_trip(rows in 0usize..20, dim in 1usize..20, seed in any::<u32>()) {
        let data: Vec<f32> = (0..rows * dim).map(|i| ((i as u32).wrapping_mul(seed) as f32).sqrt() - 7.0).collect();
        let v = Vectors::new(data, dim).unwrap();
        prop_assert_eq!(from_npy_bytes(&to_npy_bytes(&v), "mem").unwrap(), v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_header(&bytes);
        let _ = from_npy_bytes(&bytes, "fuzz");
    }

    #[test]
    fn mutated_valid_files_never_panic(pos in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
        let mut b = to_npy_bytes(&Vectors::new((0..12).map(|i| i as f32).collect(), 4).unwrap());
        let p = pos % b.len();
        b[p] = byte;
        b.truncate(b.len().min(cut.max(p + 1)));
        let _ = from_npy_bytes(&b, "fuzz");
    }
}

#[test]
fn write_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let err = write_npy(&blocker.join("out.npy"), &expected(2, 2)).unwrap_err();
    assert!(err.to_string().contains("out.npy"), "{err}");
}
