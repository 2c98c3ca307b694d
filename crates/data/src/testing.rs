//! Helpers for tests that need the reference data.
//!
//! A test that needs real data calls [`data_dir`] (or the [`crate::data_or_skip!`]
//! macro) and skips, with a message, when the data is absent, so `cargo test`
//! passes on a fresh clone. CI sets `TOWEL_REQUIRE_DATA=1`, which turns a
//! missing folder into a failure: CI always runs the whole suite.

use std::path::PathBuf;

/// The reference data folder for tests: `$TOWEL_DATA_DIR`, else the
/// `shared/data` folder beside the workspace, when it exists.
pub fn data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("TOWEL_DATA_DIR").map(PathBuf::from),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data"
        ))),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("SHA256SUMS").is_file());
    if found.is_none() && std::env::var_os("TOWEL_REQUIRE_DATA").is_some_and(|v| v == "1") {
        panic!("TOWEL_REQUIRE_DATA=1 but no reference data folder was found (set TOWEL_DATA_DIR)");
    }
    found.map(|d| d.canonicalize().unwrap_or(d))
}

/// `let dir = data_or_skip!();` returns from the test with a message when the
/// reference data is absent.
#[macro_export]
macro_rules! data_or_skip {
    () => {
        match $crate::testing::data_dir() {
            Some(dir) => dir,
            None => {
                eprintln!(
                    "skipped {}: needs the reference data folder (set TOWEL_DATA_DIR)",
                    module_path!()
                );
                return;
            }
        }
    };
}

/// Make a FIFO at `path` (with the `mkfifo` command), for tests that check
/// a FIFO is never opened for reading, which would block.
pub fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {} failed", path.display());
}
