//! What the CLI tests share: the `towel` binary with a controlled
//! environment, and running it for its `--json` output.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// The `towel` binary with no data folder and no usable cache, so a test
/// sees exactly the data it passes itself.
pub fn towel() -> Command {
    let mut c = Command::cargo_bin("towel").unwrap();
    c.env_remove("TOWEL_DATA_DIR")
        .env("TOWEL_CACHE_DIR", "/nonexistent-towel-cache");
    c
}

/// [`towel`] with `dir` as its data folder.
pub fn towel_with_data(dir: &Path) -> Command {
    let mut c = towel();
    c.env("TOWEL_DATA_DIR", dir);
    c
}

/// Run `cmd`, which must succeed (its stderr is shown if not), and parse
/// its standard output as JSON.
pub fn json_of(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
